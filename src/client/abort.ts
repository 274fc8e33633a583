/**
 * Stopping a call from outside: every SDK call takes an `AbortSignal` (`{signal}`); when it fires, the
 * call stops waiting (the HTTP request in flight is aborted, a retry's back-off is cut short) and
 * rejects with an {@link AbortError} whose `cause` is the signal's reason.
 */

/**
 * A call was stopped through its `AbortSignal`. `name` is "AbortError" (as for an aborted fetch) and
 * `cause` the signal's reason (a `TimeoutError` for `AbortSignal.timeout(ms)`).
 *
 * @example
 * ```ts
 * try { await faas.run(fn, [], { signal: AbortSignal.timeout(5000) }); }
 * catch (e) { if (e instanceof AbortError) console.log("gave up:", e.message); }
 * ```
 */
export class AbortError extends Error {
  override readonly name = "AbortError";
  readonly code = "ABORT_ERR";
  constructor(what: string, reason?: unknown) {
    super(`${what} was aborted${describeReason(reason)}`, { cause: reason });
  }
}

function describeReason(reason: unknown): string {
  if (reason instanceof Error && reason.name !== "AbortError") return ` (${reason.name}: ${reason.message})`;
  if (reason !== undefined && !(reason instanceof Error)) return ` (${String(reason)})`;
  return "";
}

/**
 * Throws an {@link AbortError} naming `what` when `signal` has fired.
 *
 * @example
 * ```ts
 * throwIfAborted(o.signal, "wait for 3 tasks");
 * ```
 */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) throw new AbortError(what, signal.reason);
}

/**
 * Resolves after `ms` milliseconds, or rejects with an {@link AbortError} as soon as `signal` fires
 * (the timer is cleared then).
 *
 * @example
 * ```ts
 * await abortableDelay(250, o.signal, "back-off before retrying GET /status/abc");
 * ```
 */
export function abortableDelay(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  throwIfAborted(signal, what);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortError(what, signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A signal for one HTTP attempt: it fires after `timeoutMs` (reason: a `TimeoutError`) or when
 * `outer` fires (its reason). Call `release()` once the attempt is over, so no timer or listener is
 * left behind. Written out rather than `AbortSignal.any`, which Node added only in 20.3.
 *
 * @example
 * ```ts
 * const attempt = attemptSignal(30_000, o.signal);
 * try { await fetch(url, { signal: attempt.signal }); } finally { attempt.release(); }
 * ```
 */
export function attemptSignal(timeoutMs: number, outer: AbortSignal | undefined): { signal: AbortSignal; release: () => void } {
  const c = new AbortController();
  const timer = setTimeout(() => c.abort(new DOMException(`no reply within ${timeoutMs} ms`, "TimeoutError")), timeoutMs);
  const onAbort = (): void => c.abort(outer?.reason);
  if (outer?.aborted === true) c.abort(outer.reason);
  else outer?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: c.signal,
    release: () => {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    },
  };
}

/**
 * `promise`, or an {@link AbortError} as soon as `signal` fires (the promise itself goes on: use it
 * for work shared with other callers, which one caller's signal must not stop).
 *
 * @example
 * ```ts
 * const id = await raceAbort(sharedRegistration, o.signal, "POST /register_function");
 * ```
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (signal === undefined) return promise;
  throwIfAborted(signal, what);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortError(what, signal.reason));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
