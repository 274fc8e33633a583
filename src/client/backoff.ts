/**
 * How long to wait before a retry: exponential backoff with full jitter, or the server's
 * `Retry-After` when it sends one.
 */

/** The longest the SDK waits between two attempts, whatever the backoff or Retry-After say. */
export const MAX_RETRY_DELAY_MS = 30_000;

/**
 * The delay before retry number `attempt` (1 for the first retry): a random value in
 * `[0, backoffMs * 2^(attempt-1)]` (full jitter, so many clients do not retry in step), capped at
 * {@link MAX_RETRY_DELAY_MS}. `random` is a parameter so tests can pin it.
 *
 * @example
 * ```ts
 * backoffDelay(1, 100, () => 1);   // 100
 * backoffDelay(3, 100, () => 0.5); // 200
 * ```
 */
export function backoffDelay(attempt: number, backoffMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_RETRY_DELAY_MS, backoffMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * random());
}

/**
 * The `Retry-After` header as milliseconds, or undefined when absent or not a number of seconds
 * (HTTP dates are not used by this server). Capped at {@link MAX_RETRY_DELAY_MS}.
 *
 * @example
 * ```ts
 * retryAfterMs(new Headers({ "retry-after": "2" })); // 2000
 * retryAfterMs(new Headers());                       // undefined
 * ```
 */
export function retryAfterMs(headers: Headers): number | undefined {
  const raw = headers.get("retry-after");
  if (raw === null || raw.trim() === "") return undefined;
  const s = Number(raw);
  if (!Number.isFinite(s) || s < 0) return undefined;
  return Math.min(MAX_RETRY_DELAY_MS, Math.round(s * 1000));
}
