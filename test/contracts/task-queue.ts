/**
 * The queue's semantics beyond first-in first-out, one suite for every store (memory, redis): priorities
 * with aging, delays, retries of a policy, fair shares and limits per tenant, dependencies. Time is a
 * FakeClock the store reads.
 */
import { describe, expect, test } from "bun:test";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import type { DispatchQueue, TaskStore } from "../../src/domain/ports.ts";
import { newTask, type Task, type TaskOptions } from "../../src/domain/task.ts";
import type { LimitsTable } from "../../src/domain/tenant-limits.ts";
import type { FakeClock } from "../helpers/fake-clock.ts";

export interface TaskQueueFixture {
  readonly store: TaskStore;
  readonly queue: DispatchQueue;
  readonly clock: FakeClock;
  /** Shards of a Redis store (default 1): order, shares and limits hold per shard, limits split evenly. */
  readonly shards?: number;
  close(): Promise<void>;
}

export interface TaskQueueSetup {
  readonly agingMs?: number;
  readonly limits?: LimitsTable;
}

const never = new AbortController().signal;
let seq = 0;
/**
 * The shard number the next tasks' ids start with. Order, shares and limits hold per shard, so those
 * tests keep every task in shard 0; the dependency tests move it on with each put (0-2), so on a
 * sharded store dependencies cross shards.
 */
let shard = 0;
let spread = false;

