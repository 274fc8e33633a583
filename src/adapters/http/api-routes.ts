/**
 * The REST API's routes over the use cases (FunctionService, TaskService): the original contract
 * (register, execute, status, result) and its extensions (batches, waiting on many tasks, cancel,
 * function listing). Each declares its body schema and every status it answers; the handler maps the
 * use case's DomainErrors to the error shape, naming fields as the contract does.
 *
 * @example
 * const routes = apiRoutes({ functions, tasks });
 */
import type { ExecuteOptions } from "../../domain/execute-options.ts";
import type { RetryPolicyInput } from "../../domain/retry-policy.ts";
import type { FunctionRecord } from "../../domain/function-record.ts";
import type { FunctionService } from "../../domain/function-service.ts";
import { ok } from "../../domain/result.ts";
import type { TaskService } from "../../domain/task-service.ts";
import { isTerminal, type Task } from "../../domain/task.ts";
import { IDEMPOTENCY_HEADER, idempotencyOf, onceReply } from "./idempotency.ts";
import { batchFields, domainErrorReply, errorReply, graphFields, json } from "./replies.ts";
import { queryValue } from "./query.ts";
import { route, type ResponseSpec, type Route } from "./route.ts";
import * as S from "./schemas.ts";
import { traceMark } from "../system/trace.ts";

export interface ApiRouteDeps {
  readonly functions: FunctionService;
  readonly tasks: TaskService;
  /** Bytes of results one POST /wait reply carries at most (default WAIT_REPLY_BYTES). */
  readonly waitReplyBytes?: number;
}

/** Longest `?wait=` of GET /result, in seconds. */
export const MAX_WAIT_S = 60;

/**
 * Most bytes of results one POST /wait reply carries: past it, the other terminal tasks stay in
 * `pending` for the next call (a reply always carries at least one result, however big).
 */
export const WAIT_REPLY_BYTES = 32 * 1024 * 1024;

/** A JSON response spec. */
export function reply(description: string, schema: S.AnySchema): ResponseSpec {
  return { description, schema };
}

/** An error response spec in the one error shape. */
export function failure(description: string): ResponseSpec {
  return { description, schema: S.ErrorReply };
}

const badRequest = failure("Malformed or invalid request: the message names the field");
const tooLarge = failure("Body over --max-body");
const keyConflict = failure("IdempotencyConflict: the idempotency key came with a different request within --retention");

