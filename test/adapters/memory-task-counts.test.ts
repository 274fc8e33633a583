import { describe, expect, test } from "bun:test";
import { ACTIVITY_KEEP_MS } from "../../src/domain/activity.ts";
import { newTask, type Task } from "../../src/domain/task.ts";
import { MemoryTaskCounts } from "../../src/adapters/memory/task-counts.ts";

const done = (createdAt: number): Task => ({ ...newTask("t", "f", "[]", 1, 1000, createdAt, "alice"), status: "COMPLETED" });

describe("MemoryTaskCounts", () => {
  test("counts the tasks finished in each second; a second past keeping is gone once a later second begins", () => {
    const counts = new MemoryTaskCounts();
    counts.finished(done(0), 1_000);
    counts.finished(done(0), 1_500);
    expect(counts.activity("alice", 0, 10)).toMatchObject([{ second: 1, completed: 2 }]);
    const later = 1_000 + ACTIVITY_KEEP_MS + 2_000;
    counts.finished(done(later), later);
    const seconds = counts.activity("alice", 0, Math.ceil(later / 1000)).map((s) => s.second);
    expect(seconds).toEqual([Math.floor(later / 1000)]);
  });
});
