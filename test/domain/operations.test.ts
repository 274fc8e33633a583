/**
 * The pure parts of the operators' features: list order and the merge of index scans into pages
 * (a page never passes a source that stopped early), cursors, latency buckets and quantiles, per-second
 * series, attempt records.
 */
import { describe, expect, test } from "bun:test";
import { activitySeries, bucketBoundMs, LATENCY_BOUNDS_MS, latencyBucket, quantileMs } from "../../src/domain/activity.ts";
import { attemptEnded, attemptStarted, beginAttempt, MAX_ATTEMPT_RECORDS, settleAttempt } from "../../src/domain/attempt-log.ts";
import { comparePositions, decodeCursor, encodeCursor, mergeScans, type TaskSummary } from "../../src/domain/task-listing.ts";
import { applyTransition, newTask, startAttempt, type Task, type Transition } from "../../src/domain/task.ts";

const item = (id: string, createdAt: number, finishedAt?: number): TaskSummary => ({ id, tenant: "t", functionId: "f", status: finishedAt === undefined ? "QUEUED" : "COMPLETED", attempt: 0, createdAt, ...(finishedAt !== undefined && { finishedAt }) });

describe("task lists", () => {
  test("order: newer time first, then the higher id", () => {
    expect(comparePositions({ score: 2, id: "a" }, { score: 1, id: "z" })).toBeLessThan(0);
    expect(comparePositions({ score: 1, id: "b" }, { score: 1, id: "a" })).toBeLessThan(0);
    expect(comparePositions({ score: 1, id: "a" }, { score: 1, id: "a" })).toBe(0);
  });

  test("a merged page interleaves sources newest first, finished tasks by finish time", () => {
    const page = mergeScans([{ items: [item("q", 30), item("p", 10)], more: false }, { items: [item("d", 1, 20)], more: false }], 10);
    expect(page.tasks.map((t) => t.id)).toEqual(["q", "d", "p"]);
    expect(page.next).toBeUndefined();
  });

  test("a page stops at the horizon of a source that stopped early, and goes on from there", () => {
    const stopped = { items: [item("a", 50)], more: true, horizon: { score: 40, id: "x" } };
    const page = mergeScans([stopped, { items: [item("b", 45), item("c", 30)], more: false }], 10);
    expect(page.tasks.map((t) => t.id)).toEqual(["a", "b"]); // c (30) might come after unexamined entries of the first source
    expect(page.next).toEqual({ score: 40, id: "x" });
    const full = mergeScans([{ items: [item("a", 50), item("b", 40)], more: true, horizon: { score: 40, id: "b" } }, { items: [item("c", 45)], more: false }], 2);
    expect([full.tasks.map((t) => t.id), full.next]).toEqual([["a", "c"], { score: 45, id: "c" }]);
  });

  test("cursors round-trip and refuse anything else, naming the field", () => {
    const c = encodeCursor({ score: 1_700_000_000_123, id: "0-9a2e-ü" });
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(c)).toEqual({ ok: true, value: { score: 1_700_000_000_123, id: "0-9a2e-ü" } });
    for (const bad of ["", "!!!!", encodeCursor({ score: -1, id: "x" }).slice(0, 3), btoa("abc.x"), btoa("12")]) {
      const r = decodeCursor(bad);
      expect([bad, r.ok, !r.ok && r.error.kind === "InvalidRequest" ? r.error.arg?.name : "?"]).toEqual([bad, false, "cursor"]);
    }
  });
});

describe("activity", () => {
  test("latency buckets are about 19% apart from 1 ms to 24 h; a quantile is its bucket's bound", () => {
    expect(LATENCY_BOUNDS_MS[0]).toBe(1);
    expect(LATENCY_BOUNDS_MS.at(-1)).toBeGreaterThanOrEqual(86_400_000);
    for (let i = 1; i < LATENCY_BOUNDS_MS.length; i++) expect(LATENCY_BOUNDS_MS[i]!).toBeGreaterThan(LATENCY_BOUNDS_MS[i - 1]!);
    for (const ms of [0, 1, 2, 7, 100, 999, 12_345, 3_600_000]) {
      const b = latencyBucket(ms);
      expect(bucketBoundMs(b)).toBeGreaterThanOrEqual(ms);
      if (ms > 10) expect(bucketBoundMs(b)).toBeLessThanOrEqual(Math.ceil(ms * 1.2) + 1);
    }
    const hist = { [latencyBucket(10)]: 50, [latencyBucket(100)]: 45, [latencyBucket(1000)]: 5 };
    expect([quantileMs(hist, 0.5), quantileMs(hist, 0.95), quantileMs(hist, 0.99)]).toEqual([bucketBoundMs(latencyBucket(10)), bucketBoundMs(latencyBucket(100)), bucketBoundMs(latencyBucket(1000))]);
    expect(quantileMs({}, 0.5)).toBeUndefined();
  });

  test("series are dense per second, null where no task finished", () => {
    const s = activitySeries([{ second: 11, completed: 2, failed: 1, cancelled: 0, latency: { 3: 3 } }], 10, 12);
    expect(s).toEqual({ fromSecond: 10, completed: [0, 2, 0], failed: [0, 1, 0], cancelled: [0, 0, 0], p50: [null, bucketBoundMs(3), null], p95: [null, bucketBoundMs(3), null], p99: [null, bucketBoundMs(3), null] });
  });
});