export function apiRoutes(d: ApiRouteDeps): Route[] {
  return [
    route({
      method: "POST",
      path: "/register_function",
      access: "key",
      operationId: "registerFunction",
      tag: "functions",
      summary: "Register a function (source of one function expression, JavaScript or TypeScript)",
      body: S.RegisterBody,
      responses: { 201: reply("Registered", S.FunctionIdReply), 400: badRequest, 413: tooLarge },
      handle: async ({ body, caller }) => {
        const fn = await d.functions.register({ tenant: caller.tenant, name: body.name, source: body.payload, timeoutMs: body.timeout_ms, maxAttempts: body.max_attempts, ...(body.retry !== undefined && { retry: retryPolicyOf(body.retry) }) });
        return fn.ok ? json({ function_id: fn.value.id }, 201) : domainErrorReply(fn.error);
      },
    }),
    route({
      method: "POST",
      path: "/execute_function",
      access: "key",
      operationId: "executeFunction",
      tag: "tasks",
      summary: "Queue one task; with ?wait=S, answer once it is terminal (or after S seconds) with its status and result too",
      body: S.ExecuteBody,
      headers: [IDEMPOTENCY_HEADER],
      query: [WAIT_QUERY],
      responses: {
        200: reply("A replay: the idempotency key's first request's task; nothing new queued", S.ExecuteReply),
        201: reply("Queued (with ?wait: and its status and result, null until terminal)", S.ExecuteReply),
        400: badRequest,
        404: failure("Unknown function"),
        409: keyConflict,
        413: tooLarge,
        429: failure("Queue full (Retry-After)"),
      },
      handle: async ({ req, url, body, caller }) => {
        const waitMs = waitOf(url);
        if (typeof waitMs !== "number") return waitMs;
        const once = idempotencyOf(req, "/execute_function", body);
        if (!once.ok) return once.reply;
        if (once.request === undefined && waitMs > 0) {
          traceMark("api.req");
          const done = await d.tasks.executeAndAwait(caller.tenant, body.function_id, body.payload, executeOptions(body), waitMs);
          if (!done.ok) return domainErrorReply(done.error);
          traceMark("api.resp");
          return json(done.value.task !== undefined ? resultBody(done.value.task) : { task_id: done.value.id, status: "QUEUED", result: null }, 201);
        }
        const queued =
          once.request !== undefined
            ? await d.tasks.executeOnce(caller.tenant, body.function_id, [body.payload], executeOptions(body), once.request)
            : await d.tasks.execute(caller.tenant, body.function_id, body.payload, executeOptions(body)).then((r) => (r.ok ? ok({ ids: [r.value], replayed: false }) : r));
        if (!queued.ok || waitMs === 0) return onceReply(queued, (ids) => ({ task_id: ids[0] }));
        const id = queued.value.ids[0] as string;
        const t = await d.tasks.awaitTask(caller.tenant, id, waitMs);
        const body201 = t.ok ? resultBody(t.value) : { task_id: id, status: "QUEUED", result: null }; // expired in between: as queued
        return json(body201, queued.value.replayed ? 200 : 201);
      },
    }),
    route({
      method: "POST",
      path: "/execute_batch",
      access: "key",
      operationId: "executeBatch",
      tag: "tasks",
      summary: "Queue many tasks of one function, all or nothing (at most 10,000)",
      body: S.ExecuteBatchBody,
      headers: [IDEMPOTENCY_HEADER],
      responses: { 200: reply("A replay: the idempotency key's first request's tasks, in order; nothing new queued", S.TaskIdsReply), 201: reply("Queued, ids in order", S.TaskIdsReply), 400: badRequest, 404: failure("Unknown function"), 409: keyConflict, 413: tooLarge, 429: failure("Queue full (Retry-After)") },
      handle: async ({ req, body, caller }) => {
        const once = idempotencyOf(req, "/execute_batch", body);
        if (!once.ok) return once.reply;
        if (once.request !== undefined) return onceReply(await d.tasks.executeOnce(caller.tenant, body.function_id, body.payloads, executeOptions(body), once.request), (task_ids) => ({ task_ids }), batchFields);
        const ids = await d.tasks.executeBatch(caller.tenant, body.function_id, body.payloads, executeOptions(body));
        return ids.ok ? json({ task_ids: ids.value }, 201) : domainErrorReply(ids.error, batchFields);
      },
    }),
    route({
      method: "POST",
      path: "/execute_graph",
      access: "key",
      operationId: "executeGraph",
      tag: "tasks",
      summary: "Queue a small DAG of tasks with local names, all or nothing (at most 1,000); cycles are refused",
      body: S.GraphBody,
      responses: { 201: reply("Queued: the task id of each name", S.GraphReply), 400: badRequest, 404: failure("Unknown function"), 413: tooLarge, 429: failure("Queue full (Retry-After)") },
      handle: async ({ body, caller }) => {
        const nodes = body.tasks.map((t) => ({ name: t.name, functionId: t.function_id, args: t.payload, options: executeOptions(t) }));
        const ids = await d.tasks.executeGraph(caller.tenant, nodes);
        return ids.ok ? json({ task_ids: Object.fromEntries(ids.value) }, 201) : domainErrorReply(ids.error, graphFields);
      },
    }),
    route({
      method: "POST",
      path: "/wait",
      access: "key",
      operationId: "waitForTasks",
      tag: "tasks",
      summary: "Every listed task that is terminal, waiting up to timeout_s until at least one is (or, with return_when ALL_COMPLETED, until all are); past 32 MiB of results, the rest stay in pending for the next call",
      body: S.WaitBody,
      responses: { 200: reply("Terminal, pending and unknown tasks", S.WaitReply), 400: badRequest, 413: tooLarge },
      handle: async ({ body, caller }) => {
        const waitMs = Math.round((body.timeout_s ?? 0) * 1000);
        const sweep = body.return_when === "ALL_COMPLETED" ? await d.tasks.awaitAll(caller.tenant, body.task_ids, waitMs) : await d.tasks.awaitAny(caller.tenant, body.task_ids, waitMs);
        if (!sweep.ok) return domainErrorReply(sweep.error);
        const results: ReturnType<typeof resultBody>[] = [];
        const pending = [...sweep.value.pending];
        let bytes = 0;
        for (const t of sweep.value.done) {
          const size = (t.result?.length ?? 0) * 3 + t.id.length + 64;
          if (results.length > 0 && bytes + size > (d.waitReplyBytes ?? WAIT_REPLY_BYTES)) pending.push(t.id);
          else {
            results.push(resultBody(t));
            bytes += size;
          }
        }
        return json({ results, pending, unknown: sweep.value.unknown });
      },
    }),
    route({
      method: "GET",
      path: "/status/{task_id}",
      access: "key",
      operationId: "getStatus",
      tag: "tasks",
      summary: "Task status",
      responses: { 200: reply("Status", S.StatusReply), 404: failure("Unknown or expired task") },
      handle: async ({ params, caller }) => {
        const t = await d.tasks.task(caller.tenant, params.task_id as string);
        return t.ok ? json({ task_id: t.value.id, status: t.value.status }) : domainErrorReply(t.error);
      },
    }),
    route({
      method: "GET",
      path: "/result/{task_id}",
      access: "key",
      operationId: "getResult",
      tag: "tasks",
      summary: "Task result; with ?wait=S, answers once terminal or after S seconds",
      query: [WAIT_QUERY],
      responses: { 200: reply("Result (null until terminal)", S.ResultReply), 400: badRequest, 404: failure("Unknown or expired task") },
      handle: async ({ params, url, caller }) => {
        const waitMs = waitOf(url);
        if (typeof waitMs !== "number") return waitMs;
        const t = await d.tasks.awaitTask(caller.tenant, params.task_id as string, waitMs);
        return t.ok ? json(resultBody(t.value)) : domainErrorReply(t.error);
      },
    }),
    route({
      method: "DELETE",
      path: "/tasks/{task_id}",
      access: "key",
      operationId: "cancelTask",
      tag: "tasks",
      summary: "Cancel a task: QUEUED never runs, RUNNING has its executor stopped; result stays null",
      responses: { 200: reply("Cancelled", S.CancelReply), 404: failure("Unknown or expired task"), 409: failure("Already terminal") },
      handle: async ({ params, caller }) => {
        const t = await d.tasks.cancel(caller.tenant, params.task_id as string);
        return t.ok ? json({ task_id: t.value.id, status: t.value.status }) : domainErrorReply(t.error);
      },
    }),
    route({
      method: "GET",
      path: "/functions",
      access: "key",
      operationId: "listFunctions",
      tag: "functions",
      summary: "Registered functions",
      responses: { 200: reply("List", S.FunctionList) },
      handle: async ({ caller }) => json({ functions: (await d.functions.list(caller.tenant)).map((f) => functionBody(f, false)) }),
    }),
    route({
      method: "GET",
      path: "/functions/{function_id}",
      access: "key",
      operationId: "getFunction",
      tag: "functions",
      summary: "One function; ?source=true adds its payload",
      query: [{ name: "source", description: "true: include the function's source", schema: { type: "boolean" } }],
      responses: { 200: reply("Function", S.FunctionInfo), 404: failure("Unknown function") },
      handle: async ({ params, url, caller }) => {
        const id = params.function_id as string;
        const fn = await d.functions.get(id, caller.tenant);
        if (fn === undefined) return domainErrorReply({ kind: "UnknownFunction", functionId: id });
        return json(functionBody(fn, url.searchParams.get("source") === "true"));
      },
    }),
  ];
}

