/**
 * The REST API as a `fetch(Request) => Response` function over a TaskService: routing, body limits,
 * JSON parsing, schema validation, and the mapping of domain errors to the one error shape.
 */
import { BackendTimeoutError, BackendUnavailableError, type DomainError } from "../../domain/errors.ts";
import type { FunctionRecord } from "../../domain/function-record.ts";
import type { TaskService } from "../../domain/task-service.ts";
import { isTerminal, type Task } from "../../domain/task.ts";
import { dashboardRoute } from "./dashboard.ts";
import { openApiDocument } from "./openapi.ts";
import { PROMETHEUS_CONTENT_TYPE, renderMetrics, type MetricsReport } from "./prometheus.ts";
import { domainErrorReply, errorReply, json } from "./replies.ts";
import { ExecuteBatchBody, ExecuteBody, RegisterBody, WaitBody } from "./schemas.ts";
import { validator, type BodyValidator } from "./validate.ts";
import type { Static, TSchema } from "@sinclair/typebox";
import type { Result } from "../../domain/result.ts";

export interface HandlerOptions {
  readonly maxBodyBytes: number;
  readonly version: string;
  /** Extra health facts (queue depth); throws when the backend is down. */
  readonly health: () => Promise<{ queued: number }>;
  /** What GET /metrics shows: the store's task counters and this process' facts; throws BackendUnavailableError when the backend is down. */
  readonly metrics: () => Promise<MetricsReport>;
}

const checkRegister = validator(RegisterBody);
const checkExecute = validator(ExecuteBody);
const checkBatch = validator(ExecuteBatchBody);
const checkWait = validator(WaitBody);
const MAX_WAIT_S = 60;

type Route = (req: Request, url: URL, param: string) => Promise<Response>;

