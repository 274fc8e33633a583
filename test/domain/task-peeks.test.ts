import { describe, expect, test } from "bun:test";
import { MemoryChannel, MemoryTaskStore } from "../../src/adapters/memory/index.ts";
import type { TaskStore, Unfinished } from "../../src/domain/ports.ts";
import { TaskPeeks } from "../../src/domain/task-peeks.ts";
import { newTask, type Task } from "../../src/domain/task.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

/**
 * A store with peekMany over a MemoryTaskStore that counts the ids each peek asked for; a peek can be
 * held open (`hold`) to let a report arrive while it is on its way.
 */
function fixture() {
  const clock = new FakeClock();
  const memory = new MemoryTaskStore({ clock, retentionMs: 60_000 });
  const events = new MemoryChannel();
  const asked: string[][] = [];
  let gate: Promise<void> | undefined;
  const store: TaskStore = Object.assign(Object.create(memory) as TaskStore, {
    peekMany: async (ids: readonly string[]): Promise<(Task | Unfinished | undefined)[]> => {
      asked.push([...ids]);
      const found = await memory.getMany(ids); // read first: a report may come before the reply does
      if (gate !== undefined) await gate;
      return found.map((t) => (t === undefined || t.status === "COMPLETED" ? t : { unfinished: true as const, id: t.id, tenant: t.tenant, status: t.status }));
    },
  });
  const peeks = new TaskPeeks(store, events, clock, 1000);
  const tasks = Array.from({ length: 3 }, (_, i) => newTask(`t-${i}`, "f-1", "[]", 1, 1000, clock.now()));
  const hold = (): (() => void) => {
    let release!: () => void;
    gate = new Promise((r) => (release = r));
    return () => {
      gate = undefined;
      release();
    };
  };
  /** The first task queued, and a read of it started and held on its way (`release` lets it answer). */
  const readOnItsWay = async () => {
    const t = tasks[0] as Task;
    await memory.enqueue([t], { maxQueue: 100 });
    const release = hold();
    const reading = peeks.read([t.id]);
    await Promise.resolve();
    return { t, release, reading };
  };
  /** Claims the next queued task and completes it (no report). */
  const complete = async (result = "1"): Promise<Task> => {
    const [claimed] = await memory.claim(1, new AbortController().signal);
    await memory.apply([{ taskId: claimed!.id, attempt: claimed!.attempt, status: "COMPLETED", result }]);
    return claimed!;
  };
  return { clock, memory, events, asked, peeks, tasks, hold, readOnItsWay, complete };
}

const statuses = (found: readonly (Task | Unfinished | undefined)[]) => found.map((t) => t?.status);

