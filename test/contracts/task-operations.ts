/**
 * The OperationsStore contract (listing, attempts, retry marks, per-second and per-function counters):
 * every adapter (memory, redis with one shard or several, a Cluster) must pass this same suite. The
 * fixture's store runs on a clock the test moves, so sort times and latencies are exact.
 */
import { describe, expect, test } from "bun:test";
import { latencyBucket } from "../../src/domain/activity.ts";
import type { OperationsStore } from "../../src/domain/operations-service.ts";
import { errorResult } from "../../src/domain/outcome.ts";
import type { DispatchQueue, TaskStore } from "../../src/domain/ports.ts";
import type { TaskQuery, TaskSummary } from "../../src/domain/task-listing.ts";
import { newTask, type Task } from "../../src/domain/task.ts";

export interface OperationsFixture {
  readonly store: TaskStore & OperationsStore;
  readonly queue: DispatchQueue;
  readonly clock: { now(): number; advance(ms: number): void };
  /** Makes every terminal task expire now. */
  readonly expireAll: () => Promise<void>;
  close(): Promise<void>;
}

let seq = 0;
let batches = 0;
/** One batch of new tasks at the clock's time; ids start with a shard number, one per batch in turn (see task-store.ts). */
function tasks(f: OperationsFixture, n: number, o: { tenant?: string; fn?: string } = {}): Task[] {
  const shard = batches++ % 3;
  return Array.from({ length: n }, () => newTask(`${shard}-o-${++seq}-${process.pid}`, o.fn ?? "f-1", "[1]", 3, 1000, f.clock.now(), o.tenant ?? "alice"));
}

const never = new AbortController().signal;

async function listAll(f: OperationsFixture, q: Omit<TaskQuery, "limit">, limit = 1000): Promise<TaskSummary[]> {
  const out: TaskSummary[] = [];
  let after = q.after;
  for (let pages = 0; pages < 100; pages++) {
    const page = await f.store.list({ ...q, limit, ...(after !== undefined && { after }) });
    out.push(...page.tasks);
    if (page.next === undefined) return out;
    after = page.next;
  }
  throw new Error("more than 100 pages");
}

const ids = (list: readonly { id: string }[]): string[] => list.map((t) => t.id);

