import { afterEach, describe, expect, test } from "bun:test";
import { MemoryFunctionStore, MemoryTaskEvents, MemoryTaskStore } from "../../src/adapters/memory/index.ts";
import { Dispatcher } from "../../src/domain/dispatcher.ts";
import type { Logger } from "../../src/domain/ports.ts";
import { newTask } from "../../src/domain/task.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { FakeExecutor } from "../helpers/fake-executor.ts";
import { waitFor } from "../helpers/wait-for.ts";

const quiet: Logger = { log: () => {} };
let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops) await s();
  stops = [];
});

async function setup(slots: number, maxAttempts = 3) {
  const clock = new FakeClock();
  const tasks = new MemoryTaskStore({ clock, retentionMs: 60_000 });
  const functions = new MemoryFunctionStore();
  const events = new MemoryTaskEvents();
  const executor = new FakeExecutor(slots);
  await functions.save({ id: "f1", name: "f", source: "(x) => x", code: "(x) => x", timeoutMs: 1000, maxAttempts, createdAt: 0 });
  const published: string[] = [];
  events.subscribe((ids) => published.push(...ids));
  const dispatcher = new Dispatcher({ tasks, functions, events, executor, logger: quiet, pause: async () => {} });
  dispatcher.start();
  stops.push(() => dispatcher.stop());
  const enqueue = (n: number, fid = "f1") =>
    tasks.enqueue(Array.from({ length: n }, (_, i) => newTask(`t${i}`, fid, `[${i}]`, maxAttempts, 1000, clock.now())), 1000);
  return { tasks, executor, dispatcher, published, enqueue };
}

describe("Dispatcher", () => {
  test("hands out no more than the free slots, with the function's code", async () => {
    const s = await setup(2);
    await s.enqueue(5);
    await waitFor(() => s.executor.received.length === 2, "two jobs handed out");
    expect(s.executor.received.map((j) => [j.taskId, j.attempt, j.code, j.args])).toEqual([
      ["t0", 1, "(x) => x", "[0]"],
      ["t1", 1, "(x) => x", "[1]"],
    ]);
    expect(await s.tasks.queueDepth()).toBe(3);
  });

  test("settles outcomes, publishes terminal tasks, and refills freed slots", async () => {
    const s = await setup(2);
    await s.enqueue(3);
    await waitFor(() => s.executor.received.length === 2, "two jobs handed out");
    s.executor.report([{ taskId: "t0", attempt: 1, kind: "returned", value: "0" }]);
    await waitFor(() => s.published.includes("t0"), "t0 published");
    expect((await s.tasks.get("t0"))?.result).toBe("0");
    await waitFor(() => s.executor.received.length === 3, "the third job handed out");
  });

  test("a lost attempt is retried until max_attempts, then FAILED WorkerFailure", async () => {
    const s = await setup(1, 2);
    await s.enqueue(1);
    await waitFor(() => s.executor.received.length === 1, "first attempt");
    s.executor.report([{ taskId: "t0", attempt: 1, kind: "lost", reason: "gone" }]);
    await waitFor(() => s.executor.received.length === 2, "second attempt");
    expect(s.executor.received[1]?.attempt).toBe(2);
    s.executor.report([{ taskId: "t0", attempt: 2, kind: "lost", reason: "gone" }]);
    await waitFor(() => s.published.includes("t0"), "t0 terminal");
    const t = await s.tasks.get("t0");
    expect(t?.status).toBe("FAILED");
    expect(JSON.parse(t!.result!).name).toBe("WorkerFailure");
  });

  test("stale outcomes from an older attempt are ignored", async () => {
    const s = await setup(1);
    await s.enqueue(1);
    await waitFor(() => s.executor.received.length === 1, "first attempt");
    s.executor.report([{ taskId: "t0", attempt: 7, kind: "returned", value: "1" }]);
    s.executor.report([{ taskId: "t0", attempt: 1, kind: "returned", value: "2" }]);
    await waitFor(() => s.published.includes("t0"), "t0 published");
    expect((await s.tasks.get("t0"))?.result).toBe("2");
  });

  test("a task of an unknown function fails without reaching the executor", async () => {
    const s = await setup(2);
    await s.enqueue(1, "gone");
    await waitFor(() => s.published.includes("t0"), "t0 published");
    expect(JSON.parse((await s.tasks.get("t0"))!.result!).name).toBe("UnknownFunction");
    expect(s.executor.received.length).toBe(0);
  });
});
