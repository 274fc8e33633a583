/**
 * Deadlines of jobs on remote workers (src/domain/job-deadlines.ts): twice the timeout from the
 * hand-out until a start is reported, then the timeout plus the grace from the start; only the worker
 * holding an attempt can report its start, once; overdue jobs are returned once and forgotten.
 */
import { describe, expect, test } from "bun:test";
import { JobDeadlines } from "../../src/domain/job-deadlines.ts";

describe("JobDeadlines", () => {
  test("without a reported start a job has twice its timeout from the hand-out", () => {
    const d = new JobDeadlines(2000);
    d.handed("t-1", "w1", 1, 1000, 10_000);
    expect(d.handedAt("t-1")).toBe(10_000);
    expect(d.overdue(12_000)).toEqual([]);
    expect(d.overdue(12_001)).toEqual([{ taskId: "t-1", workerId: "w1", attempt: 1, timeoutMs: 1000, started: false }]);
    expect(d.overdue(20_000)).toEqual([]); // returned once, then forgotten
    expect(d.handedAt("t-1")).toBeUndefined();
  });

  test("a reported start gives the timeout plus the grace from when it was heard", () => {
    const d = new JobDeadlines(2000);
    d.handed("t-1", "w1", 1, 1000, 0);
    expect(d.started("w1", [{ taskId: "t-1", attempt: 1 }], 1500)).toEqual([{ taskId: "t-1", attempt: 1 }]);
    expect(d.overdue(2001)).toEqual([]); // past 2 x timeout from the hand-out, but it started at 1,500
    expect(d.overdue(4500)).toEqual([]);
    expect(d.overdue(4501)).toEqual([{ taskId: "t-1", workerId: "w1", attempt: 1, timeoutMs: 1000, started: true }]);
  });

  test("only the worker holding that attempt reports its start, and only the first report counts", () => {
    const d = new JobDeadlines(0);
    d.handed("t-1", "w1", 2, 1000, 0);
    d.handed("t-2", "w1", 1, 1000, 0);
    expect(d.started("w2", [{ taskId: "t-1", attempt: 2 }], 100)).toEqual([]); // another worker
    expect(d.started("w1", [{ taskId: "t-1", attempt: 1 }, { taskId: "t-9", attempt: 1 }], 100)).toEqual([]); // an older attempt, an unknown task
    expect(d.started("w1", [{ taskId: "t-1", attempt: 2 }], 500)).toEqual([{ taskId: "t-1", attempt: 2 }]);
    expect(d.started("w1", [{ taskId: "t-1", attempt: 2 }], 1900)).toEqual([]); // reported again: the first stands
    expect(d.overdue(1501).map((j) => j.taskId)).toEqual(["t-1"]);
    expect(d.overdue(2001).map((j) => j.taskId)).toEqual(["t-2"]);
  });

  test("a forgotten job has no deadline; a new hand-out replaces the old one", () => {
    const d = new JobDeadlines(0);
    d.handed("t-1", "w1", 1, 1000, 0);
    d.forget("t-1");
    expect(d.overdue(10_000)).toEqual([]);
    d.handed("t-2", "w1", 1, 1000, 0);
    d.handed("t-2", "w2", 2, 5000, 3000);
    expect(d.overdue(12_000)).toEqual([]);
    expect(d.overdue(13_001)).toEqual([{ taskId: "t-2", workerId: "w2", attempt: 2, timeoutMs: 5000, started: false }]);
  });
});