const WAIT_QUERY = { name: "wait", description: `Long-poll up to this many seconds (0 < wait <= ${MAX_WAIT_S})`, schema: { type: "number", exclusiveMinimum: 0, maximum: MAX_WAIT_S } };

/** ?wait=S in ms (0 when absent), or the 400 reply naming it. */
function waitOf(url: URL): number | Response {
  const waitParam = queryValue(url, "wait");
  if (waitParam === null) return 0;
  const s = Number(waitParam);
  if (waitParam.trim() === "" || !Number.isFinite(s) || s <= 0 || s > MAX_WAIT_S) {
    return errorReply(400, "InvalidRequest", `wait must be a number of seconds with 0 < wait <= ${MAX_WAIT_S}, got "${waitParam}"`, "wait");
  }
  return Math.round(s * 1000);
}

/** The task options of an execute body, in the domain's terms (run_at read as RFC 3339). */
function executeOptions(b: Omit<S.ExecuteBody, "function_id" | "payload">): ExecuteOptions {
  // set field by field: spreading `false` for each absent one was a native call apiece on every task
  const o: { -readonly [K in keyof ExecuteOptions]: ExecuteOptions[K] } = {};
  if (b.timeout_ms !== undefined) o.timeoutMs = b.timeout_ms;
  if (b.priority !== undefined) o.priority = b.priority;
  if (b.delay_ms !== undefined) o.delayMs = b.delay_ms;
  if (b.run_at !== undefined) o.runAt = Date.parse(b.run_at);
  if (b.retry !== undefined) o.retry = retryPolicyOf(b.retry);
  if (b.after !== undefined) o.after = b.after;
  if (b.args_from !== undefined) o.argsFrom = b.args_from;
  return o;
}

function resultBody(t: Task): { task_id: string; status: string; result: string | null } {
  return { task_id: t.id, status: t.status, result: isTerminal(t.status) ? t.result : null };
}

function functionBody(f: FunctionRecord, withSource: boolean): object {
  const base = { function_id: f.id, name: f.name, created: new Date(f.createdAt).toISOString(), timeout_ms: f.timeoutMs, max_attempts: f.maxAttempts };
  return withSource ? { ...base, payload: f.source } : base;
}

/** A retry policy of a request body, in the domain's terms. */
export function retryPolicyOf(r: S.RetryPolicyBody): RetryPolicyInput {
  return {
    maxRetries: r.max_retries,
    ...(r.backoff_ms !== undefined && { backoffMs: r.backoff_ms }),
    ...(r.factor !== undefined && { factor: r.factor }),
    ...(r.max_backoff_ms !== undefined && { maxBackoffMs: r.max_backoff_ms }),
    ...(r.on !== undefined && { on: r.on }),
  };
}
