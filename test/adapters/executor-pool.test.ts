/** The pool's hand-out: batches, free slots, code caching and mixed tenants, seen through a recording host. */
import { afterEach, describe, expect, test } from "bun:test";
import { ExecutorPool, threadHosts, type HostFactory } from "../../src/adapters/executors/index.ts";
import type { ToExecutor } from "../../src/adapters/executors/protocol.ts";
import type { Outcome } from "../../src/domain/outcome.ts";
import type { Job } from "../../src/domain/ports.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { PREFETCH_SPAN_MS } from "../../src/domain/prefetch.ts";
import { immediatesDuring } from "../helpers/count-immediates.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const quiet = { log: () => {} };
let pools: ExecutorPool[] = [];
afterEach(async () => {
  for (const p of pools) await p.close();
  pools = [];
});

/** Thread executors whose every posted message is recorded with the executor it went to. */
function recordingHosts(): { hosts: HostFactory; posted: { executor: string; msg: ToExecutor }[] } {
  const inner = threadHosts();
  const posted: { executor: string; msg: ToExecutor }[] = [];
  const hosts: HostFactory = {
    ...inner,
    start(spec, events, label) {
      const real = inner.start(spec, events, label);
      return { ...real, tickets: real.tickets, post: (msg) => (posted.push({ executor: label, msg }), real.post(msg)) };
    },
  };
  return { hosts, posted };
}

function pool(executors: number, slotsPerExecutor = 64, clock?: FakeClock) {
  const { hosts, posted } = recordingHosts();
  const p = new ExecutorPool({ executors, slotsPerExecutor, logger: quiet, hosts, ...(clock !== undefined && { clock }) });
  pools.push(p);
  const outcomes: Outcome[] = [];
  p.onOutcomes((o) => outcomes.push(...o));
  return { pool: p, outcomes, posted };
}

let next = 0;
function jobs(n: number, code = "(i) => i * 2", fid = "f1", tenant = "default", timeoutMs = 10_000): Job[] {
  return Array.from({ length: n }, (_, i) => ({ taskId: `t${next++}`, tenant, attempt: 1, functionId: fid, code, args: `[${i}]`, timeoutMs }));
}

/** How many times the code of `fid` was posted to each executor. */
function codeSends(posted: { executor: string; msg: ToExecutor }[], fid: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const { executor, msg } of posted) for (const j of msg.jobs) if (j.fid === fid && j.code !== undefined) out.set(executor, (out.get(executor) ?? 0) + 1);
  return out;
}

