/**
 * The attempts of a task as its record keeps them: each hand-out to an executor starts one (when the
 * claim counts the attempt), and the outcome that settles it ends it, saying how (the status the task
 * went to) and where it ran (the executor, or the remote worker and its host: `ranOn`, carried from
 * the executor's outcome through the Transition). Only the latest MAX_ATTEMPT_RECORDS are kept.
 * Pure: the stores call these where they change tasks (the Redis scripts do the same in Lua).
 *
 * beginAttempt and settleAttempt are what a store does on every hand-out and every settlement: the
 * task's change and its attempt record in one new task (one copy of the task instead of two).
 *
 * @example
 * const running = beginAttempt(task, now); // attemptStarted(startAttempt(task, now), now)
 * const done = settleAttempt(running, { taskId: task.id, attempt: 1, status: "COMPLETED", result: "5", ranOn: "thread executor 2" }, now + 5);
 * done?.attempts // [{ attempt: 1, startedAt: now, endedAt: now + 5, outcome: "COMPLETED", ranOn: "thread executor 2" }]
 */
import { applyTransition, startAttempt, type Task, type TaskDraft, type Transition } from "./task.ts";

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
  return { ...task, attempts: startedRecords(task, now) };
}

function startedRecords(task: Task, now: number): readonly AttemptRecord[] {
  const before = task.attempts;
  if (before === undefined) return [{ attempt: task.attempt, startedAt: now }]; // a first attempt: one array, not two
  return before.length < MAX_ATTEMPT_RECORDS ? before.concat({ attempt: task.attempt, startedAt: now }) : [...before.slice(1 - MAX_ATTEMPT_RECORDS), { attempt: task.attempt, startedAt: now }];
}

/**
 * Hands a QUEUED task to an executor with its attempt's record: attemptStarted(startAttempt(task,
 * now), now), as one new task.
 */
export function beginAttempt(task: Task, now: number): Task {
  const running = startAttempt(task, now) as TaskDraft;
  running.attempts = startedRecords(running, now);
  return running;
}

/**
 * A fenced transition and its attempt's end: attemptEnded(applyTransition(task, t, now), t, now) as
 * one new task; undefined when the fence refuses it (see applyTransition).
 */
export function settleAttempt(task: Task, t: Transition, now: number): Task | undefined {
  const applied = applyTransition(task, t, now) as TaskDraft | undefined;
  if (applied === undefined) return undefined;
  const attempts = endedRecords(applied.attempts, t, now);
  if (attempts !== undefined) applied.attempts = attempts;
  return applied;
}

/**
 * The task with its attempt `t.attempt` ended at `now` as `t` says (and where it ran, when known).
 * A transition for an attempt with no record (a task from before records were kept) adds none.
 *
 * @example
 * attemptEnded(task, { attempt: 1, status: "QUEUED", handback: true }, 2000) // ...outcome "HANDED_BACK"
 */
export function attemptEnded(task: Task, t: Pick<Transition, "attempt" | "status" | "handback" | "ranOn" | "retryInMs"> & { readonly result?: string | null }, now: number): Task {
  const attempts = endedRecords(task.attempts, t, now);
  return attempts === undefined ? task : { ...task, attempts };
}

/** The records with attempt `t.attempt` ended as `t` says; undefined when it has no record. */
function endedRecords(attempts: readonly AttemptRecord[] | undefined, t: Pick<Transition, "attempt" | "status" | "handback" | "ranOn" | "retryInMs"> & { readonly result?: string | null }, now: number): AttemptRecord[] | undefined {
  if (attempts === undefined) return undefined;
  let i = attempts.length - 1; // a loop, not findLastIndex: its callback was a closure per ended task
  while (i >= 0 && (attempts[i] as AttemptRecord).attempt !== t.attempt) i--;
  if (i < 0) return undefined;
  const outcome = attemptOutcome(t);
  const error = outcome === "FAILED" || outcome === "RETRIED" ? attemptError(t.result ?? null) : undefined;
  // Fields set one by one, not spread in when present: this runs for every task that ends.
  const ended: { -readonly [K in keyof AttemptRecord]: AttemptRecord[K] } = { ...(attempts[i] as AttemptRecord), endedAt: now, outcome };
  if (t.ranOn !== undefined) ended.ranOn = t.ranOn;
  if (error !== undefined) ended.error = error;
  const copy = attempts.slice();
  copy[i] = ended;
  return copy;
}
