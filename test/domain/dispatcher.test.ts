import { afterEach, describe, expect, test } from "bun:test";
import { MemoryChannel, MemoryFunctionStore, MemoryTaskStore } from "../../src/adapters/memory/index.ts";
import { Dispatcher } from "../../src/domain/dispatcher.ts";
import type { Logger } from "../../src/domain/ports.ts";
import type { Task, Transition } from "../../src/domain/task.ts";
import { newTask } from "../../src/domain/task.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { FakeExecutor } from "../helpers/fake-executor.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

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
  const events = new MemoryChannel();
  const cancels = new MemoryChannel();
  const executor = new FakeExecutor(slots);
  // Every transition the dispatcher asks the store to apply, applied or refused by the fence.
  const asked: Transition[] = [];
  const apply = tasks.apply.bind(tasks);
  tasks.apply = (ts) => (asked.push(...ts), apply(ts));
  await functions.save({ id: "f1", tenant: "default", name: "f", source: "(x) => x", code: "(x) => x", timeoutMs: 1000, maxAttempts, createdAt: 0 });
  const published: string[] = [];
  /** The finished tasks the reports carried, by id. */
  const carried = new Map<string, Task>();
  events.subscribe((ids, finished) => {
    published.push(...ids);
    for (const [id, t] of finished ?? []) carried.set(id, t);
  });
  const dispatcher = new Dispatcher({ queue: tasks, functions, events, cancels, executor, logger: quiet, clock });
  dispatcher.start();
  stops.push(() => dispatcher.stop());
  const enqueue = (n: number, fid = "f1") =>
    tasks.enqueue(Array.from({ length: n }, (_, i) => newTask(`t${i}`, fid, `[${i}]`, maxAttempts, 1000, clock.now())), { maxQueue: 1000 });
  return { tasks, executor, dispatcher, published, carried, enqueue, cancels, asked, clock, functions };
}

