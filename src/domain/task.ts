import type { AttemptRecord } from "./attempt-log.ts";
import type { DomainError } from "./errors.ts";
import { err, ok, type Result } from "./result.ts";
import type { RetryPolicy } from "./retry-policy.ts";
import { DEFAULT_TENANT } from "./tenant.ts";

/**
 * The task state machine: QUEUED -> RUNNING -> COMPLETED | FAILED, plus CANCELLED.
 * A RUNNING task whose executor is lost goes back to QUEUED until its attempts run out.
 * Every transition out of RUNNING names the attempt it belongs to (fencing): a stale attempt never
 * overwrites a newer one.
 */
export type TaskStatus = "QUEUED" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";

/** True when the status can never change again: COMPLETED, FAILED or CANCELLED (compared, not looked up in a set: it runs per task in the indexes' scans). */
export function isTerminal(status: TaskStatus): boolean {
  return status === "COMPLETED" || status === "FAILED" || status === "CANCELLED";
}

export interface Task {
  readonly id: string;
  /** The tenant it belongs to: its function's. */
  readonly tenant: string;
  readonly functionId: string;
  /** JSON text of the argument array. */
  readonly args: string;
  readonly status: TaskStatus;
  /** How many times the task has been handed to an executor (also the fencing number). */
  readonly attempt: number;
  /** Attempts handed back unrun or unfinished at a graceful shutdown: not counted toward maxAttempts. */
  readonly handbacks: number;
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  /** JSON text of the return value (COMPLETED) or of `{name, message, stack}` (FAILED); else null. */
  readonly result: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** 0 (least urgent) to 9 (most); 5 by default. A waiting task rises with age (see queue-order.ts). */
  readonly priority: number;
  /** Not claimable before this time (ms): a delay, a start time, or a retry's backoff. */
  readonly runAt: number;
  /** What a thrown error does: retried as the policy says, or final. */
  readonly retry?: RetryPolicy;
  /** Retries the policy has spent (not counted toward maxAttempts). */
  readonly retries: number;
  /** Tasks this one waits for (it runs when all of them COMPLETED). */
  readonly after?: readonly string[];
  /** "results": the results of `after`, parsed, are appended to the arguments when it becomes ready. */
  readonly argsFrom?: "results";
  /** How many of `after` have not COMPLETED yet: claimable only at 0. */
  readonly blockedBy: number;
  /** Each attempt: started, ended, how and where it ran (attempt-log.ts). */
  readonly attempts?: readonly AttemptRecord[];
  /** The task this one runs again (POST /tasks/{id}/retry), and the task that ran this one again. */
  readonly retryOf?: string;
  readonly retriedAs?: string;
}

/** A new Task whose fields are still being set, before anyone else sees it. */
export type TaskDraft = { -readonly [K in keyof Task]: Task[K] };

/** What execute may ask of a new task beyond its function's defaults. */
export interface TaskOptions {
  readonly priority: number;
  readonly runAt: number;
  readonly retry: RetryPolicy;
  readonly after: readonly string[];
  readonly argsFrom: "results";
}

export const DEFAULT_PRIORITY = 5;

/** A new task, QUEUED, never attempted. */
export function newTask(
  id: string,
  functionId: string,
  args: string,
  maxAttempts: number,
  timeoutMs: number,
  now: number,
  tenant: string = DEFAULT_TENANT,
  o: Partial<TaskOptions> = {},
): Task {
  const task: TaskDraft = {
    id,
    tenant,
    functionId,
    args,
    status: "QUEUED",
    attempt: 0,
    handbacks: 0,
    maxAttempts,
    timeoutMs,
    result: null,
    createdAt: now,
    updatedAt: now,
    priority: o.priority ?? DEFAULT_PRIORITY,
    runAt: Math.max(now, o.runAt ?? now),
    retries: 0,
    blockedBy: o.after?.length ?? 0,
  };
  // Set when given rather than spread in: every submitted task is made here.
  if (o.retry !== undefined) task.retry = o.retry;
  if (o.after !== undefined && o.after.length > 0) task.after = [...o.after];
  if (o.argsFrom !== undefined) task.argsFrom = o.argsFrom;
  return task;
}

/**
 * Attempts that count toward maxAttempts: hand-outs, less those handed back at a graceful shutdown and
 * those a retry policy spent (maxAttempts counts lost executors and workers).
 */
export function spentAttempts(task: Pick<Task, "attempt" | "handbacks"> & { readonly retries?: number }): number {
  return task.attempt - task.handbacks - (task.retries ?? 0);
}

/** Hands a QUEUED task to an executor: RUNNING, attempt counted now (not when it fails). */
export function startAttempt(task: Task, now: number): Task {
  return { ...task, status: "RUNNING", attempt: task.attempt + 1, updatedAt: now };
}

/**
 * A fenced change of a RUNNING task: applied only while the task is RUNNING with this same attempt.
 * `status: "QUEUED"` puts the task back on the queue.
 */
export interface Transition {
  readonly taskId: string;
  readonly attempt: number;
  readonly status: "COMPLETED" | "FAILED" | "QUEUED" | "CANCELLED";
  readonly result: string | null;
  /** With QUEUED: the attempt is handed back at a graceful shutdown and does not count toward maxAttempts. */
  readonly handback?: boolean;
  /** With QUEUED: a retry of the policy, runnable again after this many ms (counted in `retries`). */
  readonly retryInMs?: number;
  /** Where the attempt ran, from the executor's outcome (recorded with the attempt). */
  readonly ranOn?: string;
}

/** Applies a transition if its fence holds; returns the new task, or undefined when stale. */
export function applyTransition(task: Task, t: Transition, now: number): Task | undefined {
  if (task.status !== "RUNNING" || task.attempt !== t.attempt) return undefined;
  if (t.status === "QUEUED" && t.retryInMs !== undefined) {
    return { ...task, status: "QUEUED", result: t.result, retries: task.retries + 1, runAt: now + t.retryInMs, updatedAt: now };
  }
  const handbacks = t.status === "QUEUED" && t.handback === true ? task.handbacks + 1 : task.handbacks;
  return { ...task, status: t.status, result: t.result, handbacks, updatedAt: now };
}

/**
 * Cancels a task that is not terminal yet (QUEUED or RUNNING): CANCELLED, result null. A terminal task
 * answers AlreadyTerminal naming its status. Stores apply it atomically; a late outcome of the attempt
 * that was running is then refused by the fence of `applyTransition` (the task is no longer RUNNING).
 *
 * @example
 * cancelTask(queuedTask, now) // ok({ ...queuedTask, status: "CANCELLED", result: null, updatedAt: now })
 * cancelTask(completedTask, now) // err({ kind: "AlreadyTerminal", taskId, status: "COMPLETED" })
 */
export function cancelTask(task: Task, now: number): Result<Task, DomainError> {
  if (isTerminal(task.status)) return err({ kind: "AlreadyTerminal", taskId: task.id, status: task.status });
  return ok({ ...task, status: "CANCELLED", result: null, updatedAt: now });
}
