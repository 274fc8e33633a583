import { describe, expect, test } from "bun:test";
import { decide, exhausted } from "../../src/domain/outcome.ts";
import { applyTransition, cancelTask, isTerminal, newTask, spentAttempts, startAttempt } from "../../src/domain/task.ts";

const t0 = newTask("t1", "f1", "[1]", 3, 1000, 100);

describe("task state machine", () => {
  test("a new task is QUEUED with no attempt", () => {
    expect(t0.status).toBe("QUEUED");
    expect(t0.attempt).toBe(0);
    expect(t0.result).toBeNull();
  });

  test("startAttempt counts the attempt when handing out", () => {
    const r = startAttempt(t0, 200);
    expect(r.status).toBe("RUNNING");
    expect(r.attempt).toBe(1);
    expect(r.updatedAt).toBe(200);
    expect(startAttempt(r, 300).attempt).toBe(2);
  });

  test("applyTransition is fenced by attempt and status", () => {
    const running = startAttempt(t0, 200);
    expect(applyTransition(running, { taskId: "t1", attempt: 2, status: "COMPLETED", result: "1" }, 300)).toBeUndefined();
    expect(applyTransition(t0, { taskId: "t1", attempt: 0, status: "COMPLETED", result: "1" }, 300)).toBeUndefined();
    const done = applyTransition(running, { taskId: "t1", attempt: 1, status: "COMPLETED", result: "1" }, 300);
    expect(done?.status).toBe("COMPLETED");
    expect(done?.result).toBe("1");
    expect(applyTransition(done!, { taskId: "t1", attempt: 1, status: "FAILED", result: "x" }, 400)).toBeUndefined();
  });

  test("cancelTask cancels QUEUED and RUNNING tasks; the cancelled attempt's late transition is fenced off", () => {
    const queued = cancelTask(t0, 200);
    expect(queued.ok && [queued.value.status, queued.value.result, queued.value.updatedAt, queued.value.attempt]).toEqual(["CANCELLED", null, 200, 0]);
    const running = startAttempt(t0, 200);
    const cancelled = cancelTask(running, 300);
    if (!cancelled.ok) throw new Error("expected a cancel");
    expect([cancelled.value.status, cancelled.value.attempt]).toEqual(["CANCELLED", 1]);
    expect(applyTransition(cancelled.value, { taskId: "t1", attempt: 1, status: "COMPLETED", result: "1" }, 400)).toBeUndefined();
  });

  test("cancelTask refuses a terminal task with AlreadyTerminal naming its status", () => {
    const running = startAttempt(t0, 200);
    for (const status of ["COMPLETED", "FAILED"] as const) {
      const done = applyTransition(running, { taskId: "t1", attempt: 1, status, result: "1" }, 300)!;
      expect(cancelTask(done, 400)).toEqual({ ok: false, error: { kind: "AlreadyTerminal", taskId: "t1", status } });
    }
    const cancelled = cancelTask(t0, 200);
    if (!cancelled.ok) throw new Error("expected a cancel");
    expect(cancelTask(cancelled.value, 300)).toEqual({ ok: false, error: { kind: "AlreadyTerminal", taskId: "t1", status: "CANCELLED" } });
  });

  test("terminal statuses", () => {
    expect(["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"].map((s) => isTerminal(s as never))).toEqual([false, false, true, true, true]);
  });
});

describe("decide", () => {
  const base = { taskId: "t1", attempt: 1 };
  test("a return value completes the task", () => {
    expect(decide({ attempt: 1, handbacks: 0, maxAttempts: 3 }, { ...base, kind: "returned", value: "5" })).toEqual({ ...base, status: "COMPLETED", result: "5" });
    const placed = decide({ attempt: 1, handbacks: 0, maxAttempts: 3 }, { ...base, kind: "returned", value: "5", ranOn: "thread executor 2" });
    expect(placed).toStrictEqual({ ...base, ranOn: "thread executor 2", status: "COMPLETED", result: "5" });
  });

  test("a thrown error is final, whatever attempts remain", () => {
    const t = decide({ attempt: 1, handbacks: 0, maxAttempts: 3 }, { ...base, kind: "threw", error: { name: "TypeError", message: "boom", stack: "s" } });
    expect(t.status).toBe("FAILED");
    expect(JSON.parse(t.result!)).toEqual({ name: "TypeError", message: "boom", stack: "s" });
  });

  test("timeout, unserializable and resource limits fail with their error names", () => {
    const names = (["timeout", "unserializable", "resource-limit"] as const).map((kind) => {
      const o = kind === "timeout" ? { ...base, kind, timeoutMs: 5 } : { ...base, kind, message: "m" };
      return JSON.parse(decide({ attempt: 1, handbacks: 0, maxAttempts: 3 }, o).result!).name;
    });
    expect(names).toEqual(["TimeoutError", "SerializationError", "ResourceLimit"]);
  });

  test("a result over the size limit fails ResultTooLarge, naming both sizes", () => {
    const t = decide({ attempt: 1, handbacks: 0, maxAttempts: 3 }, { ...base, kind: "too-large", bytes: 2048, limit: 1024 });
    expect(t.status).toBe("FAILED");
    const e = JSON.parse(t.result!);
    expect(e.name).toBe("ResultTooLarge");
    expect(e.message).toContain("2048 bytes");
    expect(e.message).toContain("1024 byte limit");
  });

  test("a lost executor requeues while attempts remain, then fails WorkerFailure", () => {
    const lost = { kind: "lost" as const, reason: "thread exited" };
    expect(decide({ attempt: 1, handbacks: 0, maxAttempts: 3 }, { ...base, ...lost }).status).toBe("QUEUED");
    expect(decide({ attempt: 2, handbacks: 0, maxAttempts: 3 }, { ...base, attempt: 2, ...lost }).status).toBe("QUEUED");
    const last = decide({ attempt: 3, handbacks: 0, maxAttempts: 3 }, { ...base, attempt: 3, ...lost });
    expect(last.status).toBe("FAILED");
    expect(JSON.parse(last.result!).name).toBe("WorkerFailure");
  });

  test("attempts handed back at a graceful shutdown do not count: a lost third hand-out after one hand-back runs again", () => {
    const lost = { kind: "lost" as const, reason: "worker gone" };
    expect(decide({ attempt: 3, handbacks: 1, maxAttempts: 3 }, { ...base, attempt: 3, ...lost }).status).toBe("QUEUED");
    expect(decide({ attempt: 1, handbacks: 0, maxAttempts: 1 }, { ...base, kind: "handed-back" })).toEqual({ ...base, status: "QUEUED", result: null, handback: true });
    const running = { ...newTask("t1", "f", "[]", 1, 1000, 0), status: "RUNNING" as const, attempt: 1 };
    const back = applyTransition(running, { taskId: "t1", attempt: 1, status: "QUEUED", result: null, handback: true }, 5)!;
    expect([back.status, back.attempt, back.handbacks, spentAttempts(back)]).toEqual(["QUEUED", 1, 1, 0]);
  });

  test("a task claimed past its attempts fails WorkerFailure", () => {
    const t = exhausted({ id: "t1", attempt: 4, maxAttempts: 3 });
    expect(t.status).toBe("FAILED");
    expect(t.attempt).toBe(4);
    expect(JSON.parse(t.result!).name).toBe("WorkerFailure");
  });
});
