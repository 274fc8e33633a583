/** Turning a task's outcome into a value or the matching error. */
import { TaskCancelledError, TaskFailedError, WaitTimeoutError, type RemoteError } from "./errors.ts";
import type { TaskOutcome } from "./types.ts";
import { FaasError } from "./errors.ts";

/**
 * The result of a COMPLETED task; throws {@link TaskFailedError} (with the remote error) for FAILED,
 * {@link TaskCancelledError} for CANCELLED, {@link WaitTimeoutError} for PENDING and a 404
 * {@link FaasError} for UNKNOWN.
 *
 * @example
 * ```ts
 * const outcomes = await client.wait(ids);
 * const values = ids.map((id) => outcomeValue(id, outcomes.get(id)!)); // throws at the first failed task
 * ```
 */
export function outcomeValue(taskId: string, outcome: TaskOutcome, waitedS = 0): unknown {
  switch (outcome.status) {
    case "COMPLETED":
      return outcome.result;
    case "FAILED":
      throw new TaskFailedError(taskId, asRemoteError(outcome.result));
    case "CANCELLED":
      throw new TaskCancelledError(taskId);
    case "PENDING":
      throw new WaitTimeoutError(taskId, "QUEUED or RUNNING", waitedS);
    case "UNKNOWN":
      throw new FaasError(404, "UnknownTask", `Task ${taskId} is unknown to the server (never existed, or expired)`);
  }
}

/**
 * The `{name, message, stack}` of a FAILED task's result, tolerating any shape.
 *
 * @example
 * ```ts
 * asRemoteError({ name: "RangeError", message: "too far", stack: "..." }).name; // "RangeError"
 * ```
 */
export function asRemoteError(result: unknown): RemoteError {
  if (result !== null && typeof result === "object") {
    const r = result as Record<string, unknown>;
    return {
      name: typeof r.name === "string" ? r.name : "Error",
      message: typeof r.message === "string" ? r.message : JSON.stringify(result),
      ...(typeof r.stack === "string" ? { stack: r.stack } : {}),
    };
  }
  return { name: "Error", message: typeof result === "string" ? result : JSON.stringify(result) };
}
