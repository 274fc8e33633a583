/**
 * Per-function counters, for the dashboard's functions pane: tasks submitted and finished by status,
 * and a histogram of the submit-to-finish times of those that COMPLETED or FAILED (the fine buckets of
 * activity.ts). The stores count them where they change tasks, in the same step (Redis: a hash per
 * function and shard, added up when read). Counters never expire: they live as long as the function.
 *
 * @example
 * const c = (await store.functionCounts(["f-1"])).get("f-1") ?? emptyFunctionCounts();
 * failureRate(c) // 0.25 when 1 of 4 finished tasks FAILED
 * quantileMs(c.latency, 0.5)
 */

/** The counters of one function. */
export interface FunctionCounts {
  readonly submitted: number;
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly latency: Readonly<Record<number, number>>;
}

/** Where the per-function counters are kept. */
export interface FunctionCounters {
  /** The counters of each function asked (all zero for one never counted). */
  functionCounts(functionIds: readonly string[]): Promise<Map<string, FunctionCounts>>;
}

export function emptyFunctionCounts(): FunctionCounts {
  return { submitted: 0, completed: 0, failed: 0, cancelled: 0, latency: {} };
}

/** FAILED among COMPLETED and FAILED (cancelled tasks do not count); 0 when none finished. */
export function failureRate(c: FunctionCounts): number {
  const ran = c.completed + c.failed;
  return ran === 0 ? 0 : c.failed / ran;
}

/** Tasks submitted and not finished yet: QUEUED or RUNNING (never below 0). */
export function activeTasks(c: FunctionCounts): number {
  return Math.max(0, c.submitted - c.completed - c.failed - c.cancelled);
}

/**
 * The sum of several parts (one per shard).
 *
 * @example
 * sumFunctionCounts([{ submitted: 1, ... }, { submitted: 2, ... }]).submitted // 3
 */
export function sumFunctionCounts(parts: readonly FunctionCounts[]): FunctionCounts {
  const latency: Record<number, number> = {};
  let submitted = 0;
  let completed = 0;
  let failed = 0;
  let cancelled = 0;
  for (const p of parts) {
    submitted += p.submitted;
    completed += p.completed;
    failed += p.failed;
    cancelled += p.cancelled;
    for (const [b, n] of Object.entries(p.latency)) latency[Number(b)] = (latency[Number(b)] ?? 0) + n;
  }
  return { submitted, completed, failed, cancelled, latency };
}
