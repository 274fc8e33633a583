/** The pool's pure parts: the start model, tenant queues, placement, and the checks on what executors send. */
import { describe, expect, test } from "bun:test";
import type { ExecutorHost } from "../../src/adapters/executors/executor-host.ts";
import { ExecutorRecord, type Held } from "../../src/adapters/executors/executor-record.ts";
import { drainVictim, place } from "../../src/adapters/executors/placement.ts";
import { checkMessage, toOutcome } from "../../src/adapters/executors/result-check.ts";
import { fromText } from "../../src/adapters/executors/protocol.ts";
import { StartModel, type Modelled } from "../../src/adapters/executors/start-model.ts";
import { TenantQueues, type Pending } from "../../src/adapters/executors/tenant-queues.ts";
import type { Job } from "../../src/domain/ports.ts";

const modelled = (): Modelled => ({ startedAt: undefined, phase: "waiting" });
let n = 0;
const jobOf = (tenant = "t"): Job => ({ taskId: `t${++n}`, tenant, attempt: 1, functionId: "f", code: "() => 1", args: "[]", timeoutMs: 1000 });
const pending = (tenant = "t"): Pending => ({ job: jobOf(tenant), alone: false, bounces: 0 });

describe("StartModel", () => {
  test("jobs start at hand-out while fewer than `concurrency` run; the others when one settles, oldest first", () => {
    const m = new StartModel<Modelled>(2);
    m.open(0);
    const [a, b, c, d] = [modelled(), modelled(), modelled(), modelled()];
    m.handOut(a, 10);
    m.handOut(b, 11);
    m.handOut(c, 12);
    m.handOut(d, 13);
    expect([a.startedAt, b.startedAt, c.startedAt, d.startedAt]).toEqual([10, 11, undefined, undefined]);
    m.remove(b, 50);
    expect([c.phase, c.startedAt, d.startedAt]).toEqual(["running", 50, undefined]);
    m.remove(a, 70);
    expect(d.startedAt).toBe(70);
  });

  test("before the executor is ready nothing has started; its ready time starts the clocks", () => {
    const m = new StartModel<Modelled>(4);
    const a = modelled();
    m.handOut(a, 5);
    expect([a.phase, a.startedAt]).toEqual(["running", undefined]);
    m.open(40);
    expect(a.startedAt).toBe(40);
  });

  test("a waiting job taken back is skipped; an executor that withholds results never gets later jobs started early", () => {
    const m = new StartModel<Modelled>(1);
    m.open(0);
    const [a, b, c] = [modelled(), modelled(), modelled()];
    m.handOut(a, 1);
    m.handOut(b, 2);
    m.handOut(c, 3);
    m.remove(b, 4); // recalled while it waited
    expect(c.startedAt).toBeUndefined(); // a still runs as far as the host knows
    m.remove(a, 100);
    expect([c.phase, c.startedAt, m.runningCount]).toEqual(["running", 100, 1]);
  });
});

