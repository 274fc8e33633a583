/**
 * TaskWaiters: long-polls resolved by reports of tasks ending, or by their time running out. Waiters
 * are found by task id, so a report reaches exactly the requests waiting on the tasks it names.
 */
import { describe, expect, test } from "bun:test";
import { TaskWaiters } from "../../src/domain/task-waiters.ts";
import type { TaskEvents } from "../../src/domain/ports.ts";
import type { Task } from "../../src/domain/task.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

/** TaskEvents whose reports the test sends by hand. */
function events(): TaskEvents & { report: (ids: string[]) => void } {
  const listeners = new Set<(ids: readonly string[], finished?: ReadonlyMap<string, Task>) => void>();
  return {
    publish: () => {},
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    report: (ids) => {
      for (const l of listeners) l(ids);
    },
  };
}

describe("TaskWaiters", () => {
  test("a report wakes the requests waiting on the tasks it names, each with its own ids, and no others", async () => {
    const ev = events();
    const waiters = new TaskWaiters(ev, new FakeClock(0));
    const a = waiters.waitFor(["t1", "t2", "t3"], 1000);
    const b = waiters.waitFor(["t3", "t4"], 1000);
    const c = waiters.waitFor("t4", 1000);
    const d = waiters.waitFor(["t5", "t6"], 1000);
    expect(waiters.size()).toBe(4);
    ev.report(["t3", "t2", "t9"]);
    expect((await a.done)?.ids).toEqual(["t3", "t2"]);
    expect((await b.done)?.ids).toEqual(["t3"]);
    expect(waiters.size()).toBe(2); // c and d wait on
    ev.report(["t4"]);
    expect((await c.done)?.ids).toEqual(["t4"]);
    d.cancel();
    expect(await d.done).toBeUndefined();
    expect(waiters.size()).toBe(0);
  });

  test("a request whose time is up resolves undefined and is forgotten: a later report of its tasks reaches only the others", async () => {
    const ev = events();
    const clock = new FakeClock(0);
    const waiters = new TaskWaiters(ev, clock);
    const early = waiters.waitFor(["t1", "t2"], 100);
    const late = waiters.waitFor(["t2"], 1000);
    clock.advance(100);
    expect(await early.done).toBeUndefined();
    expect(waiters.size()).toBe(1);
    ev.report(["t1", "t2"]);
    expect((await late.done)?.ids).toEqual(["t2"]);
    expect(waiters.size()).toBe(0);
    ev.report(["t1", "t2"]); // nobody waits: nothing to do
  });

  test("close resolves every waiting request undefined", async () => {
    const ev = events();
    const waiters = new TaskWaiters(ev, new FakeClock(0));
    const many = waiters.waitFor(["t1", "t2"], 1000);
    const one = waiters.waitFor("t1", 1000);
    waiters.close();
    expect([await many.done, await one.done]).toEqual([undefined, undefined]);
    expect(waiters.size()).toBe(0);
  });

  test("a watch stays registered across reports: next() hands over what was heard since the last call, or undefined when its time is up", async () => {
    const ev = events();
    const clock = new FakeClock(0);
    const waiters = new TaskWaiters(ev, clock);
    const w = waiters.watch(["t1", "t2", "t3"]);
    expect(waiters.size()).toBe(1);
    ev.report(["t2", "t9"]); // heard before anyone asks: kept for the next call
    ev.report(["t1"]);
    expect((await w.next(1000))?.ids).toEqual(["t2", "t1"]);
    const waiting = w.next(1000);
    ev.report(["t3"]);
    expect((await waiting)?.ids).toEqual(["t3"]);
    const quiet = w.next(50);
    clock.advance(50);
    expect(await quiet).toBeUndefined();
    expect(waiters.size()).toBe(1); // still watching after a quiet spell
    w.cancel();
    expect(waiters.size()).toBe(0);
    expect(await w.next(1000)).toBeUndefined(); // ended: answers at once
    const other = waiters.waitFor(["t1"], 1000);
    ev.report(["t1"]); // reaches only the waiter still registered
    expect((await other.done)?.ids).toEqual(["t1"]);
  });

  test("a watch keeps the finished tasks a report carried, and ends when the waiters close", async () => {
    const listeners = new Set<(ids: readonly string[], finished?: ReadonlyMap<string, Task>) => void>();
    const ev: TaskEvents = { publish: () => {}, subscribe: (l) => (listeners.add(l), () => listeners.delete(l)) };
    const waiters = new TaskWaiters(ev, new FakeClock(0));
    const w = waiters.watch(["t1", "t2"]);
    const t1 = { id: "t1", status: "COMPLETED" } as Task;
    for (const l of listeners) l(["t1", "t5"], new Map([["t1", t1], ["t5", { id: "t5" } as Task]]));
    const heard = await w.next(1000);
    expect(heard?.ids).toEqual(["t1"]);
    expect([...(heard?.tasks.keys() ?? [])]).toEqual(["t1"]); // only its own
    const waiting = w.next(1000);
    waiters.close();
    expect(await waiting).toBeUndefined();
    expect(waiters.size()).toBe(0);
  });
});

