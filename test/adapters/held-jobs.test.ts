/**
 * The jobs a remote worker holds (src/adapters/remote/held-jobs.ts): started as slots allow, the rest
 * waiting in arrival order; cancelled and finished attempts leave; quick ends counted; jobs from earlier
 * registrations counted busy; a drain takes the waiting ones, then all. The worker agent's own tests
 * (test/app/remote-modes.test.ts and others) run it over ZMTP.
 */
import { describe, expect, test } from "bun:test";
import { HeldJobs } from "../../src/adapters/remote/held-jobs.ts";
import type { Outcome } from "../../src/domain/outcome.ts";
import type { Job } from "../../src/domain/ports.ts";
import { PREFETCH_SPAN_MS } from "../../src/domain/prefetch.ts";
import { FakeExecutor } from "../helpers/fake-executor.ts";

const job = (taskId: string, attempt = 1): Job => ({ taskId, tenant: "default", attempt, functionId: "f", code: "() => 1", args: "[]", timeoutMs: 1000 });
const returned = (taskId: string, attempt = 1): Outcome => ({ taskId, attempt, kind: "returned", value: "1" });

describe("HeldJobs", () => {
  test("starts as many as the executor has slots for; the rest wait and start in arrival order as slots free", () => {
    const ex = new FakeExecutor(2);
    const held = new HeldJobs(ex);
    held.add([job("a"), job("b"), job("c"), job("d")], 1, 0);
    expect(ex.received.map((j) => j.taskId)).toEqual(["a", "b"]);
    expect([held.size, held.received, held.maxHeld]).toEqual([4, 4, 4]);
    ex.report([returned("a")]);
    held.finished([returned("a")], 1);
    held.startWaiting();
    expect(ex.received.map((j) => j.taskId)).toEqual(["a", "b", "c"]);
    expect(held.size).toBe(3);
  });

  test("a cancelled attempt leaves: stopped if it runs, skipped if it waits, and its outcome is not reported", () => {
    const ex = new FakeExecutor(1);
    const held = new HeldJobs(ex);
    held.add([job("a"), job("b"), job("c")], 1, 0);
    expect(held.cancel("b", 1)).toBe(true);
    expect(held.cancel("b", 1)).toBe(false);
    expect(held.cancel("a", 2)).toBe(false); // another attempt of a held task
    expect(held.cancel("a", 1)).toBe(true);
    expect(ex.stopped).toEqual(["b", "a"]);
    held.startWaiting();
    expect(ex.received.map((j) => j.taskId)).toEqual(["a", "c"]);
    expect(held.finished([returned("a"), returned("c")], 1).mine.map((o) => o.taskId)).toEqual(["c"]);
    expect(held.size).toBe(0);
  });

  test("outcomes of held attempts are reported once; those ended within the prefetch span of arrival count as quick", () => {
    const ex = new FakeExecutor(10);
    const held = new HeldJobs(ex);
    held.add([job("a"), job("b")], 1, 1000);
    held.add([job("c")], 1, 1000 + PREFETCH_SPAN_MS);
    const lost: Outcome = { taskId: "c", attempt: 1, kind: "lost", reason: "executor died" };
    const first = held.finished([returned("a"), returned("b", 2), lost], 1000 + PREFETCH_SPAN_MS - 1);
    expect(first.mine.map((o) => o.taskId)).toEqual(["a", "c"]);
    expect(first.quick).toBe(1); // a, within the span of its arrival; c was lost
    const second = held.finished([returned("b"), returned("a")], 1000 + PREFETCH_SPAN_MS);
    expect(second.mine.map((o) => o.taskId)).toEqual(["b"]);
    expect(second.quick).toBe(0); // b: a whole span after it arrived
    expect(held.finished([returned("x")], 0).mine).toEqual([]);
  });

  test("jobs held from earlier registrations are busy in a later one", () => {
    const held = new HeldJobs(new FakeExecutor(10));
    held.add([job("a"), job("b")], 1, 0);
    held.add([job("c")], 2, 0);
    expect(held.busyBefore(2)).toBe(2);
    expect(held.busyBefore(3)).toBe(3);
    expect(held.busyBefore(1)).toBe(1);
  });

  test("a drain takes the waiting jobs first, then every held one, stopping those that run", () => {
    const ex = new FakeExecutor(1);
    const held = new HeldJobs(ex);
    held.add([job("a"), job("b"), job("c")], 1, 0);
    held.cancel("c", 1);
    expect(held.takeWaiting().map((j) => j.taskId)).toEqual(["b"]);
    expect(held.size).toBe(1);
    expect(held.takeAll().map((j) => j.taskId)).toEqual(["a"]);
    expect(ex.stopped).toEqual(["c", "a"]);
    expect(held.size).toBe(0);
    held.startWaiting();
    expect(ex.received.map((j) => j.taskId)).toEqual(["a"]);
  });
});
