/**
 * The REST API as a `fetch(Request) => Response` function over a TaskService: routing, body limits,
 * JSON parsing, schema validation, and the mapping of domain errors to the one error shape.
 */
import { BackendUnavailableError } from "../../domain/errors.ts";
import type { FunctionRecord } from "../../domain/function-record.ts";
import type { TaskService } from "../../domain/task-service.ts";
import { isTerminal, type Task } from "../../domain/task.ts";
import { openApiDocument } from "./openapi.ts";
import { domainErrorReply, errorReply, json } from "./replies.ts";
import { ExecuteBatchBody, ExecuteBody, RegisterBody, WaitBody } from "./schemas.ts";
import { validator } from "./validate.ts";

export interface HandlerOptions {
  readonly maxBodyBytes: number;
  readonly version: string;
  /** Extra health facts (queue depth); throws when the backend is down. */
  readonly health: () => Promise<{ queued: number }>;
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

  const post: Record<string, Route> = {
    "/register_function": async (req) => {
      const read = await readBody(req);
      if (!read.ok) return read.reply;
      const body = checkRegister(read.body);
      if (!body.ok) return domainErrorReply(body.error);
      const { name, payload, timeout_ms, max_attempts } = body.value;
      const fn = await service.register({ name, payload, timeoutMs: timeout_ms, maxAttempts: max_attempts });
      return fn.ok ? json({ function_id: fn.value.id }, 201) : domainErrorReply(fn.error);
    },
    "/execute_function": async (req) => {
      const read = await readBody(req);
      if (!read.ok) return read.reply;
      const body = checkExecute(read.body);
      if (!body.ok) return domainErrorReply(body.error);
      const id = await service.execute(body.value.function_id, body.value.payload, body.value.timeout_ms);
      return id.ok ? json({ task_id: id.value }, 201) : domainErrorReply(id.error);
    },
    "/execute_batch": async (req) => {
      const read = await readBody(req);
      if (!read.ok) return read.reply;
      const body = checkBatch(read.body);
      if (!body.ok) return domainErrorReply(body.error);
      const ids = await service.executeBatch(body.value.function_id, body.value.payloads, body.value.timeout_ms);
      return ids.ok ? json({ task_ids: ids.value }, 201) : domainErrorReply(ids.error);
    },
    "/wait": async (req) => {
      const read = await readBody(req);
      if (!read.ok) return read.reply;
      const body = checkWait(read.body);
      if (!body.ok) return domainErrorReply(body.error);
      const sweep = await service.awaitAny(body.value.task_ids, Math.round((body.value.timeout_s ?? 0) * 1000));
      if (!sweep.ok) return domainErrorReply(sweep.error);
      return json({ results: sweep.value.done.map(resultBody), pending: sweep.value.pending, unknown: sweep.value.unknown });
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
    const route = req.method === "POST" ? postRoute : req.method === "GET" || req.method === "HEAD" ? getRoute : undefined;
    try {
      if (route !== undefined) return await route(req, url, param);
    } catch (e) {
      if (e instanceof BackendUnavailableError) return errorReply(503, "BackendUnavailable", e.message, undefined, { "retry-after": "1" });
      return errorReply(500, "InternalError", `Unexpected error: ${(e as Error).message}`);
    }
    if (postRoute !== undefined || getRoute !== undefined) {
      const allow = postRoute !== undefined ? "POST" : "GET";
      return errorReply(405, "MethodNotAllowed", `${path} takes ${allow}, got ${req.method}`, undefined, { allow });
    }
    return errorReply(404, "NotFound", `No route for ${req.method} ${path}`);
  };
}

const EXACT_GETS = new Set(["/functions", "/openapi.json", "/healthz"]);
const PARAM_GETS = new Set(["/status", "/result", "/functions"]);

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
