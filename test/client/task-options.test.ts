/**
 * The SDK's task options against a real embedded server that runs one task at a time: each option must reach the
 * server and take effect there. `priority` on execute, executeBatch and submit orders tasks held behind
 * a busy executor; `delayMs` and `runAt` set the stored run_at and nothing starts before it;
 * `register({retry})` and a per-call `retry` produce policy attempts (with the backoff asked for, and
 * `on` limiting it); `after` + `argsFrom` on run, executeBatch and map pass results along; executeGraph
 * runs a DAG in dependency order. What the server stored is read from GET /tasks/{id}.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { call } from "../../scripts/lib/http.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { embeddedConfig } from "../../src/app/config.ts";
import { FaasClient, FaasError, TaskFailedError } from "../../src/client/index.ts";
import { startEmbeddedHere, stopAllHere } from "../helpers/roots.ts";

setDefaultTimeout(30_000);

// One task at a time (an executor thread runs several async tasks at once), so tasks queue behind a held one.
const app = startEmbeddedHere({ workers: 1, queuePolicy: embeddedConfig(["--tenant-limits", "*:running=1"], {}).queuePolicy });
const faas = new FaasClient(app.url);

/**
 * A probe the functions call: GET /hit/<tag> records the tag in arrival order and answers how many
 * times it was hit; GET /hold answers only once `release()` is called.
 */
const order: string[] = [];
const hits = new Map<string, number>();
let held = 0;
let release: () => void = () => {};
const gate = new Promise<void>((r) => (release = r));
let probe: ReturnType<typeof Bun.serve>;
beforeAll(() => {
  probe = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/hold") {
        held++;
        await gate;
        return Response.json("released");
      }
      const tag = path.slice("/hit/".length);
      order.push(tag);
      const n = (hits.get(tag) ?? 0) + 1;
      hits.set(tag, n);
      return Response.json(n);
    },
  });
});
afterAll(async () => {
  release();
  await stopAllHere();
  void probe?.stop(true);
});

const probeUrl = (): string => `http://127.0.0.1:${probe.port}`;
/** GET /tasks/{id} as the server stored it (wire form: run_at, retries, attempts with errors). */
const stored = async (taskId: string): Promise<any> => (await call(`${app.url}/tasks/${taskId}`)).body;
const ms = (iso: string): number => Date.parse(iso);

/** Calls the probe with its tag and returns how many times that tag was hit. */
const HIT = "async (base, tag) => (await fetch(base + '/hit/' + tag)).json()";
/** Throws FetchError until its tag was hit `n` times, then returns the count. */
const FLAKY = `async (base, tag, n) => {
  const count = await (await fetch(base + '/hit/' + tag)).json();
  if (count < n) { const e = new Error("not yet " + count); e.name = "FetchError"; throw e; }
  return count;
}`;
const ADD = "(...xs: number[]) => xs.reduce((a, b) => a + b, 0)";

