/**
 * The SDK's error types. Every non-2xx reply is a {@link FaasError}; a request that got no reply is a
 * {@link FaasNetworkError}; a task that ended badly is a {@link TaskFailedError} or
 * {@link TaskCancelledError}; a wait that ran out of time is a {@link WaitTimeoutError}.
 */

/** The error a task's function threw, as the server stores it: `{name, message, stack}`. */
export interface RemoteError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/**
 * A non-2xx HTTP reply. `code` is the server's `error` field (`UnknownFunction`, `InvalidRequest`,
 * `QueueFull`...), `message` its `message`, `field` the offending field when the server names one.
 *
 * @example
 * ```ts
 * try { await client.status("nope"); }
 * catch (e) { if (e instanceof FaasError && e.status === 404) console.log(e.code); } // "UnknownTask"
 * ```
 */
export class FaasError extends Error {
  override readonly name = "FaasError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }

  /**
   * Builds the error from a reply. Replies that are not the server's error shape (a proxy's HTML
   * page, say) keep their status and get the code `HttpError` and the start of the body as message.
   *
   * @example
   * ```ts
   * const e = await FaasError.fromResponse(new Response('{"error":"X","message":"m"}', { status: 400 }));
   * e.code; // "X"
   * ```
   */
  static async fromResponse(res: Response): Promise<FaasError> {
    return FaasError.fromBody(res.status, await res.text().catch(() => ""));
  }

  /**
   * The same from a reply already read: its status and body text.
   *
   * @example
   * ```ts
   * FaasError.fromBody(502, "<html>Bad Gateway</html>").code; // "HttpError"
   * ```
   */
  static fromBody(status: number, text: string): FaasError {
    try {
      const body = JSON.parse(text) as { error?: unknown; message?: unknown; field?: unknown };
      if (typeof body.error === "string" && typeof body.message === "string") {
        return new FaasError(status, body.error, body.message, typeof body.field === "string" ? body.field : undefined);
      }
    } catch {
      // not JSON: fall through
    }
    const snippet = text.length > 200 ? `${text.slice(0, 200)}...` : text;
    return new FaasError(status, "HttpError", `HTTP ${status}${snippet === "" ? "" : `: ${snippet}`}`);
  }
}

/**
 * No reply came (connection refused or reset, DNS failure, request timeout), after the retries the
 * call allows. `outcomeUnknown` is true only for `register` (not retried after a network error: the
 * server may have registered the function); execute calls carry an idempotency key and are retried,
 * so for them it is always false. `url` is the address that did not answer; `cause` the runtime's error.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof FaasNetworkError && e.outcomeUnknown) { ... a registration may exist ... } }
 * ```
 */
export class FaasNetworkError extends Error {
  override readonly name = "FaasNetworkError";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly outcomeUnknown: boolean,
    readonly attempts: number,
    cause: unknown,
    readonly url: string = path,
  ) {
    super(`${method} ${url} got no reply after ${attempts} attempt(s): ${networkReason(cause)}`, { cause });
  }
}

/**
 * What went wrong on the network, in words: the innermost cause's message (Node's fetch says only
 * "fetch failed" and keeps "connect ECONNREFUSED 127.0.0.1:1" in its cause), with its code when the
 * message does not hold it.
 *
 * @example
 * ```ts
 * networkReason(new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }) }));
 * // "connect ECONNREFUSED 127.0.0.1:1"
 * ```
 */
export function networkReason(cause: unknown): string {
  let e = cause;
  for (let depth = 0; depth < 5 && e instanceof Error && e.cause instanceof Error; depth++) e = e.cause;
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && code !== "" && !e.message.includes(code) ? `${e.message} (${code})` : e.message;
}

/**
 * The task ended FAILED. `remote` is the error the function threw (or `TimeoutError`,
 * `WorkerFailure`, `SerializationError` from the platform).
 *
 * @example
 * ```ts
 * try { await client.run(() => { throw new RangeError("x"); }, []); }
 * catch (e) { if (e instanceof TaskFailedError) console.log(e.remote.name); } // "RangeError"
 * ```
 */
export class TaskFailedError extends Error {
  override readonly name = "TaskFailedError";
  constructor(
    readonly taskId: string,
    readonly remote: RemoteError,
  ) {
    super(`Task ${taskId} failed: ${remote.name}: ${remote.message}`);
  }
}

/**
 * The task ended CANCELLED (someone called `cancel`, or `DELETE /tasks/{id}`).
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof TaskCancelledError) console.log(e.taskId); }
 * ```
 */
export class TaskCancelledError extends Error {
  override readonly name = "TaskCancelledError";
  constructor(readonly taskId: string) {
    super(`Task ${taskId} was cancelled`);
  }
}

/**
 * `run` (or `result` in the CLI) gave up waiting: the task is still QUEUED or RUNNING on the server,
 * and can be read later by its id.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof WaitTimeoutError) console.log(e.taskId, e.lastStatus); }
 * ```
 */
export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
  constructor(
    readonly taskId: string,
    readonly lastStatus: string,
    waitedS: number,
  ) {
    super(`Task ${taskId} is still ${lastStatus} after waiting ${waitedS} s`);
  }
}

/**
 * `executeBatch` failed part-way: chunks before the failure may already be queued. `taskIds` holds the
 * ids that were created, at the index of their args (undefined where nothing was queued); `cause` is
 * the first error.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof BatchSubmitError) console.log(e.taskIds.filter(Boolean).length, "queued"); }
 * ```
 */
export class BatchSubmitError extends Error {
  override readonly name = "BatchSubmitError";
  constructor(
    readonly taskIds: ReadonlyArray<string | undefined>,
    cause: unknown,
  ) {
    const queued = taskIds.filter((id) => id !== undefined).length;
    super(`Batch failed after ${queued} of ${taskIds.length} tasks were queued: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
