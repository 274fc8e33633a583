/**
 * How the in-memory store keeps finished tasks (kept-task.ts): compactly, and giving back the same Task.
 * What a store does with them (reads, listings, retries, expiry) is covered by the contract suites
 * that test/adapters/memory.test.ts runs against the memory store.
 */
import { heapStats } from "bun:jsc";
import { describe, expect, test } from "bun:test";
import { KeptTasks } from "../../src/adapters/memory/kept-task.ts";
import { MemoryTaskStore } from "../../src/adapters/memory/task-store.ts";
import { beginAttempt, settleAttempt } from "../../src/domain/attempt-log.ts";
import { newTask, type Task } from "../../src/domain/task.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

/** A task run once to `status` with `result`, as a store makes it (1 ms per step from `at`). */
function ranOnce(id: string, at: number, status: "COMPLETED" | "FAILED" | "CANCELLED", result: string | null, ranOn?: string, o: Parameters<typeof newTask>[7] = {}): Task {
  const running = beginAttempt(newTask(id, "f-1", "[1]", 3, 1000, at, "alice", o), at + 1);
  return settleAttempt(running, { taskId: id, attempt: 1, status, result, ...(ranOn !== undefined && { ranOn }) }, at + 2) as Task;
}

describe("KeptTasks", () => {
  test("a kept task unpacks to a Task equal to the one kept, whatever it holds", () => {
    const retry = { maxRetries: 2, backoffMs: 10, factor: 2, maxBackoffMs: 100, on: ["TypeError"] };
    const failed = ranOnce("t-2", 10, "FAILED", JSON.stringify({ name: "Error", message: "boom", stack: "" }), "thread executor 1");
    const twice = settleAttempt(beginAttempt(settleAttempt(beginAttempt(newTask("t-5", "f-1", "[]", 3, 1000, 0), 1), { taskId: "t-5", attempt: 1, status: "QUEUED", result: null }, 2) as Task, 3), { taskId: "t-5", attempt: 2, status: "COMPLETED", result: "7", ranOn: "w" }, 4) as Task;
    const cases: Task[] = [
      ranOnce("t-1", 0, "COMPLETED", "null", "thread executor 2 (dispatcher d-1 on host-a)"),
      ranOnce("t-1b", 0, "COMPLETED", "42"), // no place said
      failed, // its attempt names the error: kept as records
      { ...failed, retriedAs: "t-9" },
      { ...ranOnce("t-3", 5, "COMPLETED", "[1,2]", "w", { retry, after: ["t-1"], argsFrom: "results", priority: 9 }), blockedBy: 0, retryOf: "t-0" },
      { ...newTask("t-4", "f-2", "[]", 1, 50, 7, "bob", { after: ["t-2"] }), status: "FAILED", result: "{}", updatedAt: 9 }, // failed by its dependency: never attempted
      { ...ranOnce("t-6", 0, "COMPLETED", "1", "w"), handbacks: 1, attempt: 2, attempts: [{ attempt: 1, startedAt: 1, endedAt: 2, outcome: "HANDED_BACK" }, { attempt: 2, startedAt: 3, endedAt: 2, outcome: "COMPLETED" }] },
      { ...ranOnce("t-7", 0, "CANCELLED", null), retries: 2 },
      twice,
    ];
    const kept = new KeptTasks();
    for (const t of cases) {
      const k = kept.keep(t);
      expect(k.unpack()).toEqual(t);
      expect([k.id, k.status, k.tenant, k.functionId]).toEqual([t.id, t.status, t.tenant, t.functionId]);
    }
  });

  test("the tasks of one submission share what they have in common; a task that differs gets its own", () => {
    const kept = new KeptTasks();
    const a = kept.keep(ranOnce("t-1", 0, "COMPLETED", "1", "w"));
    const b = kept.keep(ranOnce("t-2", 0, "COMPLETED", "2", "w"));
    const c = kept.keep(ranOnce("t-3", 0, "COMPLETED", "3", "w", { priority: 8 }));
    expect(b.spec).toBe(a.spec);
    expect(c.spec).not.toBe(a.spec);
    expect(c.unpack().priority).toBe(8);
  });
});

describe("MemoryTaskStore keeping finished tasks", () => {
  test("a finished task costs the store well under the 550 B of heap its Task took (about 300 B measured)", async () => {
    const clock = new FakeClock(1_000_000);
    const store = new MemoryTaskStore({ clock, retentionMs: 86_400_000 });
    const never = new AbortController().signal;
    const run = async (n: number, from: number): Promise<void> => {
      for (let i = from; i < from + n; i += 1000) {
        const tasks = Array.from({ length: 1000 }, (_, j) => newTask(crypto.randomUUID(), "f-1", `[${i + j}]`, 3, 1000, clock.now(), "alice"));
        await store.enqueue(tasks, { maxQueue: 1_000_000 });
        const claimed = await store.claim(1000, never);
        await store.apply(claimed.map((t) => ({ taskId: t.id, attempt: t.attempt, status: "COMPLETED" as const, result: "null", ranOn: "thread executor 1 (dispatcher d-1 on host-a)" })));
        clock.advance(1);
      }
    };
    await run(5000, 0); // the store's tables and the code at their size
    Bun.gc(true);
    const before = heapStats().heapSize;
    const n = 30_000;
    await run(n, 5000);
    Bun.gc(true);
    const perTask = (heapStats().heapSize - before) / n;
    expect(await store.queueDepth()).toBe(0);
    expect((await store.get((await store.list({ tenant: "alice", status: "COMPLETED", limit: 1 })).tasks[0]?.id as string))?.status).toBe("COMPLETED"); // all still kept
    expect(perTask).toBeLessThan(420);
  });
});
