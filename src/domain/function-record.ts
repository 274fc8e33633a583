import type { RetryPolicy } from "./retry-policy.ts";

/** A registered function: immutable once stored; every registration gets a new id. */
export interface FunctionRecord {
  readonly id: string;
  /** The tenant that registered it; its tasks belong to the same tenant. */
  readonly tenant: string;
  readonly name: string;
  /** The source text as the user sent it (TypeScript allowed). */
  readonly source: string;
  /** Plain JavaScript of the same function expression, what executors evaluate. */
  readonly code: string;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  /** What its tasks do when it throws (each call may override it); final errors when absent. */
  readonly retry?: RetryPolicy;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_ATTEMPTS = 3;
/** Upper bounds accepted at registration. */
export const MAX_TIMEOUT_MS = 24 * 3600 * 1000;
export const MAX_ATTEMPTS_LIMIT = 100;

/** What `GET /functions` shows: everything but the code. */
export function summarize(fn: FunctionRecord): Omit<FunctionRecord, "source" | "code"> {
  const { source: _s, code: _c, ...rest } = fn;
  return rest;
}
