/**
 * Tasks that wait for others (`after`): a dependent task is QUEUED but not claimable while any task it
 * waits for has not COMPLETED (`blockedBy` counts those). When one COMPLETES the dependent notes its
 * result; when the last does, it becomes claimable, its arguments extended with the results in `after`
 * order when it asked for them (`argsFrom: "results"`). When one ends FAILED or CANCELLED (or is gone),
 * the dependent ends FAILED DependencyFailed naming it, and so, in turn, do the tasks waiting for it.
 * Stores call these where a task they hold changes; the functions themselves are pure.
 *
 * @example
 * appendResults("[1]", ["2", "{\"a\":3}"]) // '[1,2,{"a":3}]'
 * settleDependency(t, "d-1", "COMPLETED", "5", now) // { task: { ...t, blockedBy: t.blockedBy - 1 }, ... }
 */
import { errorResult } from "./outcome.ts";
import type { Task, TaskStatus } from "./task.ts";

/** The arguments (JSON text of an array) with the results (JSON texts) appended, without re-serializing either. */
export function appendResults(args: string, results: readonly string[]): string {
  if (results.length === 0) return args;
  const close = args.lastIndexOf("]");
  const body = args.slice(args.indexOf("[") + 1, close).trim();
  return `[${body}${body === "" ? "" : ","}${results.map((r) => (r.trim() === "" ? "null" : r)).join(",")}]`;
}

/** What a dependent task becomes when one of its `after` tasks ends (or is found gone). */
export type DependencyStep =
  /** Still waiting for others (or this one was noted before). */
  | { readonly kind: "waiting"; readonly task: Task }
  /** The last one COMPLETED: claimable now, arguments extended when asked. */
  | { readonly kind: "ready"; readonly task: Task }
  /** One ended otherwise: FAILED DependencyFailed. */
  | { readonly kind: "failed"; readonly task: Task };

/**
 * Settles one dependency of a QUEUED task still blocked. `results` holds the results noted so far by
 * dependency id (the store keeps them); `depStatus` undefined means the dependency is gone (expired).
 * Returns the new task and, for "waiting", the results map to keep.
 */
export function settleDependency(
  task: Task,
  depId: string,
  depStatus: TaskStatus | undefined,
  depResult: string | null,
  results: ReadonlyMap<string, string>,
  now: number,
): DependencyStep & { readonly results: ReadonlyMap<string, string> } {
  if (task.status !== "QUEUED" || task.blockedBy === 0 || results.has(depId) || !(task.after ?? []).includes(depId)) return { kind: "waiting", task, results };
  if (depStatus !== "COMPLETED") {
    const why = depStatus === undefined ? "is gone (unknown or expired)" : `ended ${depStatus}`;
    const failed: Task = { ...task, status: "FAILED", blockedBy: 0, result: errorResult("DependencyFailed", `Task ${depId} ${why}; this task needed it to COMPLETE`), updatedAt: now };
    return { kind: "failed", task: failed, results };
  }
  const noted = new Map(results).set(depId, depResult ?? "null");
  const blockedBy = task.blockedBy - 1;
  if (blockedBy > 0) return { kind: "waiting", task: { ...task, blockedBy }, results: noted };
  const args = task.argsFrom === "results" ? appendResults(task.args, (task.after ?? []).map((id) => noted.get(id) ?? "null")) : task.args;
  return { kind: "ready", task: { ...task, blockedBy: 0, args, runAt: Math.max(task.runAt, now) }, results: noted };
}
