import { describe, expect, test } from "bun:test";
import {
  DURATION_BUCKETS_MS,
  TaskCounters,
  durationBucket,
  emptyStats,
  failureLabel,
  failureLabelOf,
  runningTasks,
} from "../../src/domain/metrics.ts";
import { errorResult } from "../../src/domain/outcome.ts";

describe("durationBucket", () => {
  test("a duration falls in the first bucket whose bound it does not pass; bounds are inclusive", () => {
    expect(DURATION_BUCKETS_MS).toEqual([1, 5, 10, 50, 100, 500, 1000, 5000, 10_000, 60_000]);
    const cases: [number, number][] = [
      [0, 0],
      [1, 0],
      [2, 1],
      [5, 1],
      [6, 2],
      [10, 2],
      [11, 3],
      [100, 4],
      [101, 5],
      [1000, 6],
      [1001, 7],
      [60_000, 9],
      [60_001, 10],
      [86_400_000, 10],
    ];
    expect(cases.map(([ms]) => [ms, durationBucket(ms)])).toEqual(cases);
  });

  test("a negative duration (clocks of two machines apart) counts in the first bucket", () => {
    expect(durationBucket(-50)).toBe(0);
  });
});

describe("failureLabel", () => {
  test("keeps the platform's and JavaScript's own names, caps every other name as UserError", () => {
    const names = ["TimeoutError", "WorkerFailure", "SerializationError", "ResourceLimit", "ResultTooLarge", "UnknownFunction", "Error", "TypeError", "RangeError", "MyError", "", "constructor", "__proto__"];
    expect(names.map(failureLabel)).toEqual([
      "TimeoutError",
      "WorkerFailure",
      "SerializationError",
      "ResourceLimit",
      "ResultTooLarge",
      "UnknownFunction",
      "Error",
      "TypeError",
      "RangeError",
      "UserError",
      "UserError",
      "UserError",
      "UserError",
    ]);
  });

  test("reads the name from a FAILED result; anything unreadable is UserError", () => {
    expect(failureLabelOf(errorResult("TimeoutError", "late"))).toBe("TimeoutError");
    expect(failureLabelOf(errorResult("DatabaseError", "x"))).toBe("UserError");
    expect([failureLabelOf(null), failureLabelOf("not json"), failureLabelOf("null"), failureLabelOf('{"name":7}')]).toEqual(["UserError", "UserError", "UserError", "UserError"]);
  });
});

describe("TaskCounters", () => {
  test("counts submissions, terminal tasks by status, failure label and duration bucket, and retries", () => {
    const c = new TaskCounters();
    const createdAt = 1_000_000;
    c.submitted(5);
    c.finished({ status: "COMPLETED", result: "1", createdAt }, createdAt + 3);
    c.finished({ status: "FAILED", result: errorResult("TypeError", "x"), createdAt }, createdAt + 70);
    c.finished({ status: "FAILED", result: errorResult("Custom", "x"), createdAt }, createdAt + 70);
    c.finished({ status: "CANCELLED", result: null, createdAt }, createdAt - 5); // skewed clock: 0 ms
    c.retried();
    const s = c.snapshot(1);
    const buckets = emptyStats().duration.buckets.slice();
    buckets[0] = 1;
    buckets[1] = 1;
    buckets[4] = 2;
    expect(s).toEqual({
      submitted: 5,
      finished: { COMPLETED: 1, FAILED: 2, CANCELLED: 1 },
      failures: { TypeError: 1, UserError: 1 },
      retries: 1,
      queued: 1,
      duration: { buckets, sumMs: 143 },
    });
    expect(runningTasks(s)).toBe(0);
  });

  test("a snapshot is a copy: later counting does not change it", () => {
    const c = new TaskCounters();
    const s = c.snapshot(0);
    c.submitted(1);
    c.finished({ status: "COMPLETED", result: "1", createdAt: 0 }, 1);
    expect(s).toEqual(emptyStats());
  });
});

describe("runningTasks", () => {
  test("is submitted - finished - queued, never below zero", () => {
    const base = emptyStats();
    expect(runningTasks({ ...base, submitted: 10, finished: { COMPLETED: 3, FAILED: 1, CANCELLED: 1 }, queued: 2 })).toBe(3);
    expect(runningTasks({ ...base, submitted: 1, queued: 5 })).toBe(0);
  });
});