describe("TenantQueues", () => {
  test("offers tenants round-robin, starting one further along each pass", () => {
    const q = new TenantQueues();
    for (const t of ["a", "b", "c"]) q.push(t, pending(t));
    expect([q.tenants(), q.tenants(), q.tenants()]).toEqual([["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]);
  });

  test("the tenants offered follow tenants coming and going (the list is kept between changes)", () => {
    const q = new TenantQueues();
    q.push("a", pending("a"));
    expect(q.tenants()).toEqual(["a"]);
    q.push("b", pending("b"));
    expect(q.tenants()).toHaveLength(2);
    q.shift("a");
    expect(q.tenants()).toEqual(["b"]);
    q.remove((q.peek("b") as { job: { taskId: string } }).job.taskId);
    expect(q.tenants()).toEqual([]);
    q.push("c", pending("c"));
    expect(q.tenants()).toEqual(["c"]);
  });

  test("jobs taken back go in front of their tenant's queue, in order; a cancel removes a queued job", () => {
    const q = new TenantQueues();
    const [x, y, z] = [pending(), pending(), pending()];
    q.push("t", x);
    q.requeue("t", [y, z]);
    expect(q.remove(z.job.taskId)).toBe(z);
    expect([q.shift("t"), q.shift("t"), q.shift("t"), q.size]).toEqual([y, x, undefined, 0]);
    expect(q.tenants()).toEqual([]);
  });
});

function record(id: number, tenant: string, count: number, idleSince = 0): ExecutorRecord {
  const e = new ExecutorRecord(id, tenant, 4, 2, 0);
  e.host = { tickets: new Int32Array(4) } as unknown as ExecutorHost;
  for (let i = 0; i < count; i++) e.assign(pending(tenant), 0);
  e.idleSince = idleSince;
  return e;
}

describe("placement", () => {
  test("a tenant's job goes to its least loaded executor; an idle one first; a new one while the count allows", () => {
    const a1 = record(1, "a", 2);
    const a2 = record(2, "a", 1);
    expect(place(new Set([a1, a2]), 2, "a", false)).toBe(a2);
    expect(place(new Set([a1, a2]), 3, "a", false)).toEqual({ start: true, fallback: a2 });
    expect(place(new Set([a1, record(3, "a", 0)]), 3, "a", false)).toMatchObject({ id: 3 });
  });

  test("at the count, a new tenant replaces the least recently used idle executor, or waits", () => {
    const busy = record(1, "a", 1);
    const idleOld = record(2, "b", 0, 100);
    const idleNew = record(3, "c", 0, 200);
    expect(place(new Set([busy, idleOld, idleNew]), 3, "d", false)).toEqual({ start: true, evict: idleOld });
    expect(place(new Set([busy, record(4, "b", 2)]), 2, "d", false)).toEqual({ wait: true });
    expect(place(new Set([busy]), 1, "a", true)).toEqual({ wait: true }); // alone needs a fresh executor
  });

  test("a starving tenant drains an executor of the tenant holding most, its least loaded one", () => {
    const a1 = record(1, "a", 3);
    const a2 = record(2, "a", 1);
    const b1 = record(3, "b", 1);
    expect(drainVictim(new Set([a1, a2, b1]), ["c"])).toBe(a2);
    a2.draining = true;
    expect(drainVictim(new Set([a1, a2, b1]), ["c"])).toBeUndefined(); // one drains already
  });
});

describe("what executors send", () => {
  test("only protocol messages pass", () => {
    expect(checkMessage({ t: "beat" })).toEqual({ t: "beat" });
    expect(checkMessage({ t: "done", results: [{ slot: 0, seq: 1, k: "ok", v: "1" }] })).toBeDefined();
    for (const bad of [null, "x", { t: "done", results: [{ slot: -1, seq: 1, k: "ok", v: "1" }] }, { t: "done", results: [{ slot: 0, seq: 1, k: "ok", v: 1 }] }, { t: "done", results: [{ slot: 0, seq: 1, k: "threw", e: { name: "E" } }] }, { t: "ready", note: 5 }, { t: "forge" }]) {
      expect(checkMessage(bad)).toBeUndefined();
    }
  });

  test("a thread's messages arrive as JSON text: parsed; text that is not JSON, or an object user code posted, reaches the check as it came", () => {
    expect(checkMessage(fromText(JSON.stringify({ t: "done", results: [{ slot: 0, seq: 1, k: "ok", v: "1" }] })))).toEqual({ t: "done", results: [{ slot: 0, seq: 1, k: "ok", v: "1" }] });
    expect(fromText("{not json")).toBe("{not json");
    expect(checkMessage(fromText("{not json"))).toBeUndefined();
    expect(fromText({ t: "forge" })).toEqual({ t: "forge" });
    expect(checkMessage(fromText({ t: "forge" }))).toBeUndefined();
  });

  test("the size limit holds on results and errors, whatever the executor claims", () => {
    const j = jobOf();
    expect(toOutcome(j, { slot: 0, seq: 1, k: "ok", v: "x".repeat(11) }, 10, "e1")).toMatchObject({ kind: "too-large", bytes: 11, limit: 10, ranOn: "e1" });
    expect(toOutcome(j, { slot: 0, seq: 1, k: "ok", v: '"é"' }, 4, "e1")).toEqual({ taskId: j.taskId, attempt: j.attempt, kind: "returned", value: '"é"', ranOn: "e1" });
    expect(toOutcome(j, { slot: 0, seq: 1, k: "ok", v: '"éé"' }, 4, "e1")).toMatchObject({ kind: "too-large", bytes: 6 });
    expect(toOutcome(j, { slot: 0, seq: 1, k: "threw", e: { name: "E", message: "m".repeat(20), stack: "" } }, 10, "e1")).toMatchObject({ kind: "too-large" });
  });

  test("a result for a ticket the record does not hold finds nothing", () => {
    const e = record(1, "a", 1);
    const [h] = e.jobs() as [Held];
    expect(e.at(h.slot, h.seq)).toBe(h);
    expect(e.at(h.slot, h.seq + 1)).toBeUndefined();
    expect(e.recall(h)).toBe(true); // not started: taken back
    expect(e.recall(h)).toBe(false);
  });
});