describe("TaskPeeks (what POST /wait reads)", () => {
  test("tasks read unfinished are not read again until reported ended; then only they are", async () => {
    const f = fixture();
    await f.memory.enqueue(f.tasks, { maxQueue: 100 });
    expect(statuses(await f.peeks.read(f.tasks.map((t) => t.id)))).toEqual(["QUEUED", "QUEUED", "QUEUED"]);
    expect(statuses(await f.peeks.read(f.tasks.map((t) => t.id)))).toEqual(["QUEUED", "QUEUED", "QUEUED"]);
    expect(f.asked).toEqual([["t-0", "t-1", "t-2"]]);
    const claimed = await f.complete();
    f.events.publish([claimed.id]);
    expect(statuses(await f.peeks.read(f.tasks.map((t) => t.id)))).toEqual(["COMPLETED", "QUEUED", "QUEUED"]);
    expect(f.asked[1]).toEqual([claimed.id]);
  });

  test("a task reported ended while the read was on its way is not remembered unfinished", async () => {
    const f = fixture();
    const { t, release, reading } = await f.readOnItsWay();
    await f.complete();
    f.events.publish([t.id]); // before the read's reply, which still says QUEUED
    release();
    expect(statuses(await reading)).toEqual(["QUEUED"]);
    expect(f.peeks.size()).toBe(0);
    expect(statuses(await f.peeks.read([t.id]))).toEqual(["COMPLETED"]);
  });

  test("what was read is trusted for the re-check period only, and never by a re-check (fresh)", async () => {
    const f = fixture();
    const [t] = f.tasks;
    await f.memory.enqueue([t!], { maxQueue: 100 });
    await f.peeks.read([t!.id]);
    await f.peeks.read([t!.id], { fresh: true });
    expect(f.asked.length).toBe(2);
    await f.complete(); // its report is lost
    expect(statuses(await f.peeks.read([t!.id]))).toEqual(["QUEUED"]);
    f.clock.advance(1000);
    expect(statuses(await f.peeks.read([t!.id]))).toEqual(["COMPLETED"]);
  });

  test("tasks this process just stored are known QUEUED without a read, unless reported ended while they were stored", async () => {
    const f = fixture();
    const [t, u] = f.tasks;
    const mark = f.peeks.mark();
    await f.memory.enqueue([t!, u!], { maxQueue: 100 });
    const claimed = await f.complete();
    f.events.publish([claimed.id]); // ended before the store's reply came back
    f.peeks.queued([t!, u!], mark);
    expect(statuses(await f.peeks.read([t!.id, u!.id]))).toEqual(["COMPLETED", "QUEUED"]);
    expect(f.asked).toEqual([[claimed.id]]);
  });

  test("a report that carries the finished tasks answers a read just after it, for the re-check period", async () => {
    const f = fixture();
    const [t] = f.tasks;
    await f.memory.enqueue([t!], { maxQueue: 100 });
    await f.complete("7");
    const done = (await f.memory.get(t!.id))!;
    f.events.publish([t!.id], new Map([[t!.id, done]]));
    expect(await f.peeks.read([t!.id])).toEqual([done]);
    expect(f.asked).toEqual([]);
    f.clock.advance(1000);
    expect(statuses(await f.peeks.read([t!.id]))).toEqual(["COMPLETED"]);
    expect(f.asked).toEqual([[t!.id]]);
  });

  test("when more reports came during a read than are remembered, what the read found is not kept (one of them may have been about it)", async () => {
    const f = fixture();
    const { t, release, reading } = await f.readOnItsWay();
    for (let i = 0; i < 250_000; i++) f.events.publish([`other-${i}`]);
    release();
    expect(statuses(await reading)).toEqual(["QUEUED"]);
    expect(f.peeks.size()).toBe(0);
    await f.peeks.read([t.id]); // now nothing is in between: kept
    expect(f.peeks.size()).toBe(1);
  });

  test("what is remembered is forgotten by age too: one to two half periods, however few tasks came", async () => {
    const f = fixture();
    const batch = (name: string) => Array.from({ length: 3 }, (_, i) => newTask(`${name}-${i}`, "f-1", "[]", 1, 1000, f.clock.now()));
    f.peeks.queued(batch("a"), f.peeks.mark());
    f.clock.advance(500);
    f.peeks.queued(batch("b"), f.peeks.mark()); // a's generation ends at half the period
    expect(f.peeks.size()).toBe(6);
    f.clock.advance(500);
    f.peeks.queued(batch("c"), f.peeks.mark()); // and is dropped at the next half: b and c are kept
    expect(f.peeks.size()).toBe(6);
    f.clock.advance(500);
    f.events.publish(["other"]); // a report ages the memory as well: c is kept
    expect(f.peeks.size()).toBe(3);
  });

  test("a store without peekMany is read every time", async () => {
    const clock = new FakeClock();
    const memory = new MemoryTaskStore({ clock, retentionMs: 60_000 });
    let reads = 0;
    const store = Object.assign(Object.create(memory) as TaskStore, { getMany: (ids: readonly string[]) => (reads++, memory.getMany(ids)) });
    const peeks = new TaskPeeks(store, new MemoryChannel(), clock, 1000);
    const t = newTask("t-x", "f-1", "[]", 1, 1000, clock.now());
    await memory.enqueue([t], { maxQueue: 100 });
    await peeks.read([t.id]);
    await peeks.read([t.id]);
    expect(reads).toBe(2);
  });
});
