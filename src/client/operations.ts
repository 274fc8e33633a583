/**
 * The operators' calls of the SDK, as `faas.ops`: list tasks newest first (a page at a time, or every
 * page with `allTasks`), read everything about one task, run failed or cancelled tasks again, see the
 * dispatchers with their workers. Same transport and retry rules as the rest of the client: the GETs
 * are retried after network errors, the retries (POST) are not (a FaasNetworkError with
 * `outcomeUnknown` then), and 404 / 409 replies are FaasErrors.
 *
 * @example
 * ```ts
 * const faas = new FaasClient("http://127.0.0.1:8000");
 * const { tasks } = await faas.ops.tasks({ status: "FAILED", limit: 20 });
 * const detail = await faas.ops.task(tasks[0].taskId);
 * console.log(detail.error?.stack, detail.attempts.map((a) => a.ranOn));
 * const newId = await faas.ops.retry(detail.taskId);
 * ```
 */
import type { CallOptions } from "./client.ts";
import type { DispatcherInfo, TaskDetail, TaskListItem, TaskPage, WireDispatcher, WireTaskDetail, WireTaskListItem } from "./operations-types.ts";
import { parseResult } from "./serialize.ts";
import type { Transport } from "./transport.ts";
import type { TaskStatus } from "./types.ts";