/** Builds the request handler. */
export function createHandler(service: TaskService, o: HandlerOptions): (req: Request) => Promise<Response> {
  const openapi = JSON.stringify(openApiDocument(o.version));
  const dashboard = dashboardRoute(service, { metrics: o.metrics, version: o.version });

  async function readBody(req: Request): Promise<{ ok: true; body: unknown } | { ok: false; reply: Response }> {
    const declared = Number(req.headers.get("content-length") ?? "0");
    if (declared > o.maxBodyBytes) return { ok: false, reply: tooLarge(declared) };
    const bytes = await req.arrayBuffer();
    if (bytes.byteLength > o.maxBodyBytes) return { ok: false, reply: tooLarge(bytes.byteLength) };
    if (bytes.byteLength === 0) return { ok: false, reply: errorReply(400, "InvalidJson", "Request body must be a JSON object, got an empty body") };
    try {
      return { ok: true, body: JSON.parse(new TextDecoder().decode(bytes)) };
    } catch (e) {
      return { ok: false, reply: errorReply(400, "InvalidJson", `Request body must be valid JSON: ${(e as Error).message}`) };
    }
  }

  function tooLarge(size: number): Response {
    return errorReply(413, "PayloadTooLarge", `Request body must be at most ${o.maxBodyBytes} bytes, got ${size}`);
  }

  /** A POST route: read and validate the body, run the use case, reply 201/200 or the error. */
  function postRoute<T extends TSchema, V>(
    check: BodyValidator<T>,
    action: (body: Static<T>) => Promise<Result<V, DomainError>>,
    reply: (value: V) => Response,
  ): Route {
    return async (req) => {
      const read = await readBody(req);
      if (!read.ok) return read.reply;
      const body = check(read.body);
      if (!body.ok) return domainErrorReply(body.error);
      const out = await action(body.value);
      return out.ok ? reply(out.value) : domainErrorReply(out.error);
    };
  }

  const post: Record<string, Route> = {
    "/register_function": postRoute(
      checkRegister,
      (b) => service.register({ name: b.name, payload: b.payload, timeoutMs: b.timeout_ms, maxAttempts: b.max_attempts }),
      (fn) => json({ function_id: fn.id }, 201),
    ),
    "/execute_function": postRoute(
      checkExecute,
      (b) => service.execute(b.function_id, b.payload, b.timeout_ms),
      (id) => json({ task_id: id }, 201),
    ),
    "/execute_batch": postRoute(
      checkBatch,
      (b) => service.executeBatch(b.function_id, b.payloads, b.timeout_ms),
      (ids) => json({ task_ids: ids }, 201),
    ),
    "/wait": postRoute(
      checkWait,
      (b) => service.awaitAny(b.task_ids, Math.round((b.timeout_s ?? 0) * 1000)),
      (sweep) => json({ results: sweep.done.map(resultBody), pending: sweep.pending, unknown: sweep.unknown }),
    ),
  };

  const del: Record<string, Route> = {
    "/tasks": async (_req, _url, id) => {
      const t = await service.cancel(id);
      return t.ok ? json({ task_id: t.value.id, status: t.value.status }) : domainErrorReply(t.error);
    },
  };

  const get: Record<string, Route> = {
    "/status": async (_req, _url, id) => {
      const t = await service.task(id);
      return t.ok ? json({ task_id: t.value.id, status: t.value.status }) : domainErrorReply(t.error);
    },
    "/result": async (_req, url, id) => {
      const waitParam = url.searchParams.get("wait");
      let waitMs = 0;
      if (waitParam !== null) {
        const s = Number(waitParam);
        if (waitParam.trim() === "" || !Number.isFinite(s) || s <= 0 || s > MAX_WAIT_S) {
          return errorReply(400, "InvalidRequest", `wait must be a number of seconds with 0 < wait <= ${MAX_WAIT_S}, got "${waitParam}"`, "wait");
        }
        waitMs = Math.round(s * 1000);
      }
      const t = await service.awaitTask(id, waitMs);
      return t.ok ? json(resultBody(t.value)) : domainErrorReply(t.error);
    },
    "/functions": async (_req, url, id) => {
      if (id === "") return json({ functions: (await service.listFunctions()).map((f) => functionBody(f, false)) });
      const fn = await service.getFunction(id);
      if (fn === undefined) return domainErrorReply({ kind: "UnknownFunction", functionId: id });
      return json(functionBody(fn, url.searchParams.get("source") === "true"));
    },
    "/openapi.json": async () => new Response(openapi, { headers: { "content-type": "application/json" } }),
    "/dashboard": async (_req, url) => dashboard(url),
    "/metrics": async () => new Response(renderMetrics(await o.metrics()), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } }),
    "/healthz": async () => {
      try {
        return json({ status: "ok", ...(await o.health()) });
      } catch (e) {
        return errorReply(503, "BackendUnavailable", `Backend unavailable: ${(e as Error).message}`);
      }
    },
  };

  return async (req) => {
    const url = new URL(req.url);
    const path = url.pathname;
    const slash = path.indexOf("/", 1);
    const head = slash < 0 ? path : path.slice(0, slash);
    const param = slash < 0 ? "" : safeDecode(path.slice(slash + 1));
    const postRoute = slash < 0 ? post[path] : undefined;
    const getRoute =
      param === "" ? (EXACT_GETS.has(path) ? get[path] : undefined) : PARAM_GETS.has(head) && !param.includes("/") ? get[head] : undefined;
    const deleteRoute = param !== "" && PARAM_DELETES.has(head) && !param.includes("/") ? del[head] : undefined;
    const route =
      req.method === "POST" ? postRoute : req.method === "GET" || req.method === "HEAD" ? getRoute : req.method === "DELETE" ? deleteRoute : undefined;
    try {
      if (route !== undefined) return await route(req, url, param);
    } catch (e) {
      if (e instanceof BackendUnavailableError) return errorReply(503, "BackendUnavailable", e.message, undefined, { "retry-after": "1" });
      if (e instanceof BackendTimeoutError) return errorReply(504, "BackendTimeout", e.message);
      return errorReply(500, "InternalError", `Unexpected error: ${(e as Error).message}`);
    }
    if (postRoute !== undefined || getRoute !== undefined || deleteRoute !== undefined) {
      const allow = postRoute !== undefined ? "POST" : getRoute !== undefined ? "GET" : "DELETE";
      return errorReply(405, "MethodNotAllowed", `${path} takes ${allow}, got ${req.method}`, undefined, { allow });
    }
    return errorReply(404, "NotFound", `No route for ${req.method} ${path}`);
  };
}

const EXACT_GETS = new Set(["/functions", "/openapi.json", "/healthz", "/metrics", "/dashboard"]);
const PARAM_GETS = new Set(["/status", "/result", "/functions"]);
const PARAM_DELETES = new Set(["/tasks"]);

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function resultBody(t: Task): { task_id: string; status: string; result: string | null } {
  return { task_id: t.id, status: t.status, result: isTerminal(t.status) ? t.result : null };
}

function functionBody(f: FunctionRecord, withSource: boolean): object {
  const base = { function_id: f.id, name: f.name, created: new Date(f.createdAt).toISOString(), timeout_ms: f.timeoutMs, max_attempts: f.maxAttempts };
  return withSource ? { ...base, payload: f.source } : base;
}