export function describeTaskQueue(name: string, make: (o: TaskQueueSetup) => Promise<TaskQueueFixture>): void {
  describe(`Task queue semantics: ${name}`, () => {
    const task = (f: TaskQueueFixture, o: Partial<TaskOptions> & { tenant?: string; args?: string } = {}): Task =>
      newTask(`${shard}-q-${++seq}-${Math.floor(performance.now())}`, "f-1", o.args ?? "[1]", 3, 1000, f.clock.now(), o.tenant ?? "default", o);
    const put = async (f: TaskQueueFixture, ts: Task[]): Promise<Task[]> => {
      if (spread) shard = (shard + 1) % 3;
      expect((await f.store.enqueue(ts, { maxQueue: 100_000 })).ok).toBe(true);
      return ts;
    };
    const ids = (ts: readonly Task[]): string[] => ts.map((t) => t.id);
    const complete = (t: Task, result: string) => ({ taskId: t.id, attempt: t.attempt, status: "COMPLETED" as const, result });

    async function withFixture(o: TaskQueueSetup & { spread?: boolean }, body: (f: TaskQueueFixture) => Promise<void>): Promise<void> {
      spread = o.spread === true;
      shard = 0;
      const f = await make(o);
      try {
        await body(f);
      } finally {
        await f.close();
      }
    }

    test("a more urgent task queued later is claimed before less urgent ones; equal priorities stay first-in first-out", () =>
      withFixture({}, async (f) => {
        const [a, b] = await put(f, [task(f), task(f)]);
        const [c] = await put(f, [task(f, { priority: 9 })]);
        const [d] = await put(f, [task(f)]);
        const [e] = await put(f, [task(f, { priority: 0 })]);
        const order: string[] = [];
        for (let i = 0; i < 5; i++) order.push(...ids(await f.queue.claim(1, never)));
        expect(order).toEqual(ids([c!, a!, b!, d!, e!]));
      }));

    test("a waiting task rises one level per aging step: an old default task beats a newer urgent one once it waited long enough", () =>
      withFixture({ agingMs: 1000 }, async (f) => {
        const [old] = await put(f, [task(f)]);
        f.clock.advance(3000); // 3 levels: 5 + 3 < 9
        const [urgent] = await put(f, [task(f, { priority: 9 })]);
        expect(ids(await f.queue.claim(1, never))).toEqual([urgent!.id]);
        f.clock.advance(2001); // old has waited over 5 s: 5 + 5 > 9
        const [urgent2] = await put(f, [task(f, { priority: 9 })]);
        expect(ids(await f.queue.claim(1, never))).toEqual([old!.id]);
        expect(ids(await f.queue.claim(1, never))).toEqual([urgent2!.id]);
      }));

    test("a task with a later runAt stays QUEUED and is claimable only from then", () =>
      withFixture({}, async (f) => {
        const [later] = await put(f, [task(f, { runAt: f.clock.now() + 1000 })]);
        const [now] = await put(f, [task(f)]);
        expect(ids(await f.queue.claim(10, never))).toEqual([now!.id]);
        expect((await f.store.get(later!.id))?.status).toBe("QUEUED");
        expect(await f.store.queueDepth()).toBe(1);
        f.clock.advance(999);
        const early = new AbortController();
        const none = f.queue.claim(10, early.signal);
        early.abort();
        expect(await none).toEqual([]);
        f.clock.advance(1);
        const [got] = await f.queue.claim(10, never);
        expect(got?.id).toBe(later!.id);
        expect(got?.runAt).toBe(later!.runAt);
      }));

    test("a retry of the policy keeps the error, counts apart from attempts, and is claimable after its backoff", () =>
      withFixture({}, async (f) => {
        const [t] = await put(f, [task(f)]);
        const [running] = await f.queue.claim(1, never);
        const error = JSON.stringify({ name: "FetchError", message: "down", stack: "" });
        const [requeued] = await f.queue.apply([{ taskId: t!.id, attempt: running!.attempt, status: "QUEUED", result: error, retryInMs: 500 }]);
        expect(requeued).toMatchObject({ status: "QUEUED", retries: 1, runAt: f.clock.now() + 500, result: error });
        const [other] = await put(f, [task(f)]);
        expect(ids(await f.queue.claim(10, never))).toEqual([other!.id]);
        f.clock.advance(500);
        const [again] = await f.queue.claim(10, never);
        expect(again).toMatchObject({ id: t!.id, attempt: 2, retries: 1 });
      }));

    test("tenants share a claim round-robin: a tenant with many queued tasks holds another's single task back by less than one batch", () =>
      withFixture({}, async (f) => {
        await put(f, Array.from({ length: 100 }, () => task(f, { tenant: "alice" })));
        const [bobs] = await put(f, [task(f, { tenant: "bob" })]);
        const got = await f.queue.claim(10, never);
        expect(got.length).toBe(10);
        expect(ids(got)).toContain(bobs!.id);
      }));

    test("a tenant's running limit holds its tasks back until one of its running tasks ends; other tenants go on", () =>
      withFixture({ limits: new Map([["alice", { maxRunning: 2 }]]) }, async (f) => {
        const cap = Math.ceil(2 / (f.shards ?? 1)); // each shard enforces its share (rounded up)
        await put(f, Array.from({ length: 5 }, () => task(f, { tenant: "alice" })));
        const [bobs] = await put(f, [task(f, { tenant: "bob" })]);
        const first = await f.queue.claim(10, never);
        expect(first.filter((t) => t.tenant === "alice").length).toBe(cap);
        expect(ids(first)).toContain(bobs!.id);
        const waiting = new AbortController();
        const blocked = f.queue.claim(10, waiting.signal);
        await f.queue.apply([complete(first.find((t) => t.tenant === "alice")!, "1")]);
        const next = await blocked;
        expect(next.map((t) => t.tenant)).toEqual(["alice"]);
      }));

    test("a tenant's rate limit starts at most that many tasks per second", () =>
      withFixture({ limits: new Map([["*", { ratePerSec: 4 }]]) }, async (f) => {
        const rate = 4 / (f.shards ?? 1); // each shard's share
        const first = Math.floor(rate);
        await put(f, Array.from({ length: 10 }, () => task(f)));
        expect((await f.queue.claim(10, never)).length).toBe(first);
        f.clock.advance(600);
        expect((await f.queue.claim(10, never)).length).toBe(Math.floor(rate - first + 0.6 * rate + 1e-6));
      }));

    test("a rate below one start per second (in a shard) still starts one task at once, then one every 1/rate seconds", () =>
      withFixture({ limits: new Map([["*", { ratePerSec: 0.5 }]]) }, async (f) => {
        const every = Math.ceil(1000 / (0.5 / (f.shards ?? 1))); // ms per token of a shard's share
        await put(f, Array.from({ length: 3 }, () => task(f)));
        expect((await f.queue.claim(10, never)).length).toBe(1); // a new bucket holds one token
        const early = new AbortController();
        const none = f.queue.claim(10, early.signal);
        early.abort();
        expect(await none).toEqual([]);
        f.clock.advance(every);
        expect((await f.queue.claim(10, never)).length).toBe(1);
      }));

    test("a task waits for its `after` tasks, then runs with their results appended when it asked for them", () =>
      withFixture({ spread: true }, async (f) => {
        const [a, b] = await put(f, [task(f), task(f)]);
        const [d] = await put(f, [task(f, { after: [a!.id, b!.id], argsFrom: "results", args: "[1]" })]);
        expect((await f.store.get(d!.id))?.blockedBy).toBe(2);
        const running = await f.queue.claim(10, never);
        expect(ids(running).sort()).toEqual(ids([a!, b!]).sort());
        expect(await f.store.queueDepth()).toBe(1);
        await f.queue.apply([complete(running.find((t) => t.id === b!.id)!, '"x"')]);
        expect((await f.store.get(d!.id))?.blockedBy).toBe(1);
        await f.queue.apply([complete(running.find((t) => t.id === a!.id)!, "10")]);
        const [got] = await f.queue.claim(10, never);
        expect(got).toMatchObject({ id: d!.id, args: '[1,10,"x"]', blockedBy: 0 });
      }));

    test("a dependency that already COMPLETED does not block; one that failed fails the task and, in turn, its own dependents", () =>
      withFixture({ spread: true }, async (f) => {
        const [a, b] = await put(f, [task(f), task(f)]);
        const running = await f.queue.claim(10, never);
        await f.queue.apply([complete(running.find((t) => t.id === a!.id)!, "7")]);
        const [d] = await put(f, [task(f, { after: [a!.id], argsFrom: "results", args: "[]" })]);
        const [got] = await f.queue.claim(10, never);
        expect(got).toMatchObject({ id: d!.id, args: "[7]" });
        const [e] = await put(f, [task(f, { after: [b!.id] })]);
        const [g] = await put(f, [task(f, { after: [e!.id] })]);
        const bRun = running.find((t) => t.id === b!.id)!;
        await f.queue.apply([{ taskId: b!.id, attempt: bRun.attempt, status: "FAILED", result: JSON.stringify({ name: "Error", message: "no", stack: "" }) }]);
        const idle = new AbortController();
        const claiming = f.queue.claim(10, idle.signal); // a Redis dispatcher carries out dependency work as it claims
        await waitFor(async () => (await f.store.get(g!.id))?.status === "FAILED", "the dependent's dependent to fail");
        idle.abort();
        expect(await claiming).toEqual([]);
        const [eDone, gDone] = await f.store.getMany([e!.id, g!.id]);
        expect(eDone?.status).toBe("FAILED");
        expect(JSON.parse(eDone!.result!)).toMatchObject({ name: "DependencyFailed", message: expect.stringContaining(b!.id) });
        expect(JSON.parse(gDone!.result!)).toMatchObject({ name: "DependencyFailed", message: expect.stringContaining(e!.id) });
        expect(await f.store.queueDepth()).toBe(0);
      }));

    test("cancelling a task fails the tasks waiting for it", () =>
      withFixture({ spread: true }, async (f) => {
        const [a] = await put(f, [task(f, { runAt: f.clock.now() + 60_000 })]);
        const [d] = await put(f, [task(f, { after: [a!.id] })]);
        const idle = new AbortController();
        const claiming = f.queue.claim(10, idle.signal);
        expect((await f.store.cancel(a!.id)).ok).toBe(true);
        await waitFor(async () => (await f.store.get(d!.id))?.status === "FAILED", "the dependent to fail");
        idle.abort();
        expect(await claiming).toEqual([]);
        expect(JSON.parse((await f.store.get(d!.id))!.result!).message).toContain("CANCELLED");
        expect(await f.store.queueDepth()).toBe(0);
      }));
  });
}