/** Filters and paging of `tasks`. */
export interface TaskQuery extends CallOptions {
  status?: TaskStatus;
  functionId?: string;
  /** Page size, 1 to 1,000 (the server's default is 50). */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export class FaasOperations {
  constructor(private readonly http: Transport) {}

  /**
   * One page of the caller's tasks (admin: every tenant's), newest first: QUEUED and RUNNING by
   * creation, finished ones by finish time. A page may hold fewer than `limit` (tasks expired or
   * filtered out): go on while `nextCursor` is not null.
   *
   * @example
   * ```ts
   * const page = await faas.ops.tasks({ status: "FAILED", functionId: addId });
   * ```
   */
  async tasks(q: TaskQuery = {}): Promise<TaskPage> {
    const params = new URLSearchParams();
    if (q.status !== undefined) params.set("status", q.status);
    if (q.functionId !== undefined) params.set("function_id", q.functionId);
    if (q.limit !== undefined) params.set("limit", String(q.limit));
    if (q.cursor !== undefined) params.set("cursor", q.cursor);
    const text = params.toString();
    const r = await this.http.send<{ tasks: WireTaskListItem[]; next_cursor: string | null }>({ method: "GET", path: `/tasks${text === "" ? "" : `?${text}`}`, idempotent: true, signal: q.signal });
    return { tasks: r.tasks.map(toListItem), nextCursor: r.next_cursor };
  }

  /**
   * Every matching task, page after page (`limit` per request), newest first.
   *
   * @example
   * ```ts
   * for await (const t of faas.ops.allTasks({ status: "RUNNING" })) console.log(t.taskId);
   * ```
   */
  async *allTasks(q: Omit<TaskQuery, "cursor"> = {}): AsyncGenerator<TaskListItem, void, undefined> {
    let cursor: string | null | undefined;
    do {
      const page = await this.tasks({ ...q, ...(cursor ? { cursor } : {}) });
      yield* page.tasks;
      cursor = page.nextCursor;
    } while (cursor !== null);
  }

  /**
   * Everything about one task: arguments, result or error with its stack, each attempt with where it
   * ran, timestamps. A 404 FaasError when unknown (or another tenant's).
   *
   * @example
   * ```ts
   * const { status, error, attempts } = await faas.ops.task(taskId);
   * ```
   */
  async task(taskId: string, o: CallOptions = {}): Promise<TaskDetail> {
    const r = await this.http.send<WireTaskDetail>({ method: "GET", path: `/tasks/${encodeURIComponent(taskId)}`, idempotent: true, signal: o.signal });
    return toDetail(r);
  }

  /**
   * Runs a FAILED or CANCELLED task again and returns the new task's id. A 409 FaasError
   * (`NotRetriable`) for a task in another status or already run again, 404 when unknown.
   *
   * @example
   * ```ts
   * const newId = await faas.ops.retry(failedId);
   * ```
   */
  async retry(taskId: string, o: CallOptions = {}): Promise<string> {
    const r = await this.http.send<{ task_id: string }>({ method: "POST", path: `/tasks/${encodeURIComponent(taskId)}/retry`, body: {}, idempotent: false, signal: o.signal });
    return r.task_id;
  }

  /**
   * Runs again every FAILED (or CANCELLED) task of the caller's tenant not run again yet, optionally
   * of one function: at most 10,000 per call (`more` says whether to call again).
   *
   * @example
   * ```ts
   * const { retried } = await faas.ops.retryAll({ status: "FAILED", functionId: addId });
   * ```
   */
  async retryAll(q: { status: "FAILED" | "CANCELLED"; functionId?: string } & CallOptions): Promise<{ retried: number; more: boolean }> {
    const body = { status: q.status, ...(q.functionId !== undefined && { function_id: q.functionId }) };
    return this.http.send<{ retried: number; more: boolean }>({ method: "POST", path: "/tasks/retry", body, idempotent: false, signal: q.signal });
  }

  /**
   * Every live dispatcher of the deployment, with its remote workers or its local executors.
   *
   * @example
   * ```ts
   * for (const d of await faas.ops.workers()) console.log(d.dispatcherId, d.workers.length);
   * ```
   */
  async workers(o: CallOptions = {}): Promise<DispatcherInfo[]> {
    const r = await this.http.send<{ dispatchers: WireDispatcher[] }>({ method: "GET", path: "/workers", idempotent: true, signal: o.signal });
    return r.dispatchers.map(toDispatcher);
  }
}

function toListItem(t: WireTaskListItem): TaskListItem {
  return {
    taskId: t.task_id,
    functionId: t.function_id,
    functionName: t.function_name,
    status: t.status,
    attempt: t.attempt,
    createdAt: t.created_at,
    finishedAt: t.finished_at,
    ...(t.error_name !== undefined && { errorName: t.error_name }),
    ...(t.retried_as !== undefined && { retriedAs: t.retried_as }),
  };
}

function toDetail(t: WireTaskDetail): TaskDetail {
  let args: unknown[] = [];
  try {
    args = JSON.parse(t.payload) as unknown[];
  } catch {
    // stored as sent: not JSON (never happens for tasks this server queued)
  }
  return {
    taskId: t.task_id,
    tenant: t.tenant,
    functionId: t.function_id,
    functionName: t.function_name,
    status: t.status,
    args,
    result: t.status === "COMPLETED" ? parseResult(t.result) : null,
    error: t.error,
    attempt: t.attempt,
    maxAttempts: t.max_attempts,
    timeoutMs: t.timeout_ms,
    priority: t.priority,
    runAt: t.run_at,
    retries: t.retries,
    ...(t.after !== undefined && { after: t.after }),
    ...(t.waiting_for !== undefined && { waitingFor: t.waiting_for }),
    createdAt: t.created_at,
    startedAt: t.started_at,
    finishedAt: t.finished_at,
    attempts: t.attempts.map((a) => ({ attempt: a.attempt, startedAt: a.started_at, endedAt: a.ended_at, outcome: a.outcome, ranOn: a.ran_on, ...(a.error !== undefined && { error: a.error }) })),
    ...(t.retry_of !== undefined && { retryOf: t.retry_of }),
    ...(t.retried_as !== undefined && { retriedAs: t.retried_as }),
  };
}

function toDispatcher(d: WireDispatcher): DispatcherInfo {
  return {
    dispatcherId: d.dispatcher_id,
    host: d.host,
    mode: d.mode,
    startedAt: d.started_at,
    reportedAt: d.reported_at,
    claiming: d.claiming,
    inFlight: d.in_flight,
    tasksDone: d.tasks_done,
    executors: d.executors,
    workers: d.workers.map((w) => ({ workerId: w.worker_id, host: w.host, mode: w.mode, capacity: w.capacity, inFlight: w.in_flight, connectedSince: w.connected_since, lastHeartbeat: w.last_heartbeat, tasksDone: w.tasks_done, draining: w.draining })),
  };
}
