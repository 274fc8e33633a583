/**
 * The operators' routes over OperationsService: list tasks (newest first, filters, cursor paging),
 * read one task whole, run failed or cancelled tasks again (one, or all matching), see the
 * dispatchers with their workers and executors. The GET routes take a key, `?key=` or the dashboard's
 * session (the dashboard's script reads them); the POST routes take a key in a header, like the rest of
 * the API (the dashboard acts through its own form routes, which check a form token).
 *
 * @example
 * const routes = operationsRoutes({ operations });
 */
import { errorNameOf } from "../../domain/task-listing.ts";
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from "../../domain/task-listing.ts";
import type { ListedTask, OperationsService } from "../../domain/operations-service.ts";
import { isTerminal, type Task, type TaskStatus } from "../../domain/task.ts";
import type { DispatcherReport } from "../../domain/worker-directory.ts";
import { failure, reply } from "./api-routes.ts";
import { domainErrorReply, errorReply, json } from "./replies.ts";
import { route, type Route } from "./route.ts";
import * as S from "./schemas.ts";

export interface OperationsRouteDeps {
  readonly operations: OperationsService;
}

const STATUSES: readonly TaskStatus[] = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"];
const badRequest = failure("Malformed or invalid request: the message names the field");

/** The query of GET /tasks, checked: a 400 reply naming the field, or the request. */
export function listQuery(url: URL): { status?: TaskStatus; functionId?: string; limit: number; cursor?: string } | Response {
  const q = url.searchParams;
  const status = q.get("status") ?? "";
  if (status !== "" && !(STATUSES as readonly string[]).includes(status)) return errorReply(400, "InvalidRequest", `status must be one of ${STATUSES.join(", ")}, got "${status.slice(0, 40)}"`, "status");
  const fn = q.get("function_id") ?? "";
  if (fn.length > 200) return errorReply(400, "InvalidRequest", `function_id has at most 200 characters, got ${fn.length}`, "function_id");
  const limitText = q.get("limit");
  const limit = limitText === null ? DEFAULT_LIST_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) return errorReply(400, "InvalidRequest", `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}, got "${String(limitText).slice(0, 40)}"`, "limit");
  const cursor = q.get("cursor") ?? "";
  return { ...(status !== "" && { status: status as TaskStatus }), ...(fn !== "" && { functionId: fn }), limit, ...(cursor !== "" && { cursor }) };
}

