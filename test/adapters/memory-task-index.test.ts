/**
 * The in-memory store's listing indexes (task-index.ts): what they hold as tasks end. Listing itself is
 * covered by the operations contract (test/contracts/task-operations.ts) against the memory store.
 */
import { describe, expect, test } from "bun:test";
import { MemoryTaskIndex } from "../../src/adapters/memory/task-index.ts";
import { newTask, type Task } from "../../src/domain/task.ts";

function setUp(n: number): { index: MemoryTaskIndex; tasks: Map<string, Task>; ids: string[] } {
  const tasks = new Map<string, Task>();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = newTask(`t-${String(i).padStart(5, "0")}`, "f-1", "[]", 1, 1000, 1000 + i, "alice");
    tasks.set(t.id, t);
    ids.push(t.id);
  }
  const index = new MemoryTaskIndex((id) => tasks.get(id), (id) => tasks.get(id)?.status);
  index.added([...tasks.values()]);
  return { index, tasks, ids };
}

function finish(tasks: Map<string, Task>, index: MemoryTaskIndex, ids: readonly string[], at: number): void {
  const done = ids.map((id) => ({ ...(tasks.get(id) as Task), status: "COMPLETED" as const, updatedAt: at }));
  for (const t of done) tasks.set(t.id, t);
  index.finished(done);
}

describe("MemoryTaskIndex", () => {
  test("tasks ending in the order they were queued leave the unfinished logs at once, without a whole scan", () => {
    const { index, tasks, ids } = setUp(2000);
    expect(index.entries()).toBe(4000); // unfinished, by tenant and by function
    for (let i = 0; i < 1000; i += 100) finish(tasks, index, ids.slice(i, i + 100), 5000 + i);
    // 1,000 finished: in the finished logs (by tenant, by function), gone from the unfinished ones
    expect(index.entries()).toBe(2 * 1000 + 2 * 1000);
    expect(index.list({ tenant: "alice", status: "QUEUED", limit: 5 }).tasks.map((t) => t.id)).toEqual(ids.slice(-5).reverse());
  });

  test("entries behind a task still running wait for it (or a compaction); the listing skips them meanwhile", () => {
    const { index, tasks, ids } = setUp(10);
    finish(tasks, index, ids.slice(1, 6), 5000); // the first is still QUEUED
    expect(index.entries()).toBe(2 * 10 + 2 * 5);
    expect(index.list({ tenant: "alice", status: "QUEUED", limit: 10 }).tasks.map((t) => t.id)).toEqual([ids[0] as string, ...ids.slice(6)].reverse());
    finish(tasks, index, [ids[0] as string], 5001);
    expect(index.entries()).toBe(2 * 4 + 2 * 6); // the front is dead now: it and the five behind it leave
  });

  test("tasks queued and ended one at a time are indexed as the same tasks in batches are", () => {
    const tasks = new Map<string, Task>();
    const one = new MemoryTaskIndex((id) => tasks.get(id), (id) => tasks.get(id)?.status);
    const batched = new MemoryTaskIndex((id) => tasks.get(id), (id) => tasks.get(id)?.status);
    const queued: Task[] = [];
    for (let i = 0; i < 12; i++) {
      const t = newTask(`t-${String(i).padStart(3, "0")}`, i % 3 === 0 ? "f-2" : "f-1", "[]", 1, 1000, 1000 + Math.floor(i / 2), i % 4 === 0 ? "bob" : "alice");
      tasks.set(t.id, t);
      queued.push(t);
      one.added([t]);
    }
    batched.added(queued);
    // ended out of order, with two statuses and shared finish times
    const ends = [5, 0, 1, 7, 3, 10].map((i, k) => ({ ...(queued[i] as Task), status: k % 2 === 0 ? ("COMPLETED" as const) : ("FAILED" as const), updatedAt: 2000 + Math.floor(k / 2) }));
    for (const t of ends) tasks.set(t.id, t);
    for (const t of ends) one.finished([t]);
    batched.finished(ends);
    expect(one.entries()).toBe(batched.entries());
    const queries = [
      { tenant: "alice", limit: 50 },
      { tenant: "bob", limit: 50 },
      { functionId: "f-2", limit: 50 },
      { tenant: "alice", status: "QUEUED" as const, limit: 50 },
      { tenant: "alice", status: "FAILED" as const, limit: 50 },
      { functionId: "f-1", status: "COMPLETED" as const, limit: 50 },
      { limit: 50 },
    ];
    for (const q of queries) {
      const ids = (index: MemoryTaskIndex) => index.list(q).tasks.map((t) => t.id);
      expect([q, ids(one)]).toEqual([q, ids(batched)]);
    }
    expect(one.list({ tenant: "alice", status: "COMPLETED", limit: 50 }).tasks.length).toBeGreaterThan(0);
  });

  test("a finished task forgotten by retention leaves its finished logs from the front", () => {
    const { index, tasks, ids } = setUp(4);
    finish(tasks, index, ids, 5000); // all four finished: 2 x 4 entries in the finished logs
    expect(index.entries()).toBe(8);
    const [a, b] = ids as [string, string];
    const gone = tasks.get(a) as Task;
    tasks.delete(a);
    tasks.delete(b);
    index.expired(gone); // both forgotten ones sit at the front (finished together, in id order)
    expect(index.entries()).toBe(4);
    expect(index.list({ tenant: "alice", limit: 10 }).tasks.map((t) => t.id)).toEqual(ids.slice(2).reverse());
  });
});

