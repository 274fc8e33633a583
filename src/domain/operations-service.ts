/**
 * The use cases of operators (the issue "find, inspect and re-run tasks, see workers"): list tasks
 * newest first with filters and paging, read everything about one task, run failed or cancelled tasks
 * again (task-retries.ts), see the dispatchers with their workers and executors, and the figures the
 * dashboard charts (per-second activity, per-function counters). Tasks are the viewer's tenant's only
 * (admin: all); another tenant's are unknown, as missing ones. The worker directory carries no task
 * ids, so every caller may read it.
 *
 * @example
 * const ops = new OperationsService({ tasks, functions, store, directory, ids, clock, maxQueue: 100_000 });
 * const page = await ops.listTasks("alice", { status: "FAILED", limit: 50 });
 * const detail = await ops.taskDetail("alice", page.value.tasks[0].id);
 * const rerun = await ops.retry("alice", detail.value.task.id);
 */
import { ACTIVITY_WINDOW_S, activitySeries, sumSeconds, type ActivityHistory, type ActivitySeries } from "./activity.ts";
import type { DomainError } from "./errors.ts";
import type { FunctionRecord } from "./function-record.ts";
import { emptyFunctionCounts, type FunctionCounters, type FunctionCounts } from "./function-stats.ts";
import type { Clock, FunctionStore, IdGen, TaskStore } from "./ports.ts";
import { err, ok, type Result } from "./result.ts";
import { decodeCursor, encodeCursor, type TaskListing, type TaskSummary } from "./task-listing.ts";
import { TaskRetries, type RetryFilter, type RetryMarks } from "./task-retries.ts";
import type { Task, TaskStatus } from "./task.ts";
import { scopeOf, visibleTo } from "./tenant.ts";
import type { DispatcherReport, WorkerDirectory } from "./worker-directory.ts";

/** What a store keeps for operators beside the tasks. */
export type OperationsStore = TaskListing & RetryMarks & ActivityHistory & FunctionCounters;

export interface OperationsServiceDeps {
  readonly tasks: TaskStore;
  readonly functions: FunctionStore;
  readonly store: OperationsStore;
  readonly directory: WorkerDirectory;
  readonly ids: IdGen;
  readonly clock: Clock;
  readonly maxQueue: number;
}

/** A list request as the API takes it. */
export interface ListRequest {
  readonly status?: TaskStatus;
  readonly functionId?: string;
  readonly limit: number;
  /** The `next` of an earlier page. */
  readonly cursor?: string;
}

/** A listed task with its function's name ("" when the function is gone). */
export type ListedTask = TaskSummary & { readonly functionName: string };

/** One function with its counters. */
export interface FunctionActivity {
  readonly fn: FunctionRecord;
  readonly counts: FunctionCounts;
}

export class OperationsService {
  private readonly retries: TaskRetries;

  constructor(private readonly d: OperationsServiceDeps) {
    this.retries = new TaskRetries({ tasks: d.tasks, listing: d.store, marks: d.store, functions: d.functions, ids: d.ids, clock: d.clock, maxQueue: d.maxQueue });
  }

  /** A page of the viewer's tasks, newest first; `next` is the cursor of the following page. */
  async listTasks(viewer: string, r: ListRequest): Promise<Result<{ tasks: ListedTask[]; next?: string }, DomainError>> {
    const after = r.cursor === undefined ? undefined : decodeCursor(r.cursor);
    if (after !== undefined && !after.ok) return after;
    const scope = scopeOf(viewer);
    const page = await this.d.store.list({
      ...(scope !== undefined && { tenant: scope }),
      ...(r.status !== undefined && { status: r.status }),
      ...(r.functionId !== undefined && { functionId: r.functionId }),
      limit: r.limit,
      ...(after !== undefined && { after: after.value }),
    });
    const names = await this.functionNames(page.tasks.map((t) => t.functionId));
    const tasks = page.tasks.filter((t) => visibleTo(viewer, t.tenant)).map((t) => ({ ...t, functionName: names.get(t.functionId) ?? "" }));
    return ok(page.next === undefined ? { tasks } : { tasks, next: encodeCursor(page.next) });
  }

  /** Everything about one task, with its function's name ("" when the function is gone). */
  async taskDetail(viewer: string, id: string): Promise<Result<{ task: Task; functionName: string }, DomainError>> {
    const task = await this.d.tasks.get(id);
    if (task === undefined || !visibleTo(viewer, task.tenant)) return err({ kind: "UnknownTask", taskId: id });
    const fn = await this.d.functions.get(task.functionId);
    return ok({ task, functionName: fn?.name ?? "" });
  }

  /** Runs a FAILED or CANCELLED task again; returns the new task's id. */
  retry(viewer: string, id: string): Promise<Result<string, DomainError>> {
    return this.retries.retry(viewer, id);
  }

  /** Runs again every matching task not run again yet (at most 10,000 per call). */
  retryAll(viewer: string, filter: RetryFilter): Promise<Result<{ retried: number; more: boolean }, DomainError>> {
    return this.retries.retryAll(viewer, filter);
  }

  /** Every live dispatcher with its workers or executors, by id. */
  async workers(): Promise<DispatcherReport[]> {
    return (await this.d.directory.list()).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The viewer's tasks finished per second and their latency quantiles over the last 15 minutes. */
  async activity(viewer: string): Promise<ActivitySeries> {
    const to = Math.floor(this.d.clock.now() / 1000);
    const from = to - ACTIVITY_WINDOW_S + 1;
    const seconds = await this.d.store.activity(scopeOf(viewer), from, to);
    return activitySeries(sumSeconds([seconds]), from, to);
  }

  /** The viewer's functions (newest first, at most `max`) with their counters, and how many there are. */
  async functionActivity(viewer: string, max: number): Promise<{ functions: FunctionActivity[]; total: number }> {
    const all = (await this.d.functions.list(scopeOf(viewer))).sort((a, b) => b.createdAt - a.createdAt);
    const shown = all.slice(0, max);
    const counts = await this.d.store.functionCounts(shown.map((f) => f.id));
    return { functions: shown.map((fn) => ({ fn, counts: counts.get(fn.id) ?? emptyFunctionCounts() })), total: all.length };
  }

  private async functionNames(ids: readonly string[]): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (const id of new Set(ids)) names.set(id, (await this.d.functions.get(id))?.name ?? "");
    return names;
  }
}
