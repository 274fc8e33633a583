import { describe, expect, spyOn, test } from "bun:test";
import { MemoryChannel, MemoryFunctionStore, MemoryTaskStore } from "../../src/adapters/memory/index.ts";
import type { SourceChecker } from "../../src/domain/ports.ts";
import { err, ok } from "../../src/domain/result.ts";
import { FunctionService } from "../../src/domain/function-service.ts";
import { TaskService } from "../../src/domain/task-service.ts";
import { TaskWaiters } from "../../src/domain/task-waiters.ts";
import { counterIds, drainMicrotasks, FakeClock } from "../helpers/fake-clock.ts";

/** The tenant every call of these tests is made as. */
const T = "default";

/** A checker that accepts sources starting with "(" and rejects the rest. */
const checker: SourceChecker = {
  check: (src) => (src.startsWith("(") ? ok(src) : err({ kind: "InvalidFunction", message: "not a function", arg: { name: "source" } })),
};

function setup(maxQueue = 1000) {
  const clock = new FakeClock();
  const tasks = new MemoryTaskStore({ clock, retentionMs: 1000 });
  const events = new MemoryChannel();
  const cancels = new MemoryChannel();
  const store = new MemoryFunctionStore();
  const ids = counterIds();
  const service = new TaskService({ functions: store, tasks, events, cancels, ids, clock, maxQueue });
  const functions = new FunctionService({ functions: store, ids, clock, checker });
  return { clock, tasks, events, cancels, service, functions };
}

async function finish(s: ReturnType<typeof setup>, result = "5"): Promise<string[]> {
  const claimed = await s.tasks.claim(100, new AbortController().signal);
  const applied = await s.tasks.apply(claimed.map((t) => ({ taskId: t.id, attempt: t.attempt, status: "COMPLETED" as const, result })));
  s.events.publish(applied.map((t) => t.id));
  return applied.map((t) => t.id);
}

/** Two tasks of a registered function, queued: their ids. */
async function twoQueued(s: ReturnType<typeof setup>): Promise<string[]> {
  const fn = await s.functions.register({ tenant: T, name: "f", source: "(x) => x" });
  if (!fn.ok) throw new Error("register failed");
  const ids = await s.service.executeBatch(T, fn.value.id, ["[1]", "[2]"]);
  if (!ids.ok) throw new Error("execute failed");
  return ids.value;
}

/** Claims the oldest queued task and ends it COMPLETED in the store (no report): its id. */
async function completeOldest(s: ReturnType<typeof setup>): Promise<string> {
  const [first] = await s.tasks.claim(1, new AbortController().signal);
  await s.tasks.apply([{ taskId: first!.id, attempt: 1, status: "COMPLETED", result: "1" }]);
  return first!.id;
}

