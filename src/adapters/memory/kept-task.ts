/**
 * A finished task as the in-memory store keeps it until it expires, in about half the memory of the
 * Task it came from. The embedded server keeps every finished task for the retention period (a day by
 * default), so what one holds is what the server grows by per task; on machines where fresh memory is
 * dear, that growth is a large part of its CPU per task (docs/performance-log.md).
 *
 * A KeptTask is one object of a fixed shape with no arrays in it:
 * - what the tasks of one submission share (tenant, function, limits, priority, retry policy) is one
 *   `TaskSpec` object that consecutive tasks reuse (KeptTasks.keep compares with the last one);
 * - a task's one attempt, when it has exactly one that ended with the task (the common case), is two
 *   fields (when it started, where it ran) instead of an array and a record;
 * - the fields that are usually at their defaults (handbacks, retries, dependencies, links to retries,
 *   any other attempt history) are in one `rest` object, absent when all are.
 *
 * `unpack` makes the Task again, equal to the one kept. Reads that need a Task pay for one; the ones
 * that need only the status, the tenant or the function (claims, expiry, the index) read them here.
 *
 * @example
 * const kept = new KeptTasks();
 * const k = kept.keep(completedTask);
 * k.status           // "COMPLETED"
 * k.unpack()         // a Task equal to completedTask
 */
import type { AttemptOutcome, AttemptRecord } from "../../domain/attempt-log.ts";
import type { RetryPolicy } from "../../domain/retry-policy.ts";
import type { Task, TaskDraft, TaskStatus } from "../../domain/task.ts";

/** What the tasks of one submission share. */
interface TaskSpec {
  readonly tenant: string;
  readonly functionId: string;
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  readonly priority: number;
  readonly retry: RetryPolicy | undefined;
  readonly argsFrom: "results" | undefined;
}

/** The fields of a Task that are usually at their defaults, kept only when one is not. */
interface Rest {
  readonly handbacks: number;
  readonly retries: number;
  readonly blockedBy: number;
  readonly after: readonly string[] | undefined;
  /** The attempt records when they do not fold into `startedAt` and `ranOn`. */
  readonly attempts: readonly AttemptRecord[] | undefined;
  readonly retryOf: string | undefined;
  readonly retriedAs: string | undefined;
}

/** `startedAt` when the attempts did not fold (they are in `rest`, or there are none): no time is NaN. */
const UNFOLDED = Number.NaN;

export class KeptTask {
  constructor(
    readonly id: string,
    readonly spec: TaskSpec,
    readonly args: string,
    readonly status: TaskStatus,
    readonly result: string | null,
    readonly attempt: number,
    readonly createdAt: number,
    readonly updatedAt: number,
    readonly runAt: number,
    /** When the one attempt started, or UNFOLDED (NaN). */
    readonly startedAt: number,
    /** Where the one attempt ran, when it said. */
    readonly ranOn: string | undefined,
    readonly rest: Rest | undefined,
  ) {}

  get tenant(): string {
    return this.spec.tenant;
  }

  get functionId(): string {
    return this.spec.functionId;
  }

  /** The Task this was kept from (a new object each time). */
  unpack(): Task {
    const s = this.spec;
    const r = this.rest;
    const t: TaskDraft = {
      id: this.id,
      tenant: s.tenant,
      functionId: s.functionId,
      args: this.args,
      status: this.status,
      attempt: this.attempt,
      handbacks: r?.handbacks ?? 0,
      maxAttempts: s.maxAttempts,
      timeoutMs: s.timeoutMs,
      result: this.result,
      createdAt: this.createdAt,
      updatedAt: this.updatedAt,
      priority: s.priority,
      runAt: this.runAt,
      retries: r?.retries ?? 0,
      blockedBy: r?.blockedBy ?? 0,
    };
    if (s.retry !== undefined) t.retry = s.retry;
    if (r?.after !== undefined) t.after = r.after;
    if (s.argsFrom !== undefined) t.argsFrom = s.argsFrom;
    if (!Number.isNaN(this.startedAt)) t.attempts = [this.foldedAttempt()];
    else if (r?.attempts !== undefined) t.attempts = r.attempts;
    if (r?.retryOf !== undefined) t.retryOf = r.retryOf;
    if (r?.retriedAs !== undefined) t.retriedAs = r.retriedAs;
    return t;
  }

  private foldedAttempt(): AttemptRecord {
    const a: { -readonly [K in keyof AttemptRecord]: AttemptRecord[K] } = { attempt: this.attempt, startedAt: this.startedAt, endedAt: this.updatedAt, outcome: this.status as AttemptOutcome }; // kept tasks are finished
    if (this.ranOn !== undefined) a.ranOn = this.ranOn;
    return a;
  }
}

/** Keeps finished tasks compactly, sharing one TaskSpec among consecutive tasks that have the same. */
export class KeptTasks {
  private last: TaskSpec | undefined;

  keep(t: Task): KeptTask {
    const one = t.attempts?.length === 1 ? (t.attempts[0] as AttemptRecord) : undefined;
    const folds = one !== undefined && folded(one, t);
    const rest = t.handbacks === 0 && t.retries === 0 && t.blockedBy === 0 && t.after === undefined && (folds || t.attempts === undefined) && t.retryOf === undefined && t.retriedAs === undefined
      ? undefined
      : { handbacks: t.handbacks, retries: t.retries, blockedBy: t.blockedBy, after: t.after, attempts: folds ? undefined : t.attempts, retryOf: t.retryOf, retriedAs: t.retriedAs };
    return new KeptTask(t.id, this.spec(t), t.args, t.status, t.result, t.attempt, t.createdAt, t.updatedAt, t.runAt, folds ? (one as AttemptRecord).startedAt : UNFOLDED, folds ? one?.ranOn : undefined, rest);
  }

  private spec(t: Task): TaskSpec {
    const s = this.last;
    if (s !== undefined && s.tenant === t.tenant && s.functionId === t.functionId && s.maxAttempts === t.maxAttempts && s.timeoutMs === t.timeoutMs && s.priority === t.priority && s.retry === t.retry && s.argsFrom === t.argsFrom) return s;
    return (this.last = { tenant: t.tenant, functionId: t.functionId, maxAttempts: t.maxAttempts, timeoutMs: t.timeoutMs, priority: t.priority, retry: t.retry, argsFrom: t.argsFrom });
  }
}

/** True when `a` says no more than the task does: its attempt, ended with it, with no fields but these (no error). */
function folded(a: AttemptRecord, t: Task): boolean {
  if (a.attempt !== t.attempt || a.endedAt !== t.updatedAt || a.outcome !== t.status) return false;
  let fields = 0;
  for (const _ in a) fields++;
  return fields === (a.ranOn === undefined ? 4 : 5);
}
