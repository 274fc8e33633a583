import { describe, expect, test } from "bun:test";
import { appendResults, settleDependency } from "../../src/domain/dependencies.ts";
import { checkExecuteOptions } from "../../src/domain/execute-options.ts";
import { decide } from "../../src/domain/outcome.ts";
import { rank, shareOut } from "../../src/domain/queue-order.ts";
import { checkRetryPolicy, nextRetry } from "../../src/domain/retry-policy.ts";
import { checkGraph } from "../../src/domain/task-graph.ts";
import { applyTransition, newTask, spentAttempts, startAttempt } from "../../src/domain/task.ts";
import { limitsOf, parseTenantLimits, TokenBucket } from "../../src/domain/tenant-limits.ts";

const policy = (p: Parameters<typeof checkRetryPolicy>[0]) => {
  const r = checkRetryPolicy(p);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
};

describe("retry policies", () => {
  test("defaults, and bad values named", () => {
    expect(policy({ maxRetries: 2 })).toEqual({ maxRetries: 2, backoffMs: 1000, factor: 2, maxBackoffMs: 60_000 });
    const cases: [Parameters<typeof checkRetryPolicy>[0], string][] = [
      [{ maxRetries: -1 }, "maxRetries"],
      [{ maxRetries: 101 }, "maxRetries"],
      [{ maxRetries: 1, factor: 0.5 }, "factor"],
      [{ maxRetries: 1, backoffMs: 100, maxBackoffMs: 50 }, "maxBackoffMs"],
      [{ maxRetries: 1, on: [""] }, "on"],
    ];
    for (const [bad, part] of cases) {
      const r = checkRetryPolicy(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatchObject({ kind: "InvalidRequest", arg: { name: "retry", part } });
      // The domain names the key by its own name; the REST spelling (max_backoff_ms) is the HTTP adapter's.
      if (!r.ok && r.error.kind === "InvalidRequest") expect(r.error.message).not.toMatch(/[a-z]_[a-z]|retry:/);
    }
  });

  test("exponential backoff, capped, with ±50% jitter; used up after maxRetries; TimeoutError only when named", () => {
    const p = policy({ maxRetries: 4, backoffMs: 100, factor: 3, maxBackoffMs: 500 });
    expect([0, 1, 2, 3].map((n) => nextRetry(p, n, "Error", () => 0.5)?.delayMs)).toEqual([100, 300, 500, 500]);
    expect(nextRetry(p, 0, "Error", () => 0)?.delayMs).toBe(50);
    expect(nextRetry(p, 0, "Error", () => 0.999)?.delayMs).toBe(150);
    expect(nextRetry(p, 4, "Error", () => 0.5)).toBeUndefined();
    expect(nextRetry(p, 0, "TimeoutError", () => 0.5)).toBeUndefined();
    const named = policy({ maxRetries: 1, on: ["TimeoutError"] });
    expect(nextRetry(named, 0, "TimeoutError", () => 0.5)).toEqual({ delayMs: 1000 });
    expect(nextRetry(named, 0, "TypeError", () => 0.5)).toBeUndefined();
  });

  test("a thrown error the policy covers re-queues the task after the backoff, the error kept; retries do not spend max_attempts", () => {
    const t = startAttempt(newTask("t", "f", "[]", 2, 1000, 0, "default", { retry: policy({ maxRetries: 1, backoffMs: 100 }) }), 0);
    const error = { name: "Error", message: "x", stack: "" };
    const tr = decide(t, { taskId: "t", attempt: 1, kind: "threw", error }, () => 0.5);
    expect(tr).toEqual({ taskId: "t", attempt: 1, status: "QUEUED", result: JSON.stringify(error), retryInMs: 100 });
    const requeued = applyTransition(t, tr, 10)!;
    expect(requeued).toMatchObject({ status: "QUEUED", retries: 1, runAt: 110 });
    expect(spentAttempts(requeued)).toBe(0);
    const again = startAttempt(requeued, 110);
    expect(decide(again, { taskId: "t", attempt: 2, kind: "threw", error }).status).toBe("FAILED"); // retries used up
    expect(decide(again, { taskId: "t", attempt: 2, kind: "lost", reason: "gone" }).status).toBe("QUEUED"); // 1 of 2 attempts spent: the retry did not count
  });
});

describe("execute options", () => {
  test("priority, delay or run_at, retry, after and args_from become task options; the function's policy applies unless the call names one", () => {
    const fnRetry = policy({ maxRetries: 1 });
    expect(checkExecuteOptions({ priority: 9, delayMs: 500, after: ["a"], argsFrom: "results" }, fnRetry, 1000)).toEqual({ ok: true, value: { priority: 9, runAt: 1500, retry: fnRetry, after: ["a"], argsFrom: "results" } });
    expect(checkExecuteOptions({ retry: { maxRetries: 0 } }, fnRetry, 0)).toMatchObject({ ok: true, value: { retry: { maxRetries: 0 } } });
  });

  test("bad options are refused naming the option", () => {
    const named = (o: Parameters<typeof checkExecuteOptions>[0]) => {
      const r = checkExecuteOptions(o, undefined, 0);
      return r.ok ? "ok" : r.error.kind === "InvalidRequest" ? r.error.arg?.name : r.error.kind;
    };
    expect(named({ priority: 10 })).toBe("priority");
    expect(named({ priority: 1.5 })).toBe("priority");
    expect(named({ delayMs: 1, runAt: 1 })).toBe("delay");
    expect(named({ delayMs: -1 })).toBe("delay");
    expect(named({ runAt: Number.NaN })).toBe("runAt");
    expect(named({ after: ["a", "a"] })).toBe("after");
    expect(named({ argsFrom: "results" })).toBe("argsFrom");
    expect(named({ timeoutMs: 0 })).toBe("timeoutMs");
  });
});

describe("queue order and fair shares", () => {
  test("rank: FIFO among equals, urgent first, and aging lets an old task pass a newer urgent one", () => {
    expect(rank(5, 1000, 30_000)).toBeLessThan(rank(5, 2000, 30_000));
    expect(rank(9, 60_000, 30_000)).toBeLessThan(rank(5, 0, 30_000));
    expect(rank(5, 0, 30_000)).toBeLessThan(rank(9, 130_000, 30_000));
  });

  test("shareOut goes round-robin, never past what a tenant has", () => {
    expect(shareOut(new Map([["a", 100], ["b", 1]]), 10)).toEqual(new Map([["a", 9], ["b", 1]]));
    expect(shareOut(new Map([["a", 2], ["b", 2]]), 10)).toEqual(new Map([["a", 2], ["b", 2]]));
    expect(shareOut(new Map([["a", 5], ["b", 5], ["c", 5]]), 4)).toEqual(new Map([["a", 2], ["b", 1], ["c", 1]]));
  });
});

describe("tenant limits", () => {
  test("parse: a tenant's own limits over *; bad parts named", () => {
    const t = parseTenantLimits("*:queued=100,running=8; alice:rate=2.5");
    expect(t.ok).toBe(true);
    if (!t.ok) return;
    expect(limitsOf(t.value, "alice")).toEqual({ maxQueued: 100, maxRunning: 8, ratePerSec: 2.5 });
    expect(limitsOf(t.value, "bob")).toEqual({ maxQueued: 100, maxRunning: 8 });
    for (const bad of ["alice", "alice:speed=3", "alice:running=0", "alice:queued=1.5", "Bad Name:queued=1"]) expect(parseTenantLimits(bad).ok).toBe(false);
    expect(parseTenantLimits(undefined)).toEqual({ ok: true, value: new Map() });
  });

  test("a token bucket refills at its rate, holds at most one second's worth", () => {
    const b = new TokenBucket(4, 0);
    expect(b.available(0)).toBe(4);
    b.take(4, 0);
    expect(b.waitMs(0)).toBe(250);
    expect(b.available(500)).toBe(2);
    expect(b.available(10_000)).toBe(4);
  });

  test("a bucket of less than one token a second starts with one and saves up to one, so it still starts tasks", () => {
    const b = new TokenBucket(0.25, 0);
    expect(b.available(0)).toBe(1);
    b.take(1, 0);
    expect(b.waitMs(0)).toBe(4000);
    expect(b.available(3999)).toBe(0);
    expect(b.available(4000)).toBe(1);
    expect(b.available(60_000)).toBe(1);
  });
});

describe("dependencies", () => {
  test("results are appended to the arguments as JSON text, in order", () => {
    expect(appendResults("[1]", ["2", '{"a":3}'])).toBe('[1,2,{"a":3}]');
    expect(appendResults("[ ]", ["null"])).toBe("[null]");
    expect(appendResults(' [ "x" ] ', [])).toBe(' [ "x" ] ');
  });

  test("the last COMPLETED dependency makes the task ready; a failed or gone one fails it naming it; repeats are no-ops", () => {
    const t = newTask("t", "f", "[0]", 3, 1000, 0, "default", { after: ["a", "b"], argsFrom: "results" });
    const one = settleDependency(t, "b", "COMPLETED", "2", new Map(), 5);
    expect(one.kind).toBe("waiting");
    expect(one.task.blockedBy).toBe(1);
    expect(settleDependency(one.task, "b", "COMPLETED", "2", one.results, 6).task).toBe(one.task);
    const two = settleDependency(one.task, "a", "COMPLETED", "1", one.results, 7);
    expect(two).toMatchObject({ kind: "ready", task: { blockedBy: 0, args: "[0,1,2]", runAt: 7 } });
    const failed = settleDependency(t, "a", "CANCELLED", null, new Map(), 9);
    expect(failed.kind).toBe("failed");
    expect(JSON.parse(failed.task.result!)).toMatchObject({ name: "DependencyFailed", message: "Task a ended CANCELLED; this task needed it to COMPLETE" });
    expect(JSON.parse(settleDependency(t, "b", undefined, null, new Map(), 9).task.result!).message).toContain("is gone");
  });

  test("graphs: an order that runs dependencies first; cycles, duplicates and bad names refused", () => {
    expect(checkGraph([{ name: "c", after: ["a", "b"] }, { name: "a" }, { name: "b", after: ["a", "existing-task-id"] }])).toEqual({ ok: true, value: ["a", "b", "c"] });
    const cycle = checkGraph([{ name: "a", after: ["c"] }, { name: "b", after: ["a"] }, { name: "c", after: ["b"] }]);
    expect(cycle.ok ? "" : cycle.error.kind === "InvalidRequest" && cycle.error.message).toBe("tasks form a cycle: a -> c -> b -> a");
    expect(checkGraph([{ name: "a" }, { name: "a" }]).ok).toBe(false);
    expect(checkGraph([{ name: "no spaces" }]).ok).toBe(false);
    expect(checkGraph([]).ok).toBe(false);
  });
});
