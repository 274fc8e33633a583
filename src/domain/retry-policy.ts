/**
 * Retry policies: what a task does when its function throws. A policy (per function at registration,
 * overridable per call) says how many times to retry, the backoff between tries (exponential with a
 * factor and a cap, with jitter), and, optionally, which error names are worth retrying. Retries of a
 * policy are counted apart from `max_attempts`, which keeps counting lost executors and workers. A
 * TimeoutError is retried only when `on` names it.
 *
 * @example
 * const p = checkRetryPolicy({ max_retries: 3, backoff_ms: 100, factor: 2, max_backoff_ms: 1000 });
 * nextRetry(p.value, 0, "TypeError", () => 0.5) // { delayMs: 100 }  (jitter ±50% around 100)
 * nextRetry(p.value, 3, "TypeError", () => 0.5) // undefined: retries used up
 */
import { invalid, type DomainError } from "./errors.ts";
import { err, ok, type Result } from "./result.ts";

export interface RetryPolicy {
  readonly maxRetries: number;
  readonly backoffMs: number;
  readonly factor: number;
  readonly maxBackoffMs: number;
  /** Error names to retry; undefined: every thrown error (but TimeoutError only when named). */
  readonly on?: readonly string[];
}

/** The policy as the REST contract spells it. */
export interface RetryPolicyInput {
  readonly max_retries: number;
  readonly backoff_ms?: number;
  readonly factor?: number;
  readonly max_backoff_ms?: number;
  readonly on?: readonly string[];
}

export const MAX_RETRIES_LIMIT = 100;
const MAX_BACKOFF_LIMIT = 24 * 3600 * 1000;

/** Checks and completes a policy: defaults backoff 1000 ms, factor 2, cap 60 s. */
export function checkRetryPolicy(p: RetryPolicyInput): Result<RetryPolicy, DomainError> {
  const bad = (message: string): Result<RetryPolicy, DomainError> => err(invalid(`retry: ${message}`, { name: "retry" }));
  const backoffMs = p.backoff_ms ?? 1000;
  const factor = p.factor ?? 2;
  const maxBackoffMs = p.max_backoff_ms ?? Math.max(60_000, backoffMs);
  if (!Number.isInteger(p.max_retries) || p.max_retries < 0 || p.max_retries > MAX_RETRIES_LIMIT) return bad(`max_retries must be a whole number from 0 to ${MAX_RETRIES_LIMIT}, got ${p.max_retries}`);
  if (!Number.isInteger(backoffMs) || backoffMs < 0 || backoffMs > MAX_BACKOFF_LIMIT) return bad(`backoff_ms must be a whole number of ms from 0 to ${MAX_BACKOFF_LIMIT}, got ${backoffMs}`);
  if (!(factor >= 1 && factor <= 10)) return bad(`factor must be from 1 to 10, got ${factor}`);
  if (!Number.isInteger(maxBackoffMs) || maxBackoffMs < backoffMs || maxBackoffMs > MAX_BACKOFF_LIMIT) return bad(`max_backoff_ms must be a whole number of ms from backoff_ms (${backoffMs}) to ${MAX_BACKOFF_LIMIT}, got ${maxBackoffMs}`);
  if (p.on !== undefined && (!Array.isArray(p.on) || p.on.length > 50 || p.on.some((n) => typeof n !== "string" || n === "" || n.length > 100))) return bad("on must be a list of at most 50 error names");
  return ok({ maxRetries: p.max_retries, backoffMs, factor, maxBackoffMs, ...(p.on !== undefined && { on: [...p.on] }) });
}

/**
 * Whether an error named `errorName` after `retriesSoFar` policy retries is retried, and after how
 * long: `backoffMs * factor^retriesSoFar`, capped, with full ±50% jitter from `random()` in [0, 1).
 */
export function nextRetry(p: RetryPolicy, retriesSoFar: number, errorName: string, random: () => number): { readonly delayMs: number } | undefined {
  if (retriesSoFar >= p.maxRetries) return undefined;
  if (p.on === undefined ? errorName === "TimeoutError" : !p.on.includes(errorName)) return undefined;
  const base = Math.min(p.maxBackoffMs, p.backoffMs * p.factor ** retriesSoFar);
  return { delayMs: Math.max(0, Math.round(base * (0.5 + random()))) };
}
