import { nextRetry } from "./retry-policy.ts";
import { spentAttempts, type Task, type Transition } from "./task.ts";

/** What an executor reports for one attempt of one task, and where it ran (`ranOn`, when the executor says). */
export type Outcome = (
  | { readonly taskId: string; readonly attempt: number; readonly kind: "returned"; readonly value: string }
  | { readonly taskId: string; readonly attempt: number; readonly kind: "threw"; readonly error: ErrorInfo }
  | { readonly taskId: string; readonly attempt: number; readonly kind: "timeout"; readonly timeoutMs: number }
  | { readonly taskId: string; readonly attempt: number; readonly kind: "lost"; readonly reason: string }
  | { readonly taskId: string; readonly attempt: number; readonly kind: "unserializable"; readonly message: string }
  | { readonly taskId: string; readonly attempt: number; readonly kind: "resource-limit"; readonly message: string }
  /** Given back unfinished by an executor or worker shutting down gracefully: runs again, not counted. */
  | { readonly taskId: string; readonly attempt: number; readonly kind: "handed-back" }
  /** The result (or error) was bigger than the executor's limit: `bytes` of JSON text over `limit`. */
  | { readonly taskId: string; readonly attempt: number; readonly kind: "too-large"; readonly bytes: number; readonly limit: number }
) & { readonly ranOn?: string };

/** The `{name, message, stack}` a FAILED task's result holds. */
export interface ErrorInfo {
  readonly name: string;
  readonly message: string;
  readonly stack: string;
}

/** JSON text of an error result. */
export function errorResult(name: string, message: string, stack = ""): string {
  return JSON.stringify({ name, message, stack });
}

/**
 * Decides what an outcome does to a task: errors the function throws are final unless the task's retry
 * policy retries them (QUEUED again after a backoff with jitter drawn from `random`), a lost executor is
 * retried while attempts remain (then FAILED WorkerFailure), a deadline ends FAILED TimeoutError, a
 * result over the size limit FAILED ResultTooLarge.
 *
 * @example
 * decide({ attempt: 3, maxAttempts: 3 }, { kind: "lost", ... }) // FAILED WorkerFailure
 */
export function decide(task: Pick<Task, "attempt" | "handbacks" | "maxAttempts"> & Partial<Pick<Task, "retry" | "retries">>, o: Outcome, random: () => number = () => 0.5): Transition {
  if (o.kind === "returned") {
    // Most outcomes: one object, written out (a base spread into it made two for every task).
    const { taskId, attempt, ranOn, value } = o;
    return ranOn === undefined ? { taskId, attempt, status: "COMPLETED", result: value } : { taskId, attempt, ranOn, status: "COMPLETED", result: value };
  }
  const base: { taskId: string; attempt: number; ranOn?: string } = { taskId: o.taskId, attempt: o.attempt };
  if (o.ranOn !== undefined) base.ranOn = o.ranOn; // set, not spread in
  switch (o.kind) {
    case "threw":
      return retried(task, base, o.error.name, JSON.stringify(o.error), random) ?? { ...base, status: "FAILED", result: JSON.stringify(o.error) };
    case "timeout": {
      const result = errorResult("TimeoutError", `Task exceeded its deadline of ${o.timeoutMs} ms`);
      return retried(task, base, "TimeoutError", result, random) ?? { ...base, status: "FAILED", result };
    }
    case "unserializable":
      return { ...base, status: "FAILED", result: errorResult("SerializationError", o.message) };
    case "resource-limit":
      return { ...base, status: "FAILED", result: errorResult("ResourceLimit", o.message) };
    case "too-large":
      return { ...base, status: "FAILED", result: errorResult("ResultTooLarge", `Result of ${o.bytes} bytes is over the ${o.limit} byte limit of this deployment`) };
    case "lost":
      if (spentAttempts(task) < task.maxAttempts) return { ...base, status: "QUEUED", result: null };
      return { ...base, status: "FAILED", result: errorResult("WorkerFailure", `${o.reason}; gave up after ${spentAttempts(task)} of ${task.maxAttempts} attempts`) };
    case "handed-back":
      return handBack(base);
  }
}

/**
 * The retry a task's policy grants for an error of this name, if any: QUEUED after the backoff, the
 * error kept as the task's result until the next attempt ends (GET /tasks/{id} shows it).
 */
function retried(task: Partial<Pick<Task, "retry" | "retries">>, base: { taskId: string; attempt: number }, errorName: string, error: string, random: () => number): Transition | undefined {
  if (task.retry === undefined) return undefined;
  const next = nextRetry(task.retry, task.retries ?? 0, errorName, random);
  return next === undefined ? undefined : { ...base, status: "QUEUED", result: error, retryInMs: next.delayMs };
}

/** The transition giving an attempt back at a graceful shutdown: QUEUED again, the attempt not counted. */
export function handBack(t: { readonly taskId: string; readonly attempt: number }): Transition {
  return { taskId: t.taskId, attempt: t.attempt, status: "QUEUED", result: null, handback: true };
}

/** The transition for a task claimed after its attempts ran out (its host died on every try). */
export function exhausted(task: Pick<Task, "id" | "attempt" | "maxAttempts">): Transition {
  // called when spentAttempts(task) > maxAttempts
  return {
    taskId: task.id,
    attempt: task.attempt,
    status: "FAILED",
    result: errorResult("WorkerFailure", `Executor lost on every attempt; gave up after ${task.maxAttempts} attempts`),
  };
}
