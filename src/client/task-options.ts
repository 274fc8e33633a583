/**
 * What a call may ask of its tasks beyond the function's defaults (priority, a delay or start time, a
 * retry policy, the tasks it waits for), in the SDK's terms, and their wire form.
 *
 * @example
 * await faas.execute(fid, [1], { priority: 9, delayMs: 5000, retry: { maxRetries: 3, backoffMs: 200 } });
 * taskOptionsBody({ priority: 9, runAt: new Date(0) }) // { priority: 9, run_at: "1970-01-01T00:00:00.000Z" }
 */

/** What a thrown error does: retried `maxRetries` times after a backoff (x `factor` each time, capped, ±50% jitter). */
export interface RetryPolicy {
  maxRetries: number;
  /** Wait before the first retry (server default 1000 ms). */
  backoffMs?: number;
  /** Each retry waits this many times longer (server default 2). */
  factor?: number;
  /** Cap on the wait (server default 60 s). */
  maxBackoffMs?: number;
  /** Error names to retry (all when absent; TimeoutError only when named). */
  on?: string[];
}

export interface TaskOptions {
  /** This call's deadline in ms (the function's otherwise). */
  timeoutMs?: number;
  /** 0 (least urgent) to 9 (most); 5 by default. */
  priority?: number;
  /** Run no sooner than this many ms from now. */
  delayMs?: number;
  /** Run no sooner than this time (not with delayMs). */
  runAt?: Date | string;
  /** Overrides the function's retry policy. */
  retry?: RetryPolicy;
  /** Ids of your tasks that must all COMPLETE first (one failing fails these with DependencyFailed). */
  after?: string[];
  /** "results": the results of `after` are appended to the arguments. */
  argsFrom?: "results";
}

/** The wire form of a retry policy. */
export function retryBody(p: RetryPolicy): Record<string, unknown> {
  return {
    max_retries: p.maxRetries,
    ...(p.backoffMs !== undefined && { backoff_ms: p.backoffMs }),
    ...(p.factor !== undefined && { factor: p.factor }),
    ...(p.maxBackoffMs !== undefined && { max_backoff_ms: p.maxBackoffMs }),
    ...(p.on !== undefined && { on: p.on }),
  };
}

/** The wire fields of the options given. */
export function taskOptionsBody(o: TaskOptions): Record<string, unknown> {
  return {
    ...(o.timeoutMs !== undefined && { timeout_ms: o.timeoutMs }),
    ...(o.priority !== undefined && { priority: o.priority }),
    ...(o.delayMs !== undefined && { delay_ms: o.delayMs }),
    ...(o.runAt !== undefined && { run_at: o.runAt instanceof Date ? o.runAt.toISOString() : o.runAt }),
    ...(o.retry !== undefined && { retry: retryBody(o.retry) }),
    ...(o.after !== undefined && { after: o.after }),
    ...(o.argsFrom !== undefined && { args_from: o.argsFrom }),
  };
}

/** Only the task options of a wider options object (SubmitOptions carries name and signal too). */
export function pickTaskOptions(o: TaskOptions): TaskOptions {
  const { timeoutMs, priority, delayMs, runAt, retry, after, argsFrom } = o;
  return Object.fromEntries(Object.entries({ timeoutMs, priority, delayMs, runAt, retry, after, argsFrom }).filter(([, v]) => v !== undefined)) as TaskOptions;
}