export function describeOperationsStore(name: string, make: () => Promise<OperationsFixture>): void {
  describe(`OperationsStore contract: ${name}`, () => {
    test("lists a tenant's tasks newest first (unfinished by creation, finished by finish time), filtered by status and function; another tenant's never", async () => {
      const f = await make();
      try {
        const a = tasks(f, 3);
        await f.store.enqueue(a, { maxQueue: 100 });
        f.clock.advance(10);
        const bob = tasks(f, 1, { tenant: "bob" });
        await f.store.enqueue(bob, { maxQueue: 100 });
        const claimed = await f.queue.claim(4, never); // all there is: a claim that took fewer would wait for more
        expect(claimed.length).toBe(4);
        f.clock.advance(10);
        const other = tasks(f, 2, { fn: "f-2" });
        await f.store.enqueue(other, { maxQueue: 100 });
        f.clock.advance(10);
        await f.queue.apply([{ taskId: a[0]!.id, attempt: 1, status: "COMPLETED", result: "1" }]);
        f.clock.advance(10);
        await f.queue.apply([{ taskId: a[1]!.id, attempt: 1, status: "FAILED", result: errorResult("TypeError", "x is not a function", "TypeError: x\n    at f") }]);

        const all = await f.store.list({ tenant: "alice", limit: 50 });
        expect(all.next).toBeUndefined();
        // a[1] finished last, a[0] before; then other (created at +20), then a[2] (created at +0, RUNNING)
        const [o1, o2] = ids(other).sort().reverse();
        expect(ids(all.tasks)).toEqual([a[1]!.id, a[0]!.id, o1!, o2!, a[2]!.id]);
        const failed = all.tasks[0]!;
        expect(failed).toMatchObject({ status: "FAILED", tenant: "alice", functionId: "f-1", attempt: 1, errorName: "TypeError", createdAt: a[1]!.createdAt });
        expect(failed.finishedAt).toBe(f.clock.now());
        expect(all.tasks[4]!.finishedAt).toBeUndefined();
        expect(ids((await f.store.list({ tenant: "alice", status: "FAILED", limit: 50 })).tasks)).toEqual([a[1]!.id]);
        expect(ids((await f.store.list({ tenant: "alice", status: "RUNNING", limit: 50 })).tasks)).toEqual([a[2]!.id]);
        expect(ids((await f.store.list({ tenant: "alice", status: "QUEUED", limit: 50 })).tasks).sort()).toEqual(ids(other).sort());
        expect(ids((await f.store.list({ tenant: "alice", functionId: "f-2", limit: 50 })).tasks).sort()).toEqual(ids(other).sort());
        expect(ids((await f.store.list({ tenant: "bob", functionId: "f-2", limit: 50 })).tasks)).toEqual([]);
        expect(ids((await f.store.list({ tenant: "bob", limit: 50 })).tasks)).toEqual([bob[0]!.id]);
        expect(ids((await f.store.list({ tenant: "carol", limit: 50 })).tasks)).toEqual([]);
        const everyone = await f.store.list({ limit: 50 });
        expect(ids(everyone.tasks).sort()).toEqual([...ids(a), ...ids(bob), ...ids(other)].sort());
      } finally {
        await f.close();
      }
    });

    test("pages follow each other without gaps or repeats, also through a batch that shares one creation time", async () => {
      const f = await make();
      try {
        const first = tasks(f, 25);
        await f.store.enqueue(first, { maxQueue: 1000 });
        const claimed = await f.queue.claim(10, never);
        await f.queue.apply(claimed.slice(0, 6).map((t) => ({ taskId: t.id, attempt: t.attempt, status: "COMPLETED" as const, result: "1" })));
        f.clock.advance(5);
        await f.store.enqueue(tasks(f, 12), { maxQueue: 1000 });
        const whole = await f.store.list({ tenant: "alice", limit: 1000 });
        expect(whole.tasks.length).toBe(37);
        expect(whole.next).toBeUndefined();
        for (const limit of [1, 7, 25]) {
          const paged = await listAll(f, { tenant: "alice" }, limit);
          expect([limit, ids(paged)]).toEqual([limit, ids(whole.tasks)]);
        }
        const queued = await listAll(f, { tenant: "alice", status: "QUEUED" }, 4);
        expect(queued.length).toBe(27);
        expect(new Set(ids(queued)).size).toBe(27);
      } finally {
        await f.close();
      }
    });

    test("a finished task leaves the lists when it expires", async () => {
      const f = await make();
      try {
        const ts = tasks(f, 3);
        await f.store.enqueue(ts, { maxQueue: 100 });
        const claimed = await f.queue.claim(3, never);
        await f.queue.apply(claimed.slice(0, 2).map((t) => ({ taskId: t.id, attempt: 1, status: "FAILED" as const, result: errorResult("Error", "no") })));
        expect((await f.store.list({ tenant: "alice", status: "FAILED", limit: 10 })).tasks.length).toBe(2);
        await f.expireAll();
        expect((await f.store.list({ tenant: "alice", status: "FAILED", limit: 10 })).tasks).toEqual([]);
        expect(ids((await f.store.list({ tenant: "alice", limit: 10 })).tasks)).toEqual([claimed[2]!.id]);
      } finally {
        await f.close();
      }
    });

    test("each attempt is recorded: started by the claim, ended by its outcome with where it ran; a cancel ends the running one", async () => {
      const f = await make();
      try {
        const [t, u] = tasks(f, 2);
        await f.store.enqueue([t!, u!], { maxQueue: 100 });
        const start = f.clock.now();
        await f.queue.claim(2, never);
        expect((await f.store.get(t!.id))?.attempts).toEqual([{ attempt: 1, startedAt: start }]);
        f.clock.advance(7);
        await f.queue.apply([{ taskId: t!.id, attempt: 1, status: "QUEUED", result: null, ranOn: "worker w-1 on host-a" }]);
        f.clock.advance(3);
        await f.queue.claim(1, never);
        f.clock.advance(5);
        await f.queue.apply([{ taskId: t!.id, attempt: 2, status: "COMPLETED", result: "1", ranOn: "thread executor 2" }]);
        expect((await f.store.get(t!.id))?.attempts).toEqual([
          { attempt: 1, startedAt: start, endedAt: start + 7, outcome: "REQUEUED", ranOn: "worker w-1 on host-a" },
          { attempt: 2, startedAt: start + 10, endedAt: start + 15, outcome: "COMPLETED", ranOn: "thread executor 2" },
        ]);
        expect((await f.store.cancel(u!.id)).ok).toBe(true);
        expect((await f.store.get(u!.id))?.attempts).toEqual([{ attempt: 1, startedAt: start, endedAt: start + 15, outcome: "CANCELLED" }]);
      } finally {
        await f.close();
      }
    });

    test("retry marks: only a FAILED or CANCELLED task, only once; taken back only with the same new id", async () => {
      const f = await make();
      try {
        const ts = tasks(f, 4);
        await f.store.enqueue(ts, { maxQueue: 100 });
        await f.queue.claim(3, never);
        await f.queue.apply([
          { taskId: ts[0]!.id, attempt: 1, status: "FAILED", result: errorResult("Error", "x") },
          { taskId: ts[1]!.id, attempt: 1, status: "COMPLETED", result: "1" },
        ]);
        await f.store.cancel(ts[2]!.id);
        const marks = ts.map((t, i) => ({ taskId: t.id, retriedAs: `new-${i}` }));
        expect((await f.store.markRetried(marks)).sort()).toEqual([ts[0]!.id, ts[2]!.id].sort());
        expect(await f.store.markRetried([{ taskId: ts[0]!.id, retriedAs: "again" }])).toEqual([]);
        expect((await f.store.get(ts[0]!.id))?.retriedAs).toBe("new-0");
        expect((await f.store.list({ tenant: "alice", status: "FAILED", limit: 5 })).tasks[0]?.retriedAs).toBe("new-0");
        await f.store.unmarkRetried([{ taskId: ts[0]!.id, retriedAs: "other" }, { taskId: ts[2]!.id, retriedAs: "new-2" }]);
        expect((await f.store.get(ts[0]!.id))?.retriedAs).toBe("new-0");
        expect((await f.store.get(ts[2]!.id))?.retriedAs).toBeUndefined();
        expect(await f.store.markRetried([{ taskId: ts[2]!.id, retriedAs: "new-2b" }])).toEqual([ts[2]!.id]);
      } finally {
        await f.close();
      }
    });

    test("activity: tasks finished per second per tenant, with their submit-to-finish times", async () => {
      const f = await make();
      try {
        const from = Math.floor(f.clock.now() / 1000);
        const ts = tasks(f, 3);
        const theirs = tasks(f, 1, { tenant: "bob" });
        await f.store.enqueue(ts, { maxQueue: 100 });
        await f.store.enqueue(theirs, { maxQueue: 100 });
        await f.queue.claim(4, never);
        f.clock.advance(12);
        const first = Math.floor(f.clock.now() / 1000);
        await f.queue.apply([
          { taskId: ts[0]!.id, attempt: 1, status: "COMPLETED", result: "1" },
          { taskId: theirs[0]!.id, attempt: 1, status: "COMPLETED", result: "1" },
        ]);
        f.clock.advance(1000);
        const second = Math.floor(f.clock.now() / 1000);
        await f.queue.apply([{ taskId: ts[1]!.id, attempt: 1, status: "FAILED", result: errorResult("Error", "x") }]);
        await f.store.cancel(ts[2]!.id);
        const mine = await f.store.activity("alice", from, second + 1);
        expect(mine).toEqual([
          { second: first, completed: 1, failed: 0, cancelled: 0, latency: { [latencyBucket(12)]: 1 } },
          { second, completed: 0, failed: 1, cancelled: 1, latency: { [latencyBucket(1012)]: 1 } },
        ]);
        const everyone = await f.store.activity(undefined, from, second + 1);
        expect(everyone[0]).toEqual({ second: first, completed: 2, failed: 0, cancelled: 0, latency: { [latencyBucket(12)]: 2 } });
        expect(await f.store.activity("alice", second + 1, second + 5)).toEqual([]);
      } finally {
        await f.close();
      }
    });

    test("function counts: submitted, finished by status, latency of those that ran", async () => {
      const f = await make();
      try {
        const ts = tasks(f, 4, { fn: "f-3" });
        await f.store.enqueue(ts, { maxQueue: 100 });
        await f.queue.claim(3, never);
        f.clock.advance(40);
        await f.queue.apply([
          { taskId: ts[0]!.id, attempt: 1, status: "COMPLETED", result: "1" },
          { taskId: ts[1]!.id, attempt: 1, status: "FAILED", result: errorResult("Error", "x") },
        ]);
        await f.store.cancel(ts[3]!.id);
        const counts = await f.store.functionCounts(["f-3", "never-used"]);
        expect(counts.get("f-3")).toEqual({ submitted: 4, completed: 1, failed: 1, cancelled: 1, latency: { [latencyBucket(40)]: 2 } });
        expect(counts.get("never-used")).toEqual({ submitted: 0, completed: 0, failed: 0, cancelled: 0, latency: {} });
      } finally {
        await f.close();
      }
    });
  });
}
