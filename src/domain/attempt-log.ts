/**
 * The attempts of a task as its record keeps them: each hand-out to an executor starts one (when the
 * claim counts the attempt), and the outcome that settles it ends it, saying how (the status the task
 * went to) and where it ran (the executor, or the remote worker and its host: `ranOn`, carried from
 * the executor's outcome through the Transition). Only the latest MAX_ATTEMPT_RECORDS are kept.
 * Pure: the stores call these where they change tasks (the Redis scripts do the same in Lua).
 *
 * @example
 * const running = attemptStarted(startAttempt(task, now), now);
 * const done = attemptEnded(applied, { attempt: 1, status: "COMPLETED", ranOn: "thread executor 2" }, now + 5);
 * done.attempts // [{ attempt: 1, startedAt: now, endedAt: now + 5, outcome: "COMPLETED", ranOn: "thread executor 2" }]
 */
import type { Task, Transition } from "./task.ts";

/** How an attempt ended: the task's new status, or that it was put back on the queue. */
export type AttemptOutcome = "COMPLETED" | "FAILED" | "CANCELLED" | "REQUEUED" | "HANDED_BACK" | "RETRIED";

/** One attempt of a task. */
export interface AttemptRecord {
  readonly attempt: number;
  /** When the claim handed it out (ms). */
  readonly startedAt: number;
  /** When its outcome was settled (ms); absent while it runs, or when it was never settled (its dispatcher died). */
  readonly endedAt?: number;
  readonly outcome?: AttemptOutcome;
  /** Where it ran, as the executor says: "thread executor 3 (dispatcher d-1 on host-a)", "worker w-1 on host-b (...)". */
  readonly ranOn?: string;
  /** FAILED or RETRIED (a retry policy ran it again): the error it threw (message cut at 1,000 characters). */
  readonly error?: { readonly name: string; readonly message: string };
}

/** Most attempt records a task keeps (the latest). */
export const MAX_ATTEMPT_RECORDS = 50;

/** The outcome an attempt ended with under a transition. */
export function attemptOutcome(t: Pick<Transition, "status" | "handback" | "retryInMs">): AttemptOutcome {
  if (t.status === "QUEUED") return t.handback === true ? "HANDED_BACK" : t.retryInMs !== undefined ? "RETRIED" : "REQUEUED";
  return t.status;
}

/** The name and message of an error result (JSON text of `{name, message, stack}`), if it is one. */
export function attemptError(result: string | null): { name: string; message: string } | undefined {
  if (result === null) return undefined;
  try {
    const e = JSON.parse(result) as { name?: unknown; message?: unknown };
    if (typeof e?.name !== "string") return undefined;
    return { name: e.name, message: typeof e.message === "string" ? e.message.slice(0, 1000) : "" };
  } catch {
    return undefined;
  }
}

/**
 * The task with a record of the attempt it just started (`task.attempt`, counted by startAttempt).
 *
 * @example
 * attemptStarted({ ...task, attempt: 2 }, 1000).attempts?.at(-1) // { attempt: 2, startedAt: 1000 }
 */
export function attemptStarted(task: Task, now: number): Task {
  const before = task.attempts ?? [];
  const attempts = before.length < MAX_ATTEMPT_RECORDS ? before.concat({ attempt: task.attempt, startedAt: now }) : [...before.slice(1 - MAX_ATTEMPT_RECORDS), { attempt: task.attempt, startedAt: now }];
  return { ...task, attempts };
}

/**
 * The task with its attempt `t.attempt` ended at `now` as `t` says (and where it ran, when known).
 * A transition for an attempt with no record (a task from before records were kept) adds none.
 *
 * @example
 * attemptEnded(task, { attempt: 1, status: "QUEUED", handback: true }, 2000) // ...outcome "HANDED_BACK"
 */
export function attemptEnded(task: Task, t: Pick<Transition, "attempt" | "status" | "handback" | "ranOn" | "retryInMs"> & { readonly result?: string | null }, now: number): Task {
  const attempts = task.attempts ?? [];
  const i = attempts.findLastIndex((a) => a.attempt === t.attempt);
  if (i < 0) return task;
  const outcome = attemptOutcome(t);
  const error = outcome === "FAILED" || outcome === "RETRIED" ? attemptError(t.result ?? null) : undefined;
  const ended: AttemptRecord = { ...(attempts[i] as AttemptRecord), endedAt: now, outcome, ...(t.ranOn !== undefined && { ranOn: t.ranOn }), ...(error !== undefined && { error }) };
  const copy = attempts.slice();
  copy[i] = ended;
  return { ...task, attempts: copy };
}
