/**
 * The TaskStats contract: a TaskStore that also keeps the task counters must count exactly what it did,
 * in every adapter (memory, redis). The fixture's store runs on a clock the test moves, so durations,
 * and therefore histogram buckets and sums, are exact.
 */
import { describe, expect, test } from "bun:test";
import { DURATION_BUCKETS_MS, durationBucket, runningTasks, type StatsSnapshot } from "../../src/domain/metrics.ts";
import { errorResult } from "../../src/domain/outcome.ts";
import type { DispatchQueue, TaskStats, TaskStore } from "../../src/domain/ports.ts";
import { newTask, type Task } from "../../src/domain/task.ts";

export interface TaskStatsFixture {
  readonly store: TaskStore & TaskStats;
  /** The dispatcher side of the same tasks. */
  readonly queue: DispatchQueue;
  /** The store's clock: now, and moving it forward. */
  readonly clock: { now(): number; advance(ms: number): void };
  close(): Promise<void>;
}

let seq = 0;
let batches = 0;
/** One batch of new tasks; ids start with a shard number, one per batch in turn (see task-store.ts). */
function tasks(n: number, now: number, maxAttempts = 3, tenant = "default"): Task[] {
  const shard = batches++ % 3;
  return Array.from({ length: n }, () => newTask(`${shard}-s-${++seq}-${Math.floor(performance.now())}`, "f-1", "[1]", maxAttempts, 1000, now, tenant));
}

const never = new AbortController().signal;

/** Per-bucket counts (not cumulative) with `counts[ms]` tasks of each duration. */
function buckets(counts: Record<number, number>): number[] {
  const out = new Array<number>(DURATION_BUCKETS_MS.length + 1).fill(0);
  for (const [ms, n] of Object.entries(counts)) out[durationBucket(Number(ms))] = (out[durationBucket(Number(ms))] ?? 0) + n;
  return out;
}

function finishedTotal(s: StatsSnapshot): number {
  return s.finished.COMPLETED + s.finished.FAILED + s.finished.CANCELLED;
}