describe("SDK task options reach the server and take effect", () => {
  test("priority on execute, executeBatch and submit: stored on the task, and the most urgent start first once the held task ends", async () => {
    const hold = await faas.register("async (base) => (await fetch(base + '/hold')).json()");
    const hit = await faas.register(HIT);
    const blocker = await faas.submit(hold, [probeUrl()]);
    await waitFor(() => held === 1, "the one executor to be busy on the held task");
    const low = await faas.execute(hit, [probeUrl(), "p0"], { priority: 0 });
    const plain = await faas.execute(hit, [probeUrl(), "p5"]);
    const urgent = await faas.execute(hit, [probeUrl(), "p9"], { priority: 9 });
    const [urgentToo] = await faas.executeBatch(hit, [[probeUrl(), "p9-batch"]], { priority: 9 });
    const seven = await faas.submit(hit, [probeUrl(), "p7"], { priority: 7 });
    const ids = [low, plain, urgent, urgentToo!, seven.taskId];
    expect(await Promise.all(ids.map(async (id) => (await stored(id)).priority))).toEqual([0, 5, 9, 9, 7]);
    release();
    expect(await blocker.result()).toBe("released");
    await faas.wait(ids);
    expect(order.filter((t) => t.startsWith("p"))).toEqual(["p9", "p9-batch", "p7", "p5", "p0"]);
  });

  test("delayMs and runAt (a Date or a string) set the stored run_at; the task stays QUEUED and starts no sooner", async () => {
    const fid = await faas.register("() => Date.now()");
    const before = Date.now();
    const delayed = await faas.execute(fid, [], { delayMs: 400 });
    const at = new Date(Date.now() + 300);
    const [byDate] = await faas.executeBatch(fid, [[]], { runAt: at });
    const atText = new Date(Date.now() + 350).toISOString();
    const byText = await faas.submit(fid, [], { runAt: atText });
    const waiting = await stored(delayed);
    expect(waiting.status).toBe("QUEUED");
    expect(ms(waiting.run_at)).toBeGreaterThanOrEqual(before + 400);
    expect((await stored(byDate!)).run_at).toBe(at.toISOString());
    expect((await stored(byText.taskId)).run_at).toBe(atText);
    const startedAt = await Promise.all([delayed, byDate!, byText.taskId].map((id) => faas.handle<number>(id).result({ timeoutS: 20 })));
    expect(startedAt[0]).toBeGreaterThanOrEqual(ms(waiting.run_at));
    expect(startedAt[1]).toBeGreaterThanOrEqual(at.getTime());
    expect(startedAt[2]).toBeGreaterThanOrEqual(ms(atText));
    const both = await faas.execute(fid, [], { delayMs: 5, runAt: new Date() }).catch((e) => e);
    expect(both).toBeInstanceOf(FaasError);
    expect([both.status, both.field]).toEqual([400, "delay_ms"]);
  });

  test("register({retry}) re-runs a thrown error as policy attempts, after the backoff asked for", async () => {
    const fid = await faas.register(FLAKY, { name: "flaky", retry: { maxRetries: 3, backoffMs: 10, factor: 1 } });
    const h = await faas.submit(fid, [probeUrl(), "r-fn", 3]);
    expect(await h.result({ timeoutS: 20 })).toBe(3);
    const detail = await stored(h.taskId);
    expect(detail).toMatchObject({ status: "COMPLETED", retries: 2 });
    expect(detail.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(["RETRIED", "RETRIED", "COMPLETED"]);
    const gaps = detail.attempts.slice(1).map((a: { started_at: string }, i: number) => ms(a.started_at) - ms(detail.attempts[i].ended_at));
    for (const gap of gaps) expect(gap).toBeLessThan(450); // 10 ms asked; the server's default 1000 ms would wait 500 or more
    const slow = await faas.register(FLAKY, { name: "slow", retry: { maxRetries: 1, backoffMs: 600 }, reuse: false });
    const s = await faas.submit(slow, [probeUrl(), "r-slow", 2]);
    expect(await s.result({ timeoutS: 20 })).toBe(2);
    const [first, second] = (await stored(s.taskId)).attempts;
    expect(ms(second.started_at) - ms(first.ended_at)).toBeGreaterThanOrEqual(300); // 600 ms with ±50% jitter
  });

  test("a call's retry overrides the function's; `on` retries only the error names listed", async () => {
    const fid = await faas.register(FLAKY, { name: "flaky", retry: { maxRetries: 3, backoffMs: 10, factor: 1 } });
    const fewer = (await faas.run(fid, [probeUrl(), "r-call", 3], { retry: { maxRetries: 1, backoffMs: 10 } }).catch((e) => e)) as TaskFailedError;
    expect(fewer).toBeInstanceOf(TaskFailedError);
    expect(fewer.remote).toMatchObject({ name: "FetchError", message: "not yet 2" });
    const detail = await stored(fewer.taskId);
    expect(detail).toMatchObject({ retries: 1, attempt: 2 });
    expect(detail.attempts.map((a: { error: unknown }) => a.error)).toEqual([
      { name: "FetchError", message: "not yet 1" },
      { name: "FetchError", message: "not yet 2" },
    ]);
    const bare = await faas.register(FLAKY, { name: "bare", reuse: false });
    const [other, named] = await faas.executeBatch(bare, [[probeUrl(), "r-other", 2], [probeUrl(), "r-named", 2]], { retry: { maxRetries: 2, backoffMs: 10, on: ["TypeError"] } });
    const matching = await faas.execute(bare, [probeUrl(), "r-match", 2], { retry: { maxRetries: 2, backoffMs: 10, on: ["FetchError"] } });
    const outcomes = await faas.wait([other!, named!, matching]);
    expect([outcomes.get(other!)?.status, outcomes.get(named!)?.status, outcomes.get(matching)?.status]).toEqual(["FAILED", "FAILED", "COMPLETED"]);
    expect((await stored(matching)).retries).toBe(1);
  });

  test("after + argsFrom on run, executeBatch and map append the dependencies' results; a failed one fails the task DependencyFailed", async () => {
    const add = await faas.register(ADD);
    const a = await faas.submit(add, [1, 2]);
    const b = await faas.execute(add, [10]);
    expect(await faas.run(add, [100], { after: [a.taskId, b], argsFrom: "results" })).toBe(113);
    const batch = await faas.executeBatch(add, [[1], [2]], { after: [a.taskId], argsFrom: "results" });
    expect((await stored(batch[0]!)).after).toEqual([a.taskId]);
    expect([...(await faas.wait(batch)).values()].map((o) => o.result)).toEqual([4, 5]);
    const mapped: number[] = [];
    for await (const x of faas.map<number>(add, [[1], [2]], { after: [b], argsFrom: "results" })) mapped.push(x);
    expect(mapped).toEqual([11, 12]);
    const boom = await faas.execute(await faas.register("() => { throw new RangeError('boom') }"), []);
    const blocked = (await faas.run(add, [1], { after: [boom] }).catch((e) => e)) as TaskFailedError;
    expect(blocked).toBeInstanceOf(TaskFailedError);
    expect(blocked.remote.name).toBe("DependencyFailed");
    expect(blocked.remote.message).toContain(boom);
  });

  test("executeGraph queues a DAG by local names with each task's options; tasks start only after their dependencies finished", async () => {
    const add = await faas.register(ADD);
    const seed = await faas.execute(add, [1000]);
    const ids = await faas.executeGraph([
      { name: "total", functionId: add, args: [], after: ["left", "right", seed], argsFrom: "results" },
      { name: "right", functionId: add, args: [3], after: ["left"], argsFrom: "results", priority: 8 },
      { name: "left", functionId: add, args: [1, 2], delayMs: 200 },
    ]);
    expect(Object.keys(ids).sort()).toEqual(["left", "right", "total"]);
    expect(await faas.handle(ids.total!).result({ timeoutS: 20 })).toBe(1009); // left 3, right 3 + 3, total 3 + 6 + 1000
    const [total, right, left] = await Promise.all([ids.total!, ids.right!, ids.left!].map(stored));
    expect(right.priority).toBe(8);
    expect(ms(left.run_at) - ms(left.created_at)).toBeGreaterThanOrEqual(200);
    expect(ms(right.started_at)).toBeGreaterThanOrEqual(ms(left.finished_at));
    expect(ms(total.started_at)).toBeGreaterThanOrEqual(Math.max(ms(left.finished_at), ms(right.finished_at)));
    expect(total.after).toEqual([ids.left, ids.right, seed]);
    const cycle = await faas.executeGraph([
      { name: "x", functionId: add, args: [], after: ["y"] },
      { name: "y", functionId: add, args: [], after: ["x"] },
    ]).catch((e) => e);
    expect(cycle).toBeInstanceOf(FaasError);
    expect(cycle.status).toBe(400);
    expect(cycle.message).toContain("x -> y -> x");
  });
});
