/**
 * Running a FAILED or CANCELLED task again: a new task with the same function, arguments, tenant and
 * options (deadline, attempts, priority, retry policy; its dependencies were met already, so it waits
 * for none), noted on both: the old task's `retriedAs` names the new one, the new one's `retryOf` the
 * old. A task is run again at most once: the store marks it atomically (RetryMarks), then the new task
 * is queued; if queueing fails (queue full, function gone) the mark is taken back.
 *
 * @example
 * const retries = new TaskRetries({ tasks, listing, marks, functions, ids, clock, maxQueue });
 * const id = await retries.retry("alice", failedId);            // ok("new-task-id")
 * const n = await retries.retryAll("alice", { status: "FAILED" }); // ok({ retried: 12, more: false })
 */
import type { DomainError } from "./errors.ts";
import type { Clock, FunctionStore, IdGen, TaskStore } from "./ports.ts";
import { err, ok, type Result } from "./result.ts";
import { MAX_BATCH } from "./task-service.ts";
import { MAX_LIST_LIMIT, type ListPosition, type TaskListing, type TaskSummary } from "./task-listing.ts";
import { newTask, type Task } from "./task.ts";
import { scopeOf, visibleTo } from "./tenant.ts";

/** Old task -> the task that runs it again. */
export interface RetryMark {
  readonly taskId: string;
  readonly retriedAs: string;
}

/** The store's side of retries: the marks, set atomically with the check. */
export interface RetryMarks {
  /** Marks each task that is FAILED or CANCELLED and not marked yet; returns the ids it marked. */
  markRetried(marks: readonly RetryMark[]): Promise<string[]>;
  /** Takes marks back (only where the task is still marked with that same new id). */
  unmarkRetried(marks: readonly RetryMark[]): Promise<void>;
}

/** Most tasks one POST /tasks/retry runs again. */
export const MAX_BULK_RETRY = 10_000;

export interface TaskRetriesDeps {
  readonly tasks: TaskStore;
  readonly listing: TaskListing;
  readonly marks: RetryMarks;
  readonly functions: FunctionStore;
  readonly ids: IdGen;
  readonly clock: Clock;
  readonly maxQueue: number;
}

/** Which tasks a bulk retry takes: one status (FAILED or CANCELLED), optionally of one function. */
export interface RetryFilter {
  readonly status: "FAILED" | "CANCELLED";
  readonly functionId?: string;
}

/** Whether a task may be run again (terminal without success, not run again yet). */
export function retriable(t: Pick<Task, "status" | "retriedAs">): boolean {
  return (t.status === "FAILED" || t.status === "CANCELLED") && t.retriedAs === undefined;
}

/**
 * The new task that runs `old` again, created at `now` with id `id`.
 *
 * @example
 * rerunOf(failed, "t-2", now) // { ...QUEUED task, functionId: failed.functionId, args: failed.args, retryOf: failed.id }
 */
export function rerunOf(old: Task, id: string, now: number): Task {
  const options = { priority: old.priority, ...(old.retry !== undefined && { retry: old.retry }) };
  return { ...newTask(id, old.functionId, old.args, old.maxAttempts, old.timeoutMs, now, old.tenant, options), retryOf: old.id };
}

export class TaskRetries {
  constructor(private readonly d: TaskRetriesDeps) {}

  /** Runs one task again; UnknownTask (also another tenant's), NotRetriable, UnknownFunction or QueueFull otherwise. */
  async retry(viewer: string, id: string): Promise<Result<string, DomainError>> {
    const old = await this.d.tasks.get(id);
    if (old === undefined || !visibleTo(viewer, old.tenant)) return err({ kind: "UnknownTask", taskId: id });
    if (!retriable(old)) return err(notRetriable(old));
    if ((await this.d.functions.get(old.functionId)) === undefined) return err({ kind: "UnknownFunction", functionId: old.functionId });
    const newId = this.newIds(1)[0] as string;
    const mark = { taskId: id, retriedAs: newId };
    if ((await this.d.marks.markRetried([mark])).length === 0) {
      const now = await this.d.tasks.get(id); // another retry won, or the task expired meanwhile
      return err(now === undefined ? { kind: "UnknownTask", taskId: id } : notRetriable(now));
    }
    const queued = await this.d.tasks.enqueue([rerunOf(old, newId, this.d.clock.now())], { maxQueue: this.d.maxQueue });
    if (queued.ok) return ok(newId);
    await this.d.marks.unmarkRetried([mark]);
    return queued;
  }

