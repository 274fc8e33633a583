/**
 * Expected failures of the domain, as tagged values. Adapters map each `kind` to a transport status
 * (the HTTP adapter: 400, 404, 409, 429, 503).
 */
export type DomainError =
  | { readonly kind: "InvalidRequest"; readonly message: string; readonly arg?: ArgRef }
  | { readonly kind: "InvalidFunction"; readonly message: string; readonly arg?: ArgRef }
  | { readonly kind: "UnknownFunction"; readonly functionId: string }
  | { readonly kind: "UnknownTask"; readonly taskId: string }
  | { readonly kind: "UnknownSchedule"; readonly scheduleId: string }
  | { readonly kind: "AlreadyTerminal"; readonly taskId: string; readonly status: string }
  /** The queue (or, with `tenant`, that tenant's share of it: its `maxQueued` quota) is full. */
  | { readonly kind: "QueueFull"; readonly depth: number; readonly limit: number; readonly retryAfterS: number; readonly tenant?: string }
  /** The same idempotency key came with a different request (or while the first is still being stored). */
  | { readonly kind: "IdempotencyConflict"; readonly message: string }
  /** POST /tasks/{id}/retry on a task that is not FAILED or CANCELLED, or was re-run already. */
  | { readonly kind: "NotRetriable"; readonly taskId: string; readonly status: string; readonly retriedAs?: string }
  | { readonly kind: "BackendUnavailable"; readonly message: string };

/**
 * Which input of a use case was wrong, in the domain's terms: adapters name it in theirs (the HTTP
 * adapter maps `{name: "args", index: 3}` to the JSON field `payloads/3`, and `{name: "delay"}` to
 * `delay_ms`). Messages of the domain never name a transport's fields, flags or routes.
 */
export interface ArgRef {
  readonly name: "name" | "source" | "timeoutMs" | "maxAttempts" | "args" | "taskIds" | "retry" | "cron" | "priority" | "delay" | "runAt" | "after" | "argsFrom" | "idempotencyKey" | "everyMs" | "tasks" | "cursor";
  /** The position of the bad item when the input is a list. */
  readonly index?: number;
  /** The part of a structured input that was wrong: a key of the retry policy. */
  readonly part?: RetryPolicyKey;
}

/** The keys of a retry policy, as the domain names them (`RetryPolicyInput`). */
export type RetryPolicyKey = "maxRetries" | "backoffMs" | "factor" | "maxBackoffMs" | "on";

/** Builds an InvalidRequest error naming the offending input. */
export function invalid(message: string, arg?: ArgRef): DomainError {
  return arg === undefined ? { kind: "InvalidRequest", message } : { kind: "InvalidRequest", message, arg };
}

/** A one-line human message for any domain error. */
export function describeError(e: DomainError): string {
  switch (e.kind) {
    case "InvalidRequest":
    case "InvalidFunction":
    case "BackendUnavailable":
    case "IdempotencyConflict":
      return e.message;
    case "UnknownFunction":
      return `No function with id "${e.functionId}" (expected the id its registration returned)`;
    case "UnknownTask":
      return `No task with id "${e.taskId}" (unknown, or expired after the retention period)`;
    case "UnknownSchedule":
      return `No schedule with id "${e.scheduleId}" (expected the id its creation returned)`;
    case "AlreadyTerminal":
      return `Task "${e.taskId}" is already ${e.status}`;
    case "QueueFull":
      return e.tenant === undefined
        ? `The queue holds ${e.depth} tasks, its limit is ${e.limit}; retry after ${e.retryAfterS} s`
        : `Tenant ${e.tenant} has ${e.depth} tasks queued, its quota is ${e.limit}; retry after ${e.retryAfterS} s`;
    case "NotRetriable":
      return e.retriedAs !== undefined
        ? `Task "${e.taskId}" was run again already, as task "${e.retriedAs}"`
        : `Only a FAILED or CANCELLED task can be run again; task "${e.taskId}" is ${e.status}`;
  }
}

/**
 * Thrown by store adapters when the backend (Redis) cannot be reached: not a bug, and not an expected
 * outcome of a use case either. The HTTP adapter answers 503 with the error shape.
 */
export class BackendUnavailableError extends Error {
  override readonly name = "BackendUnavailableError";
}

/**
 * Thrown by store adapters when the backend took a command but gave no answer (it timed out, or the
 * connection dropped before the reply): the change may or may not have been applied, so a client must
 * check before sending it again. The HTTP adapter answers 504, never 503 (which promises that nothing
 * was done).
 */
export class BackendTimeoutError extends Error {
  override readonly name = "BackendTimeoutError";
}