describe("TaskService", () => {
  test("register applies defaults, names the bad option, and rejects what the checker rejects", async () => {
    const s = setup();
    const fn = await s.functions.register({ tenant: T, name: "add", source: "(a, b) => a + b" });
    expect(fn.ok && fn.value.timeoutMs === 60_000 && fn.value.maxAttempts === 3).toBe(true);
    const bad = await s.functions.register({ tenant: T, name: "x", source: "1 + 2" });
    expect(bad.ok ? "" : bad.error.kind).toBe("InvalidFunction");
    const badTimeout = await s.functions.register({ tenant: T, name: "x", source: "(x) => 1", timeoutMs: 0 });
    expect(badTimeout.ok ? undefined : badTimeout.error).toMatchObject({ kind: "InvalidRequest", arg: { name: "timeoutMs" } });
    const badAttempts = await s.functions.register({ tenant: T, name: "x", source: "(x) => 1", maxAttempts: 101 });
    expect(badAttempts.ok ? undefined : badAttempts.error).toMatchObject({ kind: "InvalidRequest", arg: { name: "maxAttempts" } });
  });

  test("every registration is a new function, even with the same name", async () => {
    const s = setup();
    const a = await s.functions.register({ tenant: T, name: "same", source: "() => 1" });
    const b = await s.functions.register({ tenant: T, name: "same", source: "() => 1" });
    expect(a.ok && b.ok && a.value.id !== b.value.id).toBe(true);
    expect((await s.functions.list(T)).length).toBe(2);
  });

  test("execute checks the function and the argument array", async () => {
    const s = setup();
    const unknown = await s.service.execute(T, "nope", "[]");
    expect(unknown.ok ? "" : unknown.error.kind).toBe("UnknownFunction");
    const fn = await s.functions.register({ tenant: T, name: "f", source: "(x) => x" });
    if (!fn.ok) throw new Error("register failed");
    for (const bad of ["{}", "not json", "3", 5]) {
      const r = await s.service.execute(T, fn.value.id, bad);
      expect(r.ok ? "" : r.error.kind).toBe("InvalidRequest");
    }
    const id = await s.service.execute(T, fn.value.id, "[1]");
    expect(id.ok).toBe(true);
    if (id.ok) expect((await s.service.task(T, id.value)).ok).toBe(true);
  });

  test("a batch is all or nothing and names the bad index", async () => {
    const s = setup();
    const fn = await s.functions.register({ tenant: T, name: "f", source: "(x) => x" });
    if (!fn.ok) throw new Error("register failed");
    const r = await s.service.executeBatch(T, fn.value.id, ["[1]", "[2]", "{}", "[4]"]);
    expect(r.ok).toBe(false);
    expect(r.ok ? undefined : r.error).toMatchObject({ kind: "InvalidRequest", arg: { name: "args", index: 2 } });
    expect(await s.tasks.queueDepth()).toBe(0);
    const okBatch = await s.service.executeBatch(T, fn.value.id, ["[1]", "[2]"]);
    expect(okBatch.ok && okBatch.value.length === 2).toBe(true);
    const tooMany = await s.service.executeBatch(T, fn.value.id, Array.from({ length: 10_001 }, () => "[]"));
    expect(tooMany.ok).toBe(false);
  });

  test("a full queue refuses with QueueFull", async () => {
    const s = setup(2);
    const fn = await s.functions.register({ tenant: T, name: "f", source: "(x) => x" });
    if (!fn.ok) throw new Error("register failed");
    expect((await s.service.executeBatch(T, fn.value.id, ["[1]", "[2]"])).ok).toBe(true);
    const r = await s.service.execute(T, fn.value.id, "[3]");
    expect(r.ok ? "" : r.error.kind).toBe("QueueFull");
  });

  test("awaitTask answers as soon as the task is terminal", async () => {
    const s = setup();
    const fn = await s.functions.register({ tenant: T, name: "f", source: "(x) => x" });
    if (!fn.ok) throw new Error("register failed");
    const id = await s.service.execute(T, fn.value.id, "[1]");
    if (!id.ok) throw new Error("execute failed");
    const waiting = s.service.awaitTask(T, id.value, 30_000);
    await drainMicrotasks(); // let the waiter register
    await finish(s, "42");
    const t = await waiting;
    expect(t.ok && t.value.status === "COMPLETED" && t.value.result === "42").toBe(true);
    expect(s.clock.pendingTimers()).toBe(0);
  });

  test("awaitTask answered by a report that carries the finished task does not read the task again", async () => {
    const s = setup();
    const fn = await s.functions.register({ tenant: T, name: "f", source: "(x) => x" });
    if (!fn.ok) throw new Error("register");
    const id = await s.service.execute(T, fn.value.id, "[1]");
    if (!id.ok) throw new Error("execute");
    let reads = 0;
    const get = s.tasks.get.bind(s.tasks);
    s.tasks.get = async (taskId: string) => (reads++, get(taskId));
    const waiting = s.service.awaitTask(T, id.value, 30_000);
    await drainMicrotasks();
    expect(reads).toBe(1); // the one read after registering the waiter
    const [running] = await s.tasks.claim(1, new AbortController().signal);
    const [done] = await s.tasks.apply([{ taskId: id.value, attempt: running!.attempt, status: "COMPLETED", result: "7" }]);
    const delivered = new Map([[id.value, { ...done!, result: "7 (as delivered)" }]]);
    s.events.publish([id.value], delivered);
    const r = await waiting;
    expect(r.ok && r.value.result).toBe("7 (as delivered)");
    expect(reads).toBe(1);
  });

  test("executeAndAwait waits from before the task is stored: no read when the report carries it; a read only at the deadline", async () => {
    const s = setup();
    const fn = await s.functions.register({ tenant: T, name: "f", source: "(x) => x" });
    if (!fn.ok) throw new Error("register");
    let reads = 0;
    const get = s.tasks.get.bind(s.tasks);
    s.tasks.get = async (taskId: string) => (reads++, get(taskId));
    const waiting = s.service.executeAndAwait(T, fn.value.id, "[1]", {}, 30_000);
    await drainMicrotasks();
    const [running] = await s.tasks.claim(1, new AbortController().signal);
    const [done] = await s.tasks.apply([{ taskId: running!.id, attempt: running!.attempt, status: "COMPLETED", result: "7" }]);
    s.events.publish([running!.id], new Map([[running!.id, done!]]));
    const r = await waiting;
    expect(r.ok && [r.value.id, r.value.task?.status, r.value.task?.result]).toEqual([running!.id, "COMPLETED", "7"]);
    expect(reads).toBe(0);
    const late = s.service.executeAndAwait(T, fn.value.id, "[2]", {}, 1_000);
    await drainMicrotasks();
    s.clock.advance(1_000);
    const timedOut = await late;
    expect(timedOut.ok && timedOut.value.task?.status).toBe("QUEUED");
    expect(reads).toBe(1);
    expect((await s.service.executeAndAwait(T, "no-such-function", "[1]", {}, 1_000)).ok).toBe(false);
  });

  test("awaitTask gives up after the wait with the current status", async () => {
    const s = setup();
    const fn = await s.functions.register({ tenant: T, name: "f", source: "(x) => x" });
    if (!fn.ok) throw new Error("register failed");
    const id = await s.service.execute(T, fn.value.id, "[1]");
    if (!id.ok) throw new Error("execute failed");
    let settled = false;
    const waiting = s.service.awaitTask(T, id.value, 5_000).then((r) => ((settled = true), r));
    await drainMicrotasks();
    s.clock.advance(4_999);
    await drainMicrotasks();
    expect(settled).toBe(false);
    s.clock.advance(1);
    const t = await waiting;
    expect(t.ok && t.value.status === "QUEUED").toBe(true);
  });

  test("awaitAny returns the terminal tasks and lists pending and unknown ids", async () => {
    const s = setup();
    const ids = await twoQueued(s);
    const waiting = s.service.awaitAny(T, [...ids, "ghost"], 10_000);
    await drainMicrotasks();
    const first = await completeOldest(s);
    s.events.publish([first]);
    const r = await waiting;
    if (!r.ok) throw new Error("awaitAny failed");
    expect(r.value.done.map((t) => t.id)).toEqual([first]);
    expect(r.value.pending).toEqual([ids[1]!]);
    expect(r.value.unknown).toEqual(["ghost"]);
  });

  test("awaitAny answers a call with a task already ended without registering a waiter", async () => {
    const s = setup();
    const ids = await twoQueued(s);
    const first = await completeOldest(s);
    const registered = spyOn(TaskWaiters.prototype, "waitFor");
    try {
      const r = await s.service.awaitAny(T, ids, 10_000);
      expect(r.ok && r.value.done.map((t) => t.id)).toEqual([first]);
      expect(registered).not.toHaveBeenCalled();
      // nothing ended: it waits, on the pending ids only
      const rest = s.service.awaitAny(T, [ids[1]!], 10_000);
      await drainMicrotasks();
      expect(registered).toHaveBeenCalledTimes(1);
      expect(s.service.waitingCount()).toBe(1);
      await finish(s);
      const r2 = await rest;
      expect(r2.ok && r2.value.done.map((t) => t.id)).toEqual([ids[1]!]);
    } finally {
      registered.mockRestore();
    }
  });

  test("awaitAny woken by a report answers without registering again; a report of a task not ended keeps it waiting", async () => {
    const s = setup();
    const ids = await twoQueued(s);
    const registered = spyOn(TaskWaiters.prototype, "waitFor");
    try {
      const waiting = s.service.awaitAny(T, ids, 10_000);
      await drainMicrotasks();
      expect(registered).toHaveBeenCalledTimes(1);
      s.events.publish([ids[0]!]); // a report of a task still QUEUED (as a stray one would be): nothing to answer with
      await drainMicrotasks();
      expect(registered).toHaveBeenCalledTimes(2); // waits on, registered again
      expect(s.service.waitingCount()).toBe(1);
      const first = await completeOldest(s);
      s.events.publish([first]);
      const r = await waiting;
      expect(r.ok && r.value.done.map((t) => t.id)).toEqual([first]);
      expect(r.ok && r.value.pending).toEqual([ids[1]!]);
      expect(registered).toHaveBeenCalledTimes(2); // answered: no waiter registered only to be taken off
      expect(s.service.waitingCount()).toBe(0);
    } finally {
      registered.mockRestore();
    }
  });

  test("awaitAny: a task that ends between its read and the waiter's registration is answered at once", async () => {
    const s = setup();
    const [id] = await twoQueued(s);
    const [running] = await s.tasks.claim(1, new AbortController().signal); // the oldest: id
    const read = s.tasks.getMany.bind(s.tasks);
    let reads = 0;
    s.tasks.getMany = async (ids) => {
      const seen = await read(ids);
      if (reads++ === 0) {
        // the task ends right after the first read, before any waiter is registered: its report is missed
        await s.tasks.apply([{ taskId: running!.id, attempt: 1, status: "COMPLETED", result: "1" }]);
        s.events.publish([running!.id]);
      }
      return seen;
    };
    const started = s.clock.now();
    const r = await s.service.awaitAny(T, [id!], 10_000); // with the fake clock, a wait would never end
    expect(r.ok && r.value.done.map((t) => [t.id, t.status])).toEqual([[id!, "COMPLETED"]]);
    expect(s.clock.now()).toBe(started);
    expect(reads).toBe(2);
  });

  test("awaitAll answers once every listed task is terminal, in the order listed, with one registration however many reports come", async () => {
    const s = setup();
    const fn = await s.functions.register({ tenant: T, name: "f", source: "(x) => x" });
    if (!fn.ok) throw new Error("register failed");
    const ids = await s.service.executeBatch(T, fn.value.id, ["[1]", "[2]", "[3]"]);
    if (!ids.ok) throw new Error("execute failed");
    const watched = spyOn(TaskWaiters.prototype, "watch");
    const registered = spyOn(TaskWaiters.prototype, "waitFor");
    try {
      let answered = false;
      const waiting = s.service.awaitAll(T, [...ids.value, "ghost"], 10_000).then((r) => ((answered = true), r));
      await drainMicrotasks();
      const first = await completeOldest(s);
      s.events.publish([first]);
      await drainMicrotasks();
      expect(answered).toBe(false); // two still running or queued
      s.events.publish([ids.value[1]!]); // a report of a task not ended: nothing changes
      await drainMicrotasks();
      expect(answered).toBe(false);
      await finish(s); // the other two, in one report
      const r = await waiting;
      if (!r.ok) throw new Error("awaitAll failed");
      expect(r.value.done.map((t) => [t.id, t.status])).toEqual(ids.value.map((id) => [id, "COMPLETED"]));
      expect(r.value.pending).toEqual([]);
      expect(r.value.unknown).toEqual(["ghost"]);
      expect(watched).toHaveBeenCalledTimes(1);
      expect(registered).not.toHaveBeenCalled();
      expect(s.service.waitingCount()).toBe(0);
    } finally {
      watched.mockRestore();
      registered.mockRestore();
    }
  });

  test("awaitAll at its deadline answers what ended by then, the rest pending; with everything ended it answers at once", async () => {
    const s = setup();
    const ids = await twoQueued(s);
    const waiting = s.service.awaitAll(T, ids, 500); // (the store keeps finished tasks 1 s)
    await drainMicrotasks();
    const first = await completeOldest(s);
    s.events.publish([first]);
    await drainMicrotasks();
    s.clock.advance(500);
    const r = await waiting;
    expect(r.ok && [r.value.done.map((t) => t.id), r.value.pending]).toEqual([[first], [ids[1]!]]);
    expect(s.service.waitingCount()).toBe(0);
    await finish(s);
    const again = await s.service.awaitAll(T, ids, 5_000);
    expect(again.ok && again.value.done.map((t) => t.id)).toEqual(ids);
  });

  test("awaitAll: a task that ends between the first read and the watch, unreported, is still seen (the read after registering)", async () => {
    const s = setup();
    const [id] = await twoQueued(s);
    const [running] = await s.tasks.claim(1, new AbortController().signal);
    const read = s.tasks.getMany.bind(s.tasks);
    let reads = 0;
    s.tasks.getMany = async (ids) => {
      const seen = await read(ids);
      if (reads++ === 0) await s.tasks.apply([{ taskId: running!.id, attempt: 1, status: "COMPLETED", result: "1" }]); // and no report
      return seen;
    };
    const started = s.clock.now();
    const r = await s.service.awaitAll(T, [id!], 10_000);
    expect(r.ok && r.value.done.map((t) => [t.id, t.status])).toEqual([[id!, "COMPLETED"]]);
    expect(s.clock.now()).toBe(started);
  });

  test("awaitAll refuses more ids than a batch holds, and another tenant's tasks are unknown to it", async () => {
    const s = setup();
    const ids = await twoQueued(s);
    const tooMany = await s.service.awaitAll(T, Array.from({ length: 10_001 }, (_, i) => `t${i}`), 1000);
    expect(tooMany.ok ? "" : tooMany.error.kind).toBe("InvalidRequest");
    const r = await s.service.awaitAll("bob", ids, 0);
    expect(r.ok && r.value.unknown).toEqual(ids);
  });

  test("cancel makes the task CANCELLED, wakes its long-polls, signals dispatchers; errors for terminal and unknown", async () => {
    const s = setup();
    const fn = await s.functions.register({ tenant: T, name: "f", source: "(x) => x" });
    if (!fn.ok) throw new Error("register failed");
    const id = await s.service.execute(T, fn.value.id, "[1]");
    if (!id.ok) throw new Error("execute failed");
    const signalled: string[] = [];
    s.cancels.subscribe((ids) => signalled.push(...ids));
    const waiting = s.service.awaitTask(T, id.value, 30_000);
    await drainMicrotasks();
    expect(s.service.waitingCount()).toBe(1);
    const c = await s.service.cancel(T, id.value);
    expect(c.ok && c.value.status === "CANCELLED" && c.value.result === null).toBe(true);
    const t = await waiting; // no time passed: the cancel woke it
    expect(t.ok && t.value.status === "CANCELLED").toBe(true);
    expect(signalled).toEqual([id.value]);
    const again = await s.service.cancel(T, id.value);
    expect(again.ok ? "" : again.error).toEqual({ kind: "AlreadyTerminal", taskId: id.value, status: "CANCELLED" });
    const unknown = await s.service.cancel(T, "ghost");
    expect(unknown.ok ? "" : unknown.error.kind).toBe("UnknownTask");
    expect(signalled).toEqual([id.value]);
  });
});