export function describeTaskStats(name: string, make: () => Promise<TaskStatsFixture>): void {
  describe(`TaskStats contract: ${name}`, () => {
    test("a fresh store counts nothing", async () => {
      const f = await make();
      try {
        const s = await f.store.snapshot();
        expect(s).toEqual({
          submitted: 0,
          finished: { COMPLETED: 0, FAILED: 0, CANCELLED: 0 },
          failures: {},
          retries: 0,
          queued: 0,
          duration: { buckets: buckets({}), sumMs: 0 },
        });
      } finally {
        await f.close();
      }
    });

    test("enqueue, complete, fail, re-queue a lost attempt, cancel: every counter matches exactly", async () => {
      const f = await make();
      try {
        const ts = tasks(8, f.clock.now());
        const [t0, t1, t2, t3, t4, t5, t6, t7] = ts as [Task, Task, Task, Task, Task, Task, Task, Task];
        expect((await f.store.enqueue(ts, { maxQueue: 100 })).ok).toBe(true);
        expect((await f.store.enqueue(tasks(200, f.clock.now()), { maxQueue: 100 })).ok).toBe(false); // refused: counts nothing
        const claimed = await f.queue.claim(6, never);
        expect(claimed.map((t) => t.id)).toEqual([t0, t1, t2, t3, t4, t5].map((t) => t.id));
        expect(runningTasks(await f.store.snapshot())).toBe(6);

        f.clock.advance(3);
        await f.queue.apply([
          { taskId: t0.id, attempt: 1, status: "COMPLETED", result: "1" },
          { taskId: t1.id, attempt: 1, status: "COMPLETED", result: "2" },
          { taskId: t2.id, attempt: 1, status: "COMPLETED", result: "3" },
          { taskId: t2.id, attempt: 1, status: "FAILED", result: errorResult("TypeError", "dup") }, // second of a task in one call: ignored
          { taskId: t3.id, attempt: 0, status: "COMPLETED", result: "stale" }, // stale attempt: ignored
        ]);
        f.clock.advance(67); // 70 ms after submission
        await f.queue.apply([
          { taskId: t3.id, attempt: 1, status: "FAILED", result: errorResult("TypeError", "x is not a function") },
          { taskId: t4.id, attempt: 1, status: "FAILED", result: errorResult("MyAppError", "a name of the user's own") },
          { taskId: t5.id, attempt: 1, status: "QUEUED", result: null }, // lost attempt, re-queued
        ]);
        await f.queue.apply([{ taskId: t0.id, attempt: 1, status: "FAILED", result: errorResult("TypeError", "late") }]); // terminal: refused
        f.clock.advance(1930); // 2,000 ms
        expect((await f.store.cancel(t6.id)).ok).toBe(true);
        expect((await f.store.cancel(t0.id)).ok).toBe(false); // already terminal: counts nothing

        const mid = await f.store.snapshot();
        expect(mid).toEqual({
          submitted: 8,
          finished: { COMPLETED: 3, FAILED: 2, CANCELLED: 1 },
          failures: { TypeError: 1, UserError: 1 },
          retries: 1,
          queued: 2, // t5 again, and t7
          duration: { buckets: buckets({ 3: 3, 70: 2, 2000: 1 }), sumMs: 3 * 3 + 2 * 70 + 2000 },
        });
        expect(runningTasks(mid)).toBe(0);

        const again = await f.queue.claim(10, never);
        expect(again.map((t) => [t.id, t.attempt])).toEqual([
          [t7.id, 1],
          [t5.id, 2], // re-queued after t7 was queued
        ]);
        expect(runningTasks(await f.store.snapshot())).toBe(2);
        f.clock.advance(68_000); // 70,000 ms: past the last bound
        expect((await f.store.cancel(t7.id)).ok).toBe(true); // RUNNING
        await f.queue.apply([{ taskId: t5.id, attempt: 2, status: "FAILED", result: errorResult("TimeoutError", "deadline") }]);

        const end = await f.store.snapshot();
        expect(end).toEqual({
          submitted: 8,
          finished: { COMPLETED: 3, FAILED: 3, CANCELLED: 2 },
          failures: { TypeError: 1, UserError: 1, TimeoutError: 1 },
          retries: 1,
          queued: 0,
          duration: { buckets: buckets({ 3: 3, 70: 2, 2000: 1, 70_000: 2 }), sumMs: 2149 + 2 * 70_000 },
        });
        expect(end.duration.buckets.at(-1)).toBe(2); // the +Inf bucket
        expect(end.duration.buckets.reduce((a, b) => a + b, 0)).toBe(finishedTotal(end));
        expect(runningTasks(end)).toBe(0);
      } finally {
        await f.close();
      }
    });

    test("a batch of 300 outcomes is counted once each, histogram count equal to the finished count", async () => {
      const f = await make();
      try {
        const ts = tasks(300, f.clock.now());
        await f.store.enqueue(ts, { maxQueue: 1000 });
        const claimed = await f.queue.claim(300, never);
        f.clock.advance(7);
        const statuses = ["COMPLETED", "FAILED", "QUEUED"] as const;
        await f.queue.apply(
          claimed.map((t, i) => {
            const status = statuses[i % 3] as (typeof statuses)[number];
            return { taskId: t.id, attempt: t.attempt, status, result: status === "FAILED" ? errorResult("WorkerFailure", "gone") : status === "QUEUED" ? null : "0" };
          }),
        );
        const s = await f.store.snapshot();
        expect(s.submitted).toBe(300);
        expect(s.finished).toEqual({ COMPLETED: 100, FAILED: 100, CANCELLED: 0 });
        expect(s.failures).toEqual({ WorkerFailure: 100 });
        expect(s.retries).toBe(100);
        expect(s.queued).toBe(100);
        expect(s.duration).toEqual({ buckets: buckets({ 7: 200 }), sumMs: 1400 });
        expect(runningTasks(s)).toBe(0);
      } finally {
        await f.close();
      }
    });

    test("counters are kept per tenant: a tenant's snapshot is its own, no tenant means every tenant", async () => {
      const f = await make();
      try {
        const now = f.clock.now();
        const alice = tasks(3, now, 3, "alice");
        const bob = tasks(2, now, 3, "bob");
        await f.store.enqueue(alice, { maxQueue: 100 });
        await f.store.enqueue(bob, { maxQueue: 100 });
        const claimed = await f.queue.claim(10, never);
        expect(claimed.length).toBe(5);
        f.clock.advance(7);
        await f.queue.apply(claimed.filter((t) => t.tenant === "alice").map((t) => ({ taskId: t.id, attempt: t.attempt, status: "COMPLETED" as const, result: "1" })));
        await f.queue.apply(claimed.filter((t) => t.tenant === "bob").map((t) => ({ taskId: t.id, attempt: t.attempt, status: "QUEUED" as const, result: null })));
        const a = await f.store.snapshot("alice");
        const b = await f.store.snapshot("bob");
        const all = await f.store.snapshot();
        expect([a.submitted, a.finished.COMPLETED, a.queued, a.retries, runningTasks(a)]).toEqual([3, 3, 0, 0, 0]);
        expect([b.submitted, b.finished.COMPLETED, b.queued, b.retries, runningTasks(b)]).toEqual([2, 0, 2, 2, 0]);
        expect([all.submitted, all.finished.COMPLETED, all.queued, all.retries]).toEqual([5, 3, 2, 2]);
        expect(a.duration).toEqual({ buckets: buckets({ 7: 3 }), sumMs: 21 });
        expect((await f.store.snapshot("nobody")).submitted).toBe(0);
        expect(await f.store.queueDepth()).toBe(2);
      } finally {
        await f.close();
      }
    });
  });
}
