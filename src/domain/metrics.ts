/**
 * What the deployment has done, as counters kept by the TaskStore in the same atomic step as the state
 * changes they count (so every process of a Redis deployment reads the same numbers): tasks submitted,
 * finished by status, failures by error name, lost attempts retried, and the submit-to-terminal time
 * histogram. Pure: bucket boundaries, the error-name cap and a counter any store can keep in memory.
 *
 * @example
 * durationBucket(3)      // 1: 3 ms falls in le="0.005"
 * failureLabel("TypeError") // "TypeError"; failureLabel("MyAppError") // "UserError"
 */
import type { Task, TaskStatus } from "./task.ts";

/** Upper bounds of the `faas_task_duration_seconds` buckets, in ms (+Inf is implied after the last). */
export const DURATION_BUCKETS_MS: readonly number[] = [1, 5, 10, 50, 100, 500, 1000, 5000, 10_000, 60_000];

/** Error names the platform itself writes into FAILED results. */
export const PLATFORM_ERRORS: readonly string[] = ["TimeoutError", "WorkerFailure", "SerializationError", "ResourceLimit", "ResultTooLarge", "UnknownFunction", "DependencyFailed"];

/** Error names JavaScript itself defines: kept as they are, a bounded set. */
export const BUILTIN_ERRORS: readonly string[] = ["Error", "TypeError", "RangeError", "ReferenceError", "SyntaxError", "EvalError", "URIError", "AggregateError"];

/** The label every other thrown name counts under, so a user's names cannot grow the label set. */
export const OTHER_ERROR = "UserError";

const KEPT_ERRORS: ReadonlySet<string> = new Set([...PLATFORM_ERRORS, ...BUILTIN_ERRORS]);

export type FinishedStatus = Extract<TaskStatus, "COMPLETED" | "FAILED" | "CANCELLED">;

export const FINISHED_STATUSES: readonly FinishedStatus[] = ["COMPLETED", "FAILED", "CANCELLED"];

/** The deployment's task counters at one moment. */
export interface StatsSnapshot {
  readonly submitted: number;
  readonly finished: Readonly<Record<FinishedStatus, number>>;
  /** FAILED tasks by error label (see `failureLabel`). */
  readonly failures: Readonly<Record<string, number>>;
  /** Attempts lost (executor or dispatcher gone) after which the task ran again. */
  readonly retries: number;
  /** QUEUED tasks right now. */
  readonly queued: number;
  /** Submit-to-terminal times: per-bucket counts (NOT cumulative; one more than DURATION_BUCKETS_MS, the last is +Inf) and their sum in ms. */
  readonly duration: { readonly buckets: readonly number[]; readonly sumMs: number };
}

/**
 * Index of the histogram bucket for a duration in ms: the first bound >= ms, or the +Inf bucket
 * (DURATION_BUCKETS_MS.length). Negative durations (clock skew between processes) count as 0.
 *
 * @example
 * durationBucket(0) // 0; durationBucket(1) // 0; durationBucket(2) // 1; durationBucket(70_000) // 10
 */
export function durationBucket(ms: number): number {
  for (let i = 0; i < DURATION_BUCKETS_MS.length; i++) if (ms <= (DURATION_BUCKETS_MS[i] as number)) return i;
  return DURATION_BUCKETS_MS.length;
}

/**
 * The `error` label for a failure's name: the platform's own and JavaScript's built-in names as they
 * are, anything else `UserError`.
 */
export function failureLabel(name: string): string {
  return KEPT_ERRORS.has(name) ? name : OTHER_ERROR;
}

/** The `error` label of a FAILED task's result (JSON text of `{name, message, stack}`). */
export function failureLabelOf(result: string | null): string {
  if (result === null) return OTHER_ERROR;
  try {
    const name = (JSON.parse(result) as { name?: unknown } | null)?.name;
    return typeof name === "string" ? failureLabel(name) : OTHER_ERROR;
  } catch {
    return OTHER_ERROR;
  }
}

/**
 * Tasks neither queued nor finished: RUNNING. Exact when the counters and the queued count change
 * together (both stores do); never below 0 (a deployment whose counters started after its tasks).
 */
export function runningTasks(s: StatsSnapshot): number {
  const finished = s.finished.COMPLETED + s.finished.FAILED + s.finished.CANCELLED;
  return Math.max(0, s.submitted - finished - s.queued);
}

/** All zero. */
export function emptyStats(): StatsSnapshot {
  return {
    submitted: 0,
    finished: { COMPLETED: 0, FAILED: 0, CANCELLED: 0 },
    failures: {},
    retries: 0,
    queued: 0,
    duration: { buckets: new Array<number>(DURATION_BUCKETS_MS.length + 1).fill(0), sumMs: 0 },
  };
}

/** The sum of several snapshots (the counters of several tenants). */
export function sumStats(parts: readonly StatsSnapshot[]): StatsSnapshot {
  const total = emptyStats();
  const finished = { ...total.finished };
  const failures: Record<string, number> = {};
  const buckets = [...total.duration.buckets];
  let submitted = 0;
  let retries = 0;
  let queued = 0;
  let sumMs = 0;
  for (const p of parts) {
    submitted += p.submitted;
    retries += p.retries;
    queued += p.queued;
    sumMs += p.duration.sumMs;
    for (const st of FINISHED_STATUSES) finished[st] += p.finished[st];
    for (const [name, n] of Object.entries(p.failures)) failures[name] = (failures[name] ?? 0) + n;
    p.duration.buckets.forEach((n, i) => (buckets[i] = (buckets[i] ?? 0) + n));
  }
  return { submitted, finished, failures, retries, queued, duration: { buckets, sumMs } };
}

/**
 * The counters of an in-process store, changed by the store where it changes tasks.
 *
 * @example
 * const stats = new TaskCounters();
 * stats.submitted(3);
 * stats.finished(completedTask, now);
 * stats.snapshot(queuedCount);
 */
export class TaskCounters {
  private submittedCount = 0;
  private readonly finishedCount: Record<FinishedStatus, number> = { COMPLETED: 0, FAILED: 0, CANCELLED: 0 };
  private readonly failureCount = new Map<string, number>();
  private retryCount = 0;
  private readonly buckets = new Array<number>(DURATION_BUCKETS_MS.length + 1).fill(0);
  private sumMs = 0;

  submitted(n: number): void {
    this.submittedCount += n;
  }

  retried(n = 1): void {
    this.retryCount += n;
  }

  /** Counts a task that just became terminal at `now`. */
  finished(task: Pick<Task, "status" | "result" | "createdAt">, now: number): void {
    const status = task.status as FinishedStatus;
    this.finishedCount[status]++;
    if (status === "FAILED") {
      const label = failureLabelOf(task.result);
      this.failureCount.set(label, (this.failureCount.get(label) ?? 0) + 1);
    }
    const ms = Math.max(0, now - task.createdAt);
    const b = durationBucket(ms);
    this.buckets[b] = (this.buckets[b] ?? 0) + 1;
    this.sumMs += ms;
  }

  snapshot(queued: number): StatsSnapshot {
    return {
      submitted: this.submittedCount,
      finished: { ...this.finishedCount },
      failures: Object.fromEntries(this.failureCount),
      retries: this.retryCount,
      queued,
      duration: { buckets: [...this.buckets], sumMs: this.sumMs },
    };
  }
}