  /**
   * Runs again every task of the viewer's tenant (every tenant's for admin) with this status (and
   * function) not run again yet, newest first, at most MAX_BULK_RETRY per call: `more` says whether
   * some may be left. A full queue stops it: what was queued before stays queued (an error only when
   * nothing was).
   */
  async retryAll(viewer: string, filter: RetryFilter): Promise<Result<{ retried: number; more: boolean }, DomainError>> {
    const found = await this.candidates(viewer, filter);
    const byFunction = new Map<string, string[]>();
    for (const s of found.ids) {
      const list = byFunction.get(s.functionId);
      if (list === undefined) byFunction.set(s.functionId, [s.id]);
      else list.push(s.id);
    }
    let retried = 0;
    for (const [functionId, ids] of byFunction) {
      if ((await this.d.functions.get(functionId)) === undefined) continue; // gone with its store: nothing to run
      for (let i = 0; i < ids.length; i += MAX_BATCH) {
        const done = await this.rerunBatch(ids.slice(i, i + MAX_BATCH));
        if (!done.ok) return retried === 0 ? done : ok({ retried, more: true });
        retried += done.value;
      }
    }
    return ok({ retried, more: found.more });
  }

  /** Tasks of one function run again in one queued batch; returns how many. */
  private async rerunBatch(ids: readonly string[]): Promise<Result<number, DomainError>> {
    const olds = (await this.d.tasks.getMany(ids)).filter((t): t is Task => t !== undefined && retriable(t));
    if (olds.length === 0) return ok(0);
    const newIds = this.newIds(olds.length);
    const marks = olds.map((t, i) => ({ taskId: t.id, retriedAs: newIds[i] as string }));
    const marked = new Set(await this.d.marks.markRetried(marks));
    const now = this.d.clock.now();
    const reruns = olds.flatMap((t, i) => (marked.has(t.id) ? [rerunOf(t, newIds[i] as string, now)] : []));
    if (reruns.length === 0) return ok(0);
    const queued = await this.d.tasks.enqueue(reruns, { maxQueue: this.d.maxQueue });
    if (queued.ok) return ok(reruns.length);
    await this.d.marks.unmarkRetried(marks.filter((m) => marked.has(m.taskId)));
    return queued;
  }

  /** Up to MAX_BULK_RETRY matching tasks not run again yet, newest first, and whether more may be left. */
  private async candidates(viewer: string, filter: RetryFilter): Promise<{ ids: TaskSummary[]; more: boolean }> {
    const ids: TaskSummary[] = [];
    let after: ListPosition | undefined;
    for (;;) {
      const scope = scopeOf(viewer);
      const page = await this.d.listing.list({ ...(scope !== undefined && { tenant: scope }), status: filter.status, ...(filter.functionId !== undefined && { functionId: filter.functionId }), limit: MAX_LIST_LIMIT, ...(after !== undefined && { after }) });
      for (const s of page.tasks) {
        if (s.retriedAs !== undefined) continue;
        if (ids.length === MAX_BULK_RETRY) return { ids, more: true };
        ids.push(s);
      }
      if (page.next === undefined) return { ids, more: false };
      after = page.next;
    }
  }

  /** `n` ids for tasks queued together (one shard, where the store has shards). */
  private newIds(n: number): string[] {
    return this.d.ids.batch?.(n) ?? Array.from({ length: n }, () => this.d.ids.next());
  }
}

function notRetriable(t: Task): DomainError {
  return { kind: "NotRetriable", taskId: t.id, status: t.status, ...(t.retriedAs !== undefined && { retriedAs: t.retriedAs }) };
}
