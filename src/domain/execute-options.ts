/**
 * What a call to execute may ask beyond the function's defaults, checked: a deadline, a priority, a
 * delay or a start time, a retry policy, the tasks it waits for. Turns them into the TaskOptions of
 * `newTask`; the first bad one is named.
 *
 * @example
 * checkExecuteOptions({ priority: 9, delayMs: 500 }, fnRetry, now)
 *   // ok({ priority: 9, runAt: now + 500, retry: fnRetry })
 * checkExecuteOptions({ delayMs: 5, runAt: now }, undefined, now) // InvalidRequest: not both
 */
import { invalid, type DomainError } from "./errors.ts";
import { checkTimeout } from "./function-service.ts";
import { err, ok, type Result } from "./result.ts";
import { checkRetryPolicy, type RetryPolicy, type RetryPolicyInput } from "./retry-policy.ts";
import type { TaskOptions } from "./task.ts";

export interface ExecuteOptions {
  /** Overrides the function's deadline for these tasks. */
  readonly timeoutMs?: number;
  /** 0 (least urgent) to 9 (most). */
  readonly priority?: number;
  /** Claimable only this many ms from now... */
  readonly delayMs?: number;
  /** ...or from this time (ms since the epoch); not both. */
  readonly runAt?: number;
  /** Overrides the function's retry policy. */
  readonly retry?: RetryPolicyInput;
  /** Ids of the caller's tasks that must all be COMPLETED first. */
  readonly after?: readonly string[];
  /** "results": the results of `after` are appended to the arguments. */
  readonly argsFrom?: "results";
}

export const MAX_DELAY_MS = 366 * 24 * 3600 * 1000;
export const MAX_AFTER = 100;

/** The checked options; `fnRetry` is the function's policy, used when the call names none. */
export function checkExecuteOptions(o: ExecuteOptions, fnRetry: RetryPolicy | undefined, now: number): Result<Partial<TaskOptions> & { timeoutMs?: number }, DomainError> {
  const out: { -readonly [K in keyof TaskOptions]?: TaskOptions[K] } & { timeoutMs?: number } = {};
  if (o.timeoutMs !== undefined) {
    const bad = checkTimeout(o.timeoutMs);
    if (bad !== undefined) return err(bad);
    out.timeoutMs = o.timeoutMs;
  }
  if (o.priority !== undefined) {
    if (!Number.isInteger(o.priority) || o.priority < 0 || o.priority > 9) return err(invalid(`The priority must be a whole number from 0 to 9 (9 most urgent), got ${o.priority}`, { name: "priority" }));
    out.priority = o.priority;
  }
  if (o.delayMs !== undefined && o.runAt !== undefined) return err(invalid("Give a delay or a start time, not both", { name: "delay" }));
  if (o.delayMs !== undefined) {
    if (!Number.isInteger(o.delayMs) || o.delayMs < 0 || o.delayMs > MAX_DELAY_MS) return err(invalid(`The delay must be a whole number of ms from 0 to ${MAX_DELAY_MS}, got ${o.delayMs}`, { name: "delay" }));
    out.runAt = now + o.delayMs;
  }
  if (o.runAt !== undefined) {
    if (!Number.isFinite(o.runAt) || o.runAt > now + MAX_DELAY_MS) return err(invalid(`The start time must be a valid time at most ${MAX_DELAY_MS / 86_400_000} days ahead`, { name: "runAt" }));
    out.runAt = Math.round(o.runAt);
  }
  if (o.retry !== undefined) {
    const p = checkRetryPolicy(o.retry);
    if (!p.ok) return p;
    out.retry = p.value;
  } else if (fnRetry !== undefined) out.retry = fnRetry;
  if (o.after !== undefined) {
    if (o.after.length > MAX_AFTER) return err(invalid(`At most ${MAX_AFTER} tasks to wait for, got ${o.after.length}`, { name: "after" }));
    if (new Set(o.after).size !== o.after.length) return err(invalid("A task to wait for is listed twice", { name: "after" }));
    if (o.after.length > 0) out.after = o.after;
  }
  if (o.argsFrom !== undefined) {
    if (o.argsFrom !== "results") return err(invalid(`The only source of extra arguments is "results", got ${JSON.stringify(o.argsFrom)}`, { name: "argsFrom" }));
    if (out.after === undefined) return err(invalid('Taking the results as arguments needs the tasks to wait for (after)', { name: "argsFrom" }));
    out.argsFrom = o.argsFrom;
  }
  return ok(out);
}