describe("attempt records", () => {
  test("a start per hand-out, ended by its own attempt's transition; the latest MAX_ATTEMPT_RECORDS kept", () => {
    let t = newTask("t", "f", "[]", 3, 1000, 0);
    t = attemptStarted({ ...t, attempt: 1 }, 10);
    t = attemptEnded(t, { attempt: 2, status: "COMPLETED" }, 15); // another attempt's: no record of it
    expect(t.attempts).toEqual([{ attempt: 1, startedAt: 10 }]);
    t = attemptEnded(t, { attempt: 1, status: "QUEUED", handback: true, ranOn: "here" }, 20);
    expect(t.attempts).toEqual([{ attempt: 1, startedAt: 10, endedAt: 20, outcome: "HANDED_BACK", ranOn: "here" }]);
    for (let i = 2; i <= MAX_ATTEMPT_RECORDS + 5; i++) t = attemptStarted({ ...t, attempt: i }, i);
    expect(t.attempts?.length).toBe(MAX_ATTEMPT_RECORDS);
    expect(t.attempts?.at(-1)?.attempt).toBe(MAX_ATTEMPT_RECORDS + 5);
  });

  test("beginAttempt and settleAttempt: the same tasks as the two steps they stand for, in one copy", () => {
    const fresh = newTask("t", "f", "[]", 3, 1000, 0, "default", { retry: { maxRetries: 2, backoffMs: 10, factor: 2, maxBackoffMs: 100 } });
    const running = beginAttempt(fresh, 10);
    expect(running).toStrictEqual(attemptStarted(startAttempt(fresh, 10), 10));
    expect(fresh.status).toBe("QUEUED"); // the task given is left as it was
    expect(fresh.attempts).toBeUndefined();
    const error = JSON.stringify({ name: "Oops", message: "bad", stack: "" });
    const transitions: Transition[] = [
      { taskId: "t", attempt: 1, status: "COMPLETED", result: "5", ranOn: "thread executor 1" },
      { taskId: "t", attempt: 1, status: "FAILED", result: error },
      { taskId: "t", attempt: 1, status: "QUEUED", result: error, retryInMs: 50, ranOn: "w" },
      { taskId: "t", attempt: 1, status: "QUEUED", result: null, handback: true },
      { taskId: "t", attempt: 1, status: "CANCELLED", result: null },
      { taskId: "t", attempt: 2, status: "COMPLETED", result: "5" }, // stale: refused
    ];
    const twoSteps = (task: Task, t: Transition): Task | undefined => {
      const applied = applyTransition(task, t, 20);
      return applied === undefined ? undefined : attemptEnded(applied, t, 20);
    };
    for (const t of transitions) expect(settleAttempt(running, t, 20)).toStrictEqual(twoSteps(running, t));
    expect(settleAttempt(running, transitions[1] as Transition, 20)?.attempts).toEqual([{ attempt: 1, startedAt: 10, endedAt: 20, outcome: "FAILED", error: { name: "Oops", message: "bad" } }]);
    expect(running.status).toBe("RUNNING");
    expect(running.attempts).toEqual([{ attempt: 1, startedAt: 10 }]);
    // a running task with no records (stored before they were kept) gets none
    const { attempts: _, ...bare } = running;
    expect(settleAttempt(bare, transitions[0] as Transition, 20)).toStrictEqual(twoSteps(bare, transitions[0] as Transition));
    expect(settleAttempt(bare, transitions[0] as Transition, 20)?.attempts).toBeUndefined();
  });
});