describe("ExecutorPool hand-out", () => {
  test("started jobs are collected only for a listener: without one, handing out schedules no turn for them", async () => {
    const { pool: p, outcomes } = pool(1);
    p.run(jobs(1)); // the executor starts, and is ready once this one is done
    await waitFor(() => outcomes.length === 1, "the first outcome");
    const handOut = (n: number): number => immediatesDuring(() => p.run(jobs(n)));
    expect(handOut(2)).toBe(0);
    await waitFor(() => outcomes.length === 3, "3 outcomes");
    const started: string[] = [];
    p.onStarted((refs) => started.push(...refs.map((r) => r.taskId)));
    const [a, b] = [`t${next}`, `t${next + 1}`];
    expect(handOut(2)).toBe(1);
    await waitFor(() => started.length === 2, "2 jobs reported started");
    expect(started).toEqual([a, b]);
  });

  test("hands jobs to executors in batches: one message per executor, not one per job", async () => {
    const { pool: p, outcomes, posted } = pool(2, 100);
    const batch = jobs(100);
    p.run(batch);
    expect(p.batchesPosted).toBe(2);
    expect(posted.map((x) => x.msg.jobs.length)).toEqual([50, 50]);
    await waitFor(() => outcomes.length === 100, "100 outcomes");
    const byId = new Map(outcomes.map((o) => [o.taskId, o]));
    expect(batch.map((j) => (byId.get(j.taskId) as { value: string }).value)).toEqual(Array.from({ length: 100 }, (_, i) => String(i * 2)));
  });

  test("free slots shrink while jobs run and come back with the outcomes, with what finished lately on top until the prefetch span passes", async () => {
    const clock = new FakeClock();
    const { pool: p, outcomes } = pool(1, 4, clock);
    expect(p.freeSlots()).toBe(4);
    p.run(jobs(3, "async (i) => { await new Promise((r) => setTimeout(r, 50)); return i }"));
    expect(p.freeSlots()).toBe(1);
    await waitFor(() => outcomes.length === 3, "3 outcomes");
    expect(p.freeSlots()).toBe(4 + 3);
    clock.advance(PREFETCH_SPAN_MS);
    expect(p.freeSlots()).toBe(4);
  });

  test("prefetch: jobs beyond the executors' slots wait in the pool, the executor never holds more than its slots, and all run", async () => {
    const clock = new FakeClock();
    const { pool: p, outcomes, posted } = pool(1, 4, clock);
    p.run(jobs(4));
    await waitFor(() => outcomes.length === 4, "4 outcomes");
    expect(p.freeSlots()).toBe(8);
    p.run(jobs(8, "async (i) => { await new Promise((r) => setTimeout(r, 5)); return i }"));
    expect(p.freeSlots()).toBe(0);
    await waitFor(() => outcomes.length === 12, "12 outcomes");
    expect(outcomes.every((o) => o.kind === "returned")).toBe(true);
    expect(Math.max(...posted.map((x) => x.msg.jobs.length))).toBeLessThanOrEqual(4);
    expect(posted.length).toBeGreaterThanOrEqual(3); // the 8 went out as slots freed
    // lately finished 12, capped at 3 x 4 slots
    expect(p.freeSlots()).toBe(4 + 12);
  });

  test("whenFree resolves once a full pool frees a slot", async () => {
    const clock = new FakeClock();
    const { pool: p } = pool(1, 1, clock);
    p.run(jobs(1, "async () => { await new Promise((r) => setTimeout(r, 30)); return 1 }"));
    expect(p.freeSlots()).toBe(0);
    await p.whenFree();
    expect(p.freeSlots()).toBe(1 + 1);
  });

  test("function code travels once per executor per function, and again to a replacement", async () => {
    const { pool: p, outcomes, posted } = pool(2, 10);
    p.run(jobs(6));
    await waitFor(() => outcomes.length === 6, "first 6");
    p.run(jobs(6));
    p.run(jobs(2, "(x) => -x", "f2"));
    await waitFor(() => outcomes.length === 14, "next 8");
    expect(outcomes.every((o) => o.kind === "returned")).toBe(true);
    expect([...codeSends(posted, "f1").values()]).toEqual([1, 1]);
    expect([...codeSends(posted, "f2").values()].reduce((a, b) => a + b, 0)).toBe(2);
    const loop = jobs(1, "() => { for (;;) {} }", "loop", "default", 100);
    p.run(loop); // its executor is replaced: the fresh one must be sent f1 again
    await waitFor(() => outcomes.some((o) => o.taskId === loop[0]!.taskId), "the loop's timeout");
    p.run(jobs(4));
    await waitFor(() => outcomes.length === 19, "4 more");
    expect(outcomes.every((o) => o.kind === "returned" || o.taskId === loop[0]!.taskId)).toBe(true);
    expect([...codeSends(posted, "f1").values()].sort()).toEqual([1, 1, 1]);
  });

  test("run() takes any mix of tenants within freeSlots() and never throws; each tenant gets its own executor", async () => {
    const clock = new FakeClock();
    const { pool: p, outcomes } = pool(2, 4, clock);
    const mixed = [...jobs(3, undefined, "f1", "A"), ...jobs(3, undefined, "f1", "B"), ...jobs(2, undefined, "f1", "C")];
    expect(p.freeSlots()).toBe(8);
    p.run(mixed);
    expect(p.freeSlots()).toBe(0);
    await waitFor(() => outcomes.length === 8, "8 outcomes");
    expect(outcomes.every((o) => o.kind === "returned")).toBe(true);
    clock.advance(PREFETCH_SPAN_MS);
    expect(p.freeSlots()).toBe(8);
  });

  test("a cancelled job that waits in the pool is dropped without touching an executor", async () => {
    const clock = new FakeClock();
    const { pool: p, outcomes } = pool(1, 2, clock);
    const busy = jobs(1, "async () => { await new Promise((r) => setTimeout(r, 200)); return 1 }", "slow", "A");
    const waiting = jobs(1, undefined, "f1", "B");
    p.run([...busy, ...waiting]);
    p.stop(waiting[0]!.taskId);
    await waitFor(() => outcomes.length === 1, "the busy job");
    expect(p.spawned).toBe(1);
    expect(p.freeSlots()).toBe(2 + 1); // the busy job finished lately
  });
});

describe("ExecutorPool idle executors", () => {
  test("an executor is stopped once it has had no job for idleMs, counted from its last job, not before", async () => {
    const clock = new FakeClock();
    const logs: Record<string, unknown>[] = [];
    const p = new ExecutorPool({ executors: 2, logger: { log: (_l, _m, f) => logs.push(f ?? {}) }, hosts: threadHosts(), clock, idleMs: 1000, tickMs: 20 });
    pools.push(p);
    const outcomes: Outcome[] = [];
    p.onOutcomes((o) => outcomes.push(...o));
    p.run(jobs(1, undefined, "f1", "A"));
    await waitFor(() => outcomes.length === 1, "the first job");
    clock.advance(600);
    p.run(jobs(1, undefined, "f1", "A")); // a job at 600 ms: the idle time starts again when it ends
    await waitFor(() => outcomes.length === 2, "the second job");
    clock.advance(900);
    expect(p.size()).toBe(1);
    clock.advance(80);
    expect(p.size()).toBe(1);
    clock.advance(40);
    expect(p.size()).toBe(0);
    expect(logs.filter((f) => f.event === "executor.stopped").map((f) => f.why)).toEqual(["idle"]);
    expect(clock.pendingTimers()).toBe(0); // nothing left to watch: the ticker stops
    expect(p.spawned).toBe(1);
  });
});
