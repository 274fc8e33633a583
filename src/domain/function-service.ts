/**
 * The use cases of functions: register one (checked, compiled to plain JavaScript, stored immutable
 * under a new id), read one, list them. Transport-free: adapters validate the shape of requests and
 * map the DomainErrors returned here to their own terms.
 *
 * @example
 * const functions = new FunctionService({ functions: store, ids, clock, checker });
 * const fn = await functions.register({ tenant: "alice", name: "add", source: "(a, b) => a + b" });
 */
import { invalid, type DomainError } from "./errors.ts";
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_TIMEOUT_MS, MAX_ATTEMPTS_LIMIT, MAX_TIMEOUT_MS, type FunctionRecord } from "./function-record.ts";
import type { Clock, FunctionStore, IdGen, SourceChecker } from "./ports.ts";
import { err, ok, type Result } from "./result.ts";
import { checkRetryPolicy, type RetryPolicyInput } from "./retry-policy.ts";
import { scopeOf, visibleTo } from "./tenant.ts";

export interface FunctionServiceDeps {
  readonly functions: FunctionStore;
  readonly ids: IdGen;
  readonly clock: Clock;
  readonly checker: SourceChecker;
}

export interface RegisterInput {
  /** The tenant registering it (the caller's). */
  readonly tenant: string;
  readonly name: string;
  /** Source text of one function expression (JavaScript or TypeScript). */
  readonly source: string;
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
  /** The retry policy of its tasks (each call may override it). */
  readonly retry?: RetryPolicyInput;
}

export class FunctionService {
  constructor(private readonly d: FunctionServiceDeps) {}

  /** Registers a new immutable function; every call gets a new id. */
  async register(input: RegisterInput): Promise<Result<FunctionRecord, DomainError>> {
    const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxAttempts = input.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const bad = checkTimeout(timeoutMs) ?? checkMaxAttempts(maxAttempts);
    if (bad !== undefined) return err(bad);
    const retry = input.retry === undefined ? undefined : checkRetryPolicy(input.retry);
    if (retry !== undefined && !retry.ok) return retry;
    const code = this.d.checker.check(input.source);
    if (!code.ok) return code;
    const fn: FunctionRecord = {
      id: this.d.ids.next(),
      tenant: input.tenant,
      name: input.name,
      source: input.source,
      code: code.value,
      timeoutMs,
      maxAttempts,
      ...(retry !== undefined && { retry: retry.value }),
      createdAt: this.d.clock.now(),
    };
    await this.d.functions.save(fn);
    return ok(fn);
  }

  /** The function, if it exists and `viewer` may see it (another tenant's is as unknown). */
  async get(id: string, viewer: string): Promise<FunctionRecord | undefined> {
    const fn = await this.d.functions.get(id);
    return fn !== undefined && visibleTo(viewer, fn.tenant) ? fn : undefined;
  }

  /** The functions `viewer` may see: its own, or all for admin. */
  list(viewer: string): Promise<FunctionRecord[]> {
    return this.d.functions.list(scopeOf(viewer));
  }

  /** How many functions `viewer` may see. */
  count(viewer: string): Promise<number> {
    return this.d.functions.count(scopeOf(viewer));
  }
}

/** A deadline out of range, or undefined when it is fine. */
export function checkTimeout(timeoutMs: number): DomainError | undefined {
  if (Number.isInteger(timeoutMs) && timeoutMs >= 1 && timeoutMs <= MAX_TIMEOUT_MS) return undefined;
  return invalid(`The deadline must be a whole number of ms from 1 to ${MAX_TIMEOUT_MS}, got ${timeoutMs}`, { name: "timeoutMs" });
}

function checkMaxAttempts(maxAttempts: number): DomainError | undefined {
  if (Number.isInteger(maxAttempts) && maxAttempts >= 1 && maxAttempts <= MAX_ATTEMPTS_LIMIT) return undefined;
  return invalid(`The attempts limit must be a whole number from 1 to ${MAX_ATTEMPTS_LIMIT}, got ${maxAttempts}`, { name: "maxAttempts" });
}
