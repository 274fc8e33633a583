import type { DomainError } from "./errors.ts";
import { err, ok, type Result } from "./result.ts";
import { DEFAULT_TENANT } from "./tenant.ts";

/**
 * The task state machine: QUEUED -> RUNNING -> COMPLETED | FAILED, plus CANCELLED.
 * A RUNNING task whose executor is lost goes back to QUEUED until its attempts run out.
 * Every transition out of RUNNING names the attempt it belongs to (fencing): a stale attempt never
 * overwrites a newer one.
 */
export type TaskStatus = "QUEUED" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";

export const TERMINAL: ReadonlySet<TaskStatus> = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

/** True when the status can never change again. */
export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL.has(status);
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
}

/** A new task, QUEUED, never attempted. */
export function newTask(id: string, functionId: string, args: string, maxAttempts: number, timeoutMs: number, now: number, tenant: string = DEFAULT_TENANT): Task {
  return { id, tenant, functionId, args, status: "QUEUED", attempt: 0, handbacks: 0, maxAttempts, timeoutMs, result: null, createdAt: now, updatedAt: now };
}

/** Attempts that count toward maxAttempts: hand-outs, less those handed back at a graceful shutdown. */
export function spentAttempts(task: Pick<Task, "attempt" | "handbacks">): number {
  return task.attempt - task.handbacks;
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
}

/** Applies a transition if its fence holds; returns the new task, or undefined when stale. */
export function applyTransition(task: Task, t: Transition, now: number): Task | undefined {
  if (task.status !== "RUNNING" || task.attempt !== t.attempt) return undefined;
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