export function operationsRoutes(d: OperationsRouteDeps): Route[] {
  return [
    route({
      method: "GET",
      path: "/tasks",
      access: "browser",
      operationId: "listTasks",
      tag: "operations",
      summary: "The caller's tasks (admin: every tenant's), newest first, a page at a time; filters by status and function",
      query: [
        { name: "status", description: "Only tasks in this status", schema: { type: "string", enum: STATUSES } },
        { name: "function_id", description: "Only tasks of this function", schema: { type: "string" } },
        { name: "limit", description: `Page size, 1 to ${MAX_LIST_LIMIT} (default ${DEFAULT_LIST_LIMIT})`, schema: { type: "integer", minimum: 1, maximum: MAX_LIST_LIMIT } },
        { name: "cursor", description: "The next_cursor of the previous page", schema: { type: "string" } },
      ],
      responses: { 200: reply("A page of tasks", S.TaskList), 400: badRequest },
      handle: async ({ url, caller }) => {
        const q = listQuery(url);
        if (q instanceof Response) return q;
        const page = await d.operations.listTasks(caller.tenant, q);
        if (!page.ok) return domainErrorReply(page.error);
        return json({ tasks: page.value.tasks.map(listItem), next_cursor: page.value.next ?? null });
      },
    }),
    route({
      method: "GET",
      path: "/tasks/{task_id}",
      access: "browser",
      operationId: "getTask",
      tag: "operations",
      summary: "Everything about one task: function, arguments, result or error with its stack, each attempt with where it ran, timestamps",
      responses: { 200: reply("The task", S.TaskDetail), 404: failure("Unknown or expired task") },
      handle: async ({ params, caller }) => {
        const t = await d.operations.taskDetail(caller.tenant, params.task_id as string);
        return t.ok ? json(taskDetail(t.value.task, t.value.functionName)) : domainErrorReply(t.error);
      },
    }),
    route({
      method: "POST",
      path: "/tasks/{task_id}/retry",
      access: "key",
      operationId: "retryTask",
      tag: "operations",
      summary: "Run a FAILED or CANCELLED task again: a new task with the same function, arguments and options; the old one records retried_as",
      responses: {
        201: reply("Queued again", S.TaskIdReply),
        404: failure("Unknown or expired task (or its function is gone)"),
        409: failure("NotRetriable: not FAILED or CANCELLED, or run again already"),
        429: failure("Queue full (Retry-After)"),
      },
      handle: async ({ params, caller }) => {
        const id = await d.operations.retry(caller.tenant, params.task_id as string);
        return id.ok ? json({ task_id: id.value }, 201) : domainErrorReply(id.error);
      },
    }),
    route({
      method: "POST",
      path: "/tasks/retry",
      access: "key",
      operationId: "retryTasks",
      tag: "operations",
      summary: "Run again every FAILED (or CANCELLED) task of the caller's tenant not run again yet, optionally of one function, at most 10,000 per call",
      body: S.RetryAllBody,
      responses: { 200: reply("How many were queued again", S.RetryAllReply), 400: badRequest, 413: failure("Body over --max-body"), 429: failure("Queue full before any was queued (Retry-After)") },
      handle: async ({ body, caller }) => {
        const r = await d.operations.retryAll(caller.tenant, { status: body.status, ...(body.function_id !== undefined && { functionId: body.function_id }) });
        return r.ok ? json(r.value) : domainErrorReply(r.error);
      },
    }),
    route({
      method: "GET",
      path: "/workers",
      access: "browser",
      operationId: "listWorkers",
      tag: "operations",
      summary: "Every live dispatcher of the deployment with its remote workers (pull, push) or local executors; no task ids",
      responses: { 200: reply("Dispatchers", S.WorkerList) },
      handle: async () => json({ dispatchers: (await d.operations.workers()).map(dispatcherInfo) }),
    }),
  ];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A listed task in the REST shape. */
export function listItem(t: ListedTask): object {
  return {
    task_id: t.id,
    function_id: t.functionId,
    function_name: t.functionName,
    status: t.status,
    attempt: t.attempt,
    created_at: iso(t.createdAt),
    finished_at: t.finishedAt === undefined ? null : iso(t.finishedAt),
    ...(t.errorName !== undefined && { error_name: t.errorName }),
    ...(t.retriedAs !== undefined && { retried_as: t.retriedAs }),
  };
}

/** The error of a FAILED task's result, when it has the `{name, message, stack}` shape. */
export function taskError(t: Task): { name: string; message: string; stack: string } | null {
  if (t.status !== "FAILED" || t.result === null || errorNameOf(t.result) === undefined) return null;
  const e = JSON.parse(t.result) as { name: string; message?: unknown; stack?: unknown };
  return { name: e.name, message: typeof e.message === "string" ? e.message : "", stack: typeof e.stack === "string" ? e.stack : "" };
}

/** One task in the REST shape of GET /tasks/{id}. */
export function taskDetail(t: Task, functionName: string): object {
  const attempts = t.attempts ?? [];
  return {
    task_id: t.id,
    tenant: t.tenant,
    function_id: t.functionId,
    function_name: functionName,
    status: t.status,
    payload: t.args,
    result: t.status === "COMPLETED" ? t.result : null,
    error: taskError(t),
    attempt: t.attempt,
    max_attempts: t.maxAttempts,
    timeout_ms: t.timeoutMs,
    priority: t.priority,
    run_at: iso(t.runAt),
    retries: t.retries,
    ...(t.after !== undefined && { after: t.after }),
    ...(t.after !== undefined && t.status === "QUEUED" && { waiting_for: t.blockedBy }),
    created_at: iso(t.createdAt),
    started_at: attempts[0] === undefined ? null : iso(attempts[0].startedAt),
    finished_at: isTerminal(t.status) ? iso(t.updatedAt) : null,
    attempts: attempts.map((a) => ({ attempt: a.attempt, started_at: iso(a.startedAt), ended_at: a.endedAt === undefined ? null : iso(a.endedAt), outcome: a.outcome ?? null, ran_on: a.ranOn ?? null, ...(a.error !== undefined && { error: a.error }) })),
    ...(t.retryOf !== undefined && { retry_of: t.retryOf }),
    ...(t.retriedAs !== undefined && { retried_as: t.retriedAs }),
  };
}

function dispatcherInfo(r: DispatcherReport): object {
  return {
    dispatcher_id: r.id,
    host: r.host,
    mode: r.mode,
    started_at: iso(r.startedAt),
    reported_at: iso(r.reportedAt),
    claiming: r.claiming,
    in_flight: r.inFlight,
    tasks_done: r.tasksDone,
    executors: r.executors ?? null,
    workers: (r.workers ?? []).map((w) => ({
      worker_id: w.id,
      host: w.host,
      mode: w.mode,
      capacity: w.capacity,
      in_flight: w.inFlight,
      connected_since: iso(w.connectedSince),
      last_heartbeat: iso(w.lastHeartbeat),
      tasks_done: w.tasksDone,
      draining: w.draining,
    })),
  };
}
