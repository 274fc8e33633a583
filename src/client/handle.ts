/**
 * `TaskHandle`: one submitted task, as `faas.submit` returns it (a future in Globus Compute's and
 * Python's sense). It knows its id, waits for its result, and cancels it. Once a terminal outcome is
 * known (read by `result`, or seen by `asCompleted`) it is kept, so reading it again sends nothing.
 */
import { outcomeValue } from "./outcome.ts";
import type { TaskOutcome } from "./types.ts";

/** What a handle needs from the client: waiting on one task and cancelling it. */
export interface HandleOps {
  /** The task's outcome once terminal, or `PENDING` when `timeoutS` passed first. */
  wait(taskId: string, o: { timeoutS?: number | undefined; signal?: AbortSignal | undefined }): Promise<TaskOutcome>;
  cancel(taskId: string, o: { signal?: AbortSignal | undefined }): Promise<void>;
}

/** Options of {@link TaskHandle.result} and {@link TaskHandle.outcome}. */
export interface HandleWaitOptions {
  /** Give up after this many seconds (default: no limit): `result` throws a WaitTimeoutError. */
  timeoutS?: number;
  /** Stop waiting: rejects with an AbortError; the task itself goes on. */
  signal?: AbortSignal;
}

const known = new WeakMap<TaskHandle<unknown>, TaskOutcome>();

/**
 * One submitted task.
 *
 * @example
 * ```ts
 * const h = await faas.submit((a: number, b: number) => a + b, [2, 3]);
 * console.log(h.taskId, await h.result()); // "9a2e...", 5
 * ```
 */
export class TaskHandle<R = unknown> {
  constructor(
    readonly taskId: string,
    private readonly ops: HandleOps,
  ) {}

  /**
   * True once a terminal outcome (or UNKNOWN) is known here, without asking the server.
   *
   * @example
   * ```ts
   * for await (const h of faas.asCompleted(handles)) h.done; // true
   * ```
   */
  get done(): boolean {
    return known.has(this);
  }

  /**
   * The task's outcome without throwing: COMPLETED, FAILED or CANCELLED with the parsed result,
   * UNKNOWN (expired or never existed), or PENDING when `timeoutS` passed first.
   *
   * @example
   * ```ts
   * const { status, result } = await handle.outcome({ timeoutS: 10 });
   * ```
   */
  async outcome(o: HandleWaitOptions = {}): Promise<TaskOutcome> {
    const seen = known.get(this);
    if (seen !== undefined) return seen;
    const outcome = await this.ops.wait(this.taskId, o);
    settleHandle(this, outcome);
    return outcome;
  }

  /**
   * The task's return value. Throws TaskFailedError (the remote error), TaskCancelledError,
   * WaitTimeoutError (still running after `timeoutS`), a 404 FaasError (unknown id), or an
   * AbortError when `signal` fires first.
   *
   * @example
   * ```ts
   * const value = await handle.result({ signal: AbortSignal.timeout(30_000) });
   * ```
   */
  async result(o: HandleWaitOptions = {}): Promise<R> {
    return outcomeValue(this.taskId, await this.outcome(o), o.timeoutS ?? 0) as R;
  }

  /**
   * Cancels the task if it is still QUEUED or RUNNING; a 409 FaasError (`AlreadyTerminal`) if it
   * already ended.
   *
   * @example
   * ```ts
   * await handle.cancel();
   * ```
   */
  cancel(o: { signal?: AbortSignal } = {}): Promise<void> {
    return this.ops.cancel(this.taskId, o);
  }
}

/**
 * Records a handle's outcome when it is final (terminal or UNKNOWN); PENDING is not final and is
 * ignored. For the client's own use (asCompleted); not exported from the package.
 *
 * @example
 * ```ts
 * settleHandle(handle, { status: "COMPLETED", result: 5 });
 * ```
 */
export function settleHandle(handle: TaskHandle<unknown>, outcome: TaskOutcome): void {
  if (outcome.status !== "PENDING") known.set(handle, outcome);
}
