/** JSON replies and the one error shape: `{error, message, field?}`. */
import { describeError, type ArgRef, type DomainError, type RetryPolicyKey } from "../../domain/errors.ts";

const STATUS: Record<DomainError["kind"], number> = {
  InvalidRequest: 400,
  InvalidFunction: 400,
  UnknownFunction: 404,
  UnknownTask: 404,
  UnknownSchedule: 404,
  AlreadyTerminal: 409,
  QueueFull: 429,
  IdempotencyConflict: 409,
  NotRetriable: 409,
  BackendUnavailable: 503,
};

const JSON_HEADERS = new Headers({ "content-type": "application/json" });

/** A JSON reply with the given status. */
export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  // A Response copies the Headers it is given; one made once costs less to copy than an object to read.
  return new Response(JSON.stringify(body), { status, headers: headers === undefined ? JSON_HEADERS : { "content-type": "application/json", ...headers } });
}

/** The error shape for a transport-level problem (bad JSON, wrong method, too large...). */
export function errorReply(status: number, error: string, message: string, field?: string, headers?: Record<string, string>): Response {
  return json(field === undefined ? { error, message } : { error, message, field }, status, headers);
}

/**
 * The JSON field an input of a use case came from, in the REST contract's names. `args` is the
 * `payload` of /execute_function and `payloads/<i>` of /execute_batch: the route says which.
 */
export type FieldNames = (arg: ArgRef) => string;

const FIELDS: Record<ArgRef["name"], string> = {
  name: "name",
  source: "payload",
  timeoutMs: "timeout_ms",
  maxAttempts: "max_attempts",
  args: "payload",
  taskIds: "task_ids",
  retry: "retry",
  cron: "cron",
  priority: "priority",
  delay: "delay_ms",
  runAt: "run_at",
  after: "after",
  argsFrom: "args_from",
  idempotencyKey: "idempotency_key",
  everyMs: "every_ms",
  tasks: "tasks",
  cursor: "cursor",
};

/** Field names of single-task routes (an item of `after` by its index). */
export const singleFields: FieldNames = (arg) => (arg.name === "after" && arg.index !== undefined ? `after/${arg.index}` : FIELDS[arg.name]);

/** Field names of /execute_batch: the bad arguments are named by their index. */
export const batchFields: FieldNames = (arg) => (arg.name === "args" ? (arg.index === undefined ? "payloads" : `payloads/${arg.index}`) : singleFields(arg));

/** Field names of /execute_graph: a bad task is named by its index. */
export const graphFields: FieldNames = (arg) => (arg.name === "tasks" && arg.index !== undefined ? `tasks/${arg.index}` : FIELDS[arg.name]);

/** The keys of a retry policy as the REST contract spells them (schemas.ts RetryPolicy). */
export const RETRY_FIELDS: Record<RetryPolicyKey, string> = { maxRetries: "max_retries", backoffMs: "backoff_ms", factor: "factor", maxBackoffMs: "max_backoff_ms", on: "on" };

/**
 * The message of a domain error for a REST client: the domain's description, after the field it is
 * about (`delay_ms: The delay must be...`; a retry policy's key as `retry/backoff_ms: ...`), with
 * the routes and settings the domain does not know of named where they help.
 */
export function restMessage(e: DomainError, field: string | undefined): string {
  const part = "arg" in e && e.arg?.part !== undefined ? `/${RETRY_FIELDS[e.arg.part]}` : "";
  const text = field === undefined ? describeError(e) : `${field}${part}: ${describeError(e)}`;
  switch (e.kind) {
    case "UnknownFunction":
      return `${text}; the function_id comes from POST /register_function`;
    case "UnknownSchedule":
      return `${text}; the schedule_id comes from POST /schedules`;
    case "QueueFull":
      // The tenant's quota is an operator setting: name it, so the 429 says what to raise.
      return e.tenant === undefined ? text : `Tenant ${e.tenant} has ${e.depth} tasks queued, its limit (--tenant-limits queued=${e.limit}); retry after ${e.retryAfterS} s`;
    default:
      return text;
  }
}

/** Maps a domain error to its status code and the error shape, naming the field as the route calls it. */
export function domainErrorReply(e: DomainError, fields: FieldNames = singleFields): Response {
  const field = "arg" in e && e.arg !== undefined ? fields(e.arg) : undefined;
  const headers = e.kind === "QueueFull" ? { "retry-after": String(e.retryAfterS) } : undefined;
  return errorReply(STATUS[e.kind], e.kind, restMessage(e, field), field, headers);
}

