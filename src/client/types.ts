/** The shapes the SDK returns, and the wire shapes it reads (snake_case, as the REST contract). */

/** A task's status on the server. */
export type TaskStatus = "QUEUED" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";

/**
 * A task's status as `wait` reports it: a terminal status, `PENDING` (still QUEUED or RUNNING when
 * the wait's timeout passed) or `UNKNOWN` (the server does not know the id: never existed, or expired).
 */
export type WaitStatus = "COMPLETED" | "FAILED" | "CANCELLED" | "PENDING" | "UNKNOWN";

/**
 * What became of one task. `result` is the parsed JSON value: the return value when COMPLETED, the
 * remote `{name, message, stack}` when FAILED, and null otherwise.
 */
export interface TaskOutcome {
  readonly status: WaitStatus;
  readonly result: unknown;
}

/** `result(id)`: the task's status and, once terminal, its parsed result (null before). */
export interface TaskResult {
  readonly taskId: string;
  readonly status: TaskStatus;
  readonly result: unknown;
}

/** A registered function (`functions()`, `function(id)`); `source` only when asked for. */
export interface FunctionInfo {
  readonly functionId: string;
  readonly name: string;
  /** ISO 8601. */
  readonly created: string;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly source?: string;
}

/** `health()`: the server is up and this many tasks are queued. */
export interface Health {
  readonly status: "ok";
  readonly queued: number;
}

/** Wire shapes (see src/adapters/http/schemas.ts on the server side). */
export interface WireResult {
  task_id: string;
  status: TaskStatus;
  result: string | null;
}
export interface WireWait {
  results: WireResult[];
  pending: string[];
  unknown: string[];
}
export interface WireFunction {
  function_id: string;
  name: string;
  created: string;
  timeout_ms: number;
  max_attempts: number;
  payload?: string;
}

/**
 * True for COMPLETED, FAILED and CANCELLED.
 *
 * @example
 * ```ts
 * isTerminalStatus("RUNNING"); // false
 * ```
 */
export function isTerminalStatus(s: string): s is "COMPLETED" | "FAILED" | "CANCELLED" {
  return s === "COMPLETED" || s === "FAILED" || s === "CANCELLED";
}
