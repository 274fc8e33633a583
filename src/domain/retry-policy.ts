/**
 * Retry policies: what a task does when its function throws. A policy (per function at registration,
 * overridable per call) says how many times to retry, the backoff between tries (exponential with a
 * factor and a cap, with jitter), and, optionally, which error names are worth retrying. Retries of a
 * policy are counted apart from the attempts limit, which keeps counting lost executors and workers. A
 * TimeoutError is retried only when `on` names it.
 *
 * @example
 * const p = checkRetryPolicy({ maxRetries: 3, backoffMs: 100, factor: 2, maxBackoffMs: 1000 });
 * nextRetry(p.value, 0, "TypeError", () => 0.5) // { delayMs: 100 }  (jitter ±50% around 100)
 * nextRetry(p.value, 3, "TypeError", () => 0.5) // undefined: retries used up
 */
import { invalid, type DomainError, type RetryPolicyKey } from "./errors.ts";
import { err, ok, type Result } from "./result.ts";

export interface RetryPolicy {
  readonly maxRetries: number;
  readonly backoffMs: number;
  readonly factor: number;
  readonly maxBackoffMs: number;
  /** Error names to retry; undefined: every thrown error (but TimeoutError only when named). */
  readonly on?: readonly string[];
}

/** A policy as a caller gives it: only `maxRetries` is required (adapters map their own field names). */
export interface RetryPolicyInput {
  readonly maxRetries: number;
  readonly backoffMs?: number;
  readonly factor?: number;
  readonly maxBackoffMs?: number;
  readonly on?: readonly string[];
}

export const MAX_RETRIES_LIMIT = 100;
const MAX_BACKOFF_LIMIT = 24 * 3600 * 1000;

/** Checks and completes a policy: defaults backoff 1000 ms, factor 2, cap 60 s. A refusal names the key. */
export function checkRetryPolicy(p: RetryPolicyInput): Result<RetryPolicy, DomainError> {
  const bad = (part: RetryPolicyKey, message: string): Result<RetryPolicy, DomainError> => err(invalid(message, { name: "retry", part }));
  const backoffMs = p.backoffMs ?? 1000;
  const factor = p.factor ?? 2;
  const maxBackoffMs = p.maxBackoffMs ?? Math.max(60_000, backoffMs);
  if (!Number.isInteger(p.maxRetries) || p.maxRetries < 0 || p.maxRetries > MAX_RETRIES_LIMIT) return bad("maxRetries", `The retries must be a whole number from 0 to ${MAX_RETRIES_LIMIT}, got ${p.maxRetries}`);
  if (!Number.isInteger(backoffMs) || backoffMs < 0 || backoffMs > MAX_BACKOFF_LIMIT) return bad("backoffMs", `The first backoff must be a whole number of ms from 0 to ${MAX_BACKOFF_LIMIT}, got ${backoffMs}`);
  if (!(factor >= 1 && factor <= 10)) return bad("factor", `The backoff factor must be from 1 to 10, got ${factor}`);
  if (!Number.isInteger(maxBackoffMs) || maxBackoffMs < backoffMs || maxBackoffMs > MAX_BACKOFF_LIMIT) return bad("maxBackoffMs", `The backoff cap must be a whole number of ms from the first backoff (${backoffMs}) to ${MAX_BACKOFF_LIMIT}, got ${maxBackoffMs}`);
  if (p.on !== undefined && (!Array.isArray(p.on) || p.on.length > 50 || p.on.some((n) => typeof n !== "string" || n === "" || n.length > 100))) return bad("on", "The retried error names must be a list of at most 50 non-empty names");
  return ok({ maxRetries: p.maxRetries, backoffMs, factor, maxBackoffMs, ...(p.on !== undefined && { on: [...p.on] }) });
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