describe("Dispatcher", () => {
  test("never claims for zero slots: an executor whose room lapsed after it said it was free (a prefetch that expired) is waited on again", async () => {
    const clock = new FakeClock();
    const tasks = new MemoryTaskStore({ clock, retentionMs: 60_000 });
    const functions = new MemoryFunctionStore();
    await functions.save({ id: "f1", tenant: "default", name: "f", source: "(x) => x", code: "(x) => x", timeoutMs: 1000, maxAttempts: 3, createdAt: 0 });
    await tasks.enqueue([newTask("t0", "f1", "[0]", 3, 1000, clock.now())], { maxQueue: 1000 });
    const maxes: number[] = [];
    const claim = tasks.claim.bind(tasks);
    tasks.claim = (max, signal) => (maxes.push(max), claim(max, signal));
    let whenFreeCalls = 0;
    class LapsedRoom extends FakeExecutor {
      override whenFree(): Promise<void> {
        whenFreeCalls++;
        return whenFreeCalls === 1 ? Promise.resolve() : new Promise<void>(() => {}); // free once, then never again
      }
      override freeSlots(): number {
        return 0; // by the time the dispatcher asks how many
      }
    }
    const dispatcher = new Dispatcher({ queue: tasks, functions, events: new MemoryChannel(), cancels: new MemoryChannel(), executor: new LapsedRoom(4), logger: quiet, clock });
    dispatcher.start();
    stops.push(() => dispatcher.stop());
    await waitFor(() => whenFreeCalls === 2, "the dispatcher to wait for room again");
    expect(maxes).toEqual([]); // a claim of 0 would wait for a new task that may never come, with t0 queued
  });

  test("a job carries its task's tenant when the task has one", async () => {
    const s = await setup(2);
    const task = { ...newTask("ta", "f1", "[1]", 3, 1000, 0), tenant: "alice" };
    await s.tasks.enqueue([task], { maxQueue: 1000 });
    await waitFor(() => s.executor.received.length === 1, "the job handed out");
    expect(s.executor.received[0]?.tenant).toBe("alice");
  });

  test("reads each function of a claim once, however many of its tasks the claim holds", async () => {
    const s = await setup(8);
    await s.functions.save({ id: "f2", tenant: "default", name: "g", source: "(x) => -x", code: "(x) => -x", timeoutMs: 1000, maxAttempts: 3, createdAt: 0 });
    const reads: string[] = [];
    const get = s.functions.get.bind(s.functions);
    s.functions.get = (id) => (reads.push(id), get(id));
    const fids = ["f1", "f2", "f1", "gone", "f2", "f1", "gone", "f1"];
    await s.tasks.enqueue(fids.map((fid, i) => newTask(`m${i}`, fid, `[${i}]`, 3, 1000, s.clock.now())), { maxQueue: 1000 });
    await waitFor(() => s.executor.received.length === 6 && s.asked.length === 2, "six jobs handed out, two refused");
    expect(reads.sort()).toEqual(["f1", "f2", "gone"]);
    expect(s.executor.received.map((j) => [j.taskId, j.code])).toEqual([
      ["m0", "(x) => x"], ["m1", "(x) => -x"], ["m2", "(x) => x"], ["m4", "(x) => -x"], ["m5", "(x) => x"], ["m7", "(x) => x"],
    ]);
    expect(s.asked.map((t) => [t.taskId, t.status, JSON.parse(t.result ?? "null").name])).toEqual([["m3", "FAILED", "UnknownFunction"], ["m6", "FAILED", "UnknownFunction"]]);
  });

  test("hands out no more than the free slots, with the function's code", async () => {
    const s = await setup(2);
    await s.enqueue(5);
    await waitFor(() => s.executor.received.length === 2, "two jobs handed out");
    expect(s.executor.received.map((j) => j.tenant)).toEqual(["default", "default"]);
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
    // the report carries the finished task itself: a long-poll here answers without reading it
    expect([s.carried.get("t0")?.status, s.carried.get("t0")?.result]).toEqual(["COMPLETED", "0"]);
    await waitFor(() => s.executor.received.length === 3, "the third job handed out");
  });

  test("outcomes reported while an apply is on its way wait for it and go together in one apply", async () => {
    const s = await setup(4);
    const calls: string[][] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const apply = s.tasks.apply.bind(s.tasks);
    s.tasks.apply = async (ts: readonly Transition[]) => {
      calls.push(ts.map((t) => t.taskId));
      if (calls.length === 1) await gate; // the first apply is slow to come back
      return apply(ts);
    };
    await s.enqueue(4);
    await waitFor(() => s.executor.received.length === 4, "four jobs handed out");
    s.executor.report([{ taskId: "t0", attempt: 1, kind: "returned", value: "0" }]);
    await waitFor(() => calls.length === 1, "the first apply on its way");
    s.executor.report([{ taskId: "t1", attempt: 1, kind: "returned", value: "1" }]);
    s.executor.report([{ taskId: "t2", attempt: 1, kind: "returned", value: "2" }]);
    s.executor.report([{ taskId: "t3", attempt: 1, kind: "returned", value: "3" }]);
    expect(calls).toEqual([["t0"]]); // nothing else is sent while the first is on its way
    release();
    await waitFor(() => ["t0", "t1", "t2", "t3"].every((id) => s.published.includes(id)), "all four published");
    expect(calls).toEqual([["t0"], ["t1", "t2", "t3"]]);
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
  test("a cancel signal stops the running job, frees its slot, and its late outcome is ignored", async () => {
    const s = await setup(1);
    await s.enqueue(2);
    await waitFor(() => s.executor.received.length === 1, "t0 handed out");
    expect((await s.tasks.cancel("t0")).ok).toBe(true);
    s.cancels.publish(["t0"]);
    expect(s.executor.stopped).toEqual(["t0"]);
    expect(s.dispatcher.inFlightCount()).toBe(0);
    await waitFor(() => s.executor.received.length === 2, "t1 handed out in the freed slot");
    s.executor.report([{ taskId: "t0", attempt: 1, kind: "returned", value: "late" }]);
    s.executor.report([{ taskId: "t1", attempt: 1, kind: "returned", value: "1" }]);
    await waitFor(() => s.published.includes("t1"), "t1 published");
    expect(s.asked.filter((t) => t.taskId === "t0").map((t) => t.status)).toEqual(["CANCELLED"]);
    expect(await s.tasks.get("t0")).toMatchObject({ status: "CANCELLED", result: null });
    expect(s.published).not.toContain("t0");
  });

  test("a cancel signal for a task it does not hold stops nothing; one heard before the hand-out keeps the task from the executor", async () => {
    const s = await setup(2);
    s.cancels.publish(["t0"]); // as when the cancel overtakes the claim's reply
    expect(s.executor.stopped).toEqual([]);
    await s.enqueue(2);
    await waitFor(() => s.executor.received.length === 1 && s.asked.length === 1, "t1 handed out and t0 settled");
    expect(s.executor.received.map((j) => j.taskId)).toEqual(["t1"]);
    expect(s.asked).toEqual([{ taskId: "t0", attempt: 1, status: "CANCELLED", result: null }]);
    expect((await s.tasks.get("t0"))?.status).toBe("CANCELLED");
    await waitFor(() => s.published.includes("t0"), "t0 published as terminal");
  });

  test("health says whether it claims: not while claims fail, again once one succeeds", async () => {
    const s = await setup(2);
    const claim = s.tasks.claim.bind(s.tasks);
    let failures = 1;
    s.tasks.claim = async (max, signal) => {
      if (failures > 0) {
        failures--;
        throw new Error("backend down");
      }
      return claim(max, signal);
    };
    await s.enqueue(1);
    await waitFor(() => failures === 0, "a failing claim"); // whichever claim came first after the override
    await waitFor(() => !s.dispatcher.health().claiming, "health to report the failure");
    expect(s.dispatcher.health()).toMatchObject({ claiming: false, error: "Error: backend down" });
    s.clock.advance(50); // the backoff before the next try, which succeeds
    await waitFor(() => s.executor.received.some((j) => j.taskId === "t0"), "t0 handed out");
    s.executor.report([{ taskId: "t0", attempt: 1, kind: "returned", value: "1" }]);
    await waitFor(() => s.published.includes("t0"), "t0 settled");
    await s.tasks.enqueue([newTask("t9", "f1", "[9]", 3, 1000, s.clock.now())], { maxQueue: 1000 });
    await waitFor(() => s.executor.received.some((j) => j.taskId === "t9"), "t9 claimed and handed out");
    expect(s.dispatcher.health()).toMatchObject({ claiming: true });
    await s.dispatcher.stop();
    expect(s.dispatcher.health().claiming).toBe(false);
  });

  test("drain: claims nothing more, lets running tasks finish within the grace, hands the rest back uncounted", async () => {
    const s = await setup(3);
    await s.enqueue(3);
    await waitFor(() => s.executor.received.length === 3, "3 tasks handed out");
    const draining = s.dispatcher.drain(5000);
    s.executor.report([{ taskId: "t0", attempt: 1, kind: "returned", value: "0" }]); // finishes within the grace
    await waitFor(() => s.published.includes("t0"), "t0 settled");
    await s.tasks.enqueue([newTask("late", "f1", "[9]", 3, 1000, s.clock.now())], { maxQueue: 1000 }); // never claimed now
    s.clock.advance(5000); // the grace runs out with t1 and t2 still running
    expect(await draining).toBe(2);
    expect(s.executor.stopped.sort()).toEqual(["t1", "t2"]);
    for (const id of ["t1", "t2"]) expect(await s.tasks.get(id)).toMatchObject({ status: "QUEUED", attempt: 1, handbacks: 1 });
    expect((await s.tasks.get("t0"))?.status).toBe("COMPLETED");
    expect((await s.tasks.get("late"))?.status).toBe("QUEUED");
    expect(s.executor.received.map((j) => j.taskId)).not.toContain("late");
  });

  test("keeps no memory per wait for room or per claim: a long-lived server claims millions of times", async () => {
    // Each round: the executor has no room, says at once that it is free, then the claim comes back
    // empty. Racing each wait against a promise that settles only at the stop kept 64 bytes a round.
    // Between the rounds the test asks for, the claim waits (the loop runs in microtasks only).
    let claims = 0;
    let target = 0;
    let reachedTarget: () => void = () => {};
    let parked: (() => void) | undefined;
    const queue = {
      claim: async () => {
        if (++claims >= target) {
          reachedTarget();
          await new Promise<void>((resolve) => (parked = resolve));
        }
        return [];
      },
      apply: async () => [],
    };
    class Flickering extends FakeExecutor {
      private n = 0;
      override freeSlots(): number {
        return this.n++ % 2; // none when the loop looks first, one when it looks again
      }
      override whenFree(): Promise<void> {
        return Promise.resolve();
      }
    }
    const dispatcher = new Dispatcher({ queue, functions: new MemoryFunctionStore(), events: new MemoryChannel(), cancels: new MemoryChannel(), executor: new Flickering(1), logger: quiet, clock: new FakeClock() });
    const rounds = (n: number) =>
      new Promise<void>((resolve) => {
        target = claims + n;
        reachedTarget = resolve;
        parked?.();
      });
    dispatcher.start();
    stops.push(async () => {
      target = Number.POSITIVE_INFINITY;
      const stopped = dispatcher.stop();
      parked?.();
      await stopped;
    });
    await rounds(20_000); // warm: the loop's code compiled, its objects made
    Bun.gc(true);
    const before = process.memoryUsage().heapUsed;
    await rounds(200_000);
    Bun.gc(true);
    const grown = process.memoryUsage().heapUsed - before;
    expect(grown).toBeLessThan(4_000_000); // 12.8 MB with a reaction kept per round
  });
});
