/**
 * The HTTP API as one `fetch(Request) => Response` function over the route table: find the route
 * (404, or 405 with Allow), identify the caller (401/403), read and validate the JSON body (413, 400
 * naming the field), run the handler, and map what it throws: BackendUnavailableError 503 (nothing was
 * done), BackendTimeoutError 504 (it may have been applied), anything else 500 with a generated id that
 * is logged with the error and returned as `x-request-id`.
 *
 * @example
 * const fetch = createHandler(routes, { maxBodyBytes: 1 << 20, auth, logger });
 * Bun.serve({ port: 8000, fetch });
 */
import { BackendTimeoutError, BackendUnavailableError } from "../../domain/errors.ts";
import type { Logger } from "../../domain/ports.ts";
import { deniedReply, type Authenticator } from "./auth.ts";
import { readLimitedText } from "./body.ts";
import type { EdgeGuard } from "./edge.ts";
import { errorReply } from "./replies.ts";
import type { Route } from "./route.ts";
import { Router } from "./router.ts";
import { validator, type BodyValidator } from "./validate.ts";
import type { TSchema } from "@sinclair/typebox";

export interface HandlerOptions {
  readonly maxBodyBytes: number;
  readonly auth: Authenticator;
  readonly logger: Logger;
  /** Host and Origin checks before routing (edge.ts); none: every request goes on. */
  readonly edge?: EdgeGuard;
  /** Behind a proxy: the client address comes from X-Forwarded-For. */
  readonly trustProxy?: boolean;
}

/** What the server knows about a connection beside the request (Bun.serve's requestIP). */
export interface ConnectionInfo {
  readonly ip?: string;
}

export type FetchHandler = (req: Request, info?: ConnectionInfo) => Promise<Response>;

export function createHandler(routes: readonly Route[], o: HandlerOptions): FetchHandler {
  const router = new Router(routes);
  const validators = new Map<Route, BodyValidator<TSchema>>();
  for (const r of routes) if (r.body !== undefined) validators.set(r, validator(r.body));

  async function dispatch(req: Request, url: URL, info: ConnectionInfo | undefined): Promise<Response> {
    const refused = o.edge?.check(req);
    if (refused !== undefined) return refused;
    const m = router.match(req.method, url.pathname);
    if (m.kind === "none") {
      // Unknown paths take a key like the API, so a caller without one learns nothing about routes.
      const who = o.auth.identify(req, url, "key");
      if ("denied" in who) return deniedReply(who.denied, "key");
      return errorReply(404, "NotFound", `No route for ${req.method} ${url.pathname}`);
    }
    if (m.kind === "method") {
      const allow = m.allow.join(", ");
      return errorReply(405, "MethodNotAllowed", `${url.pathname} takes ${allow}, got ${req.method}`, undefined, { allow });
    }
    const r = m.route;
    const who = o.auth.identify(req, url, r.access);
    if ("denied" in who) return r.denied?.(who.denied, req) ?? deniedReply(who.denied, r.access);
    let body: unknown;
    const check = validators.get(r);
    if (check !== undefined) {
      const read = await readJson(req, o.maxBodyBytes);
      if (!read.ok) return read.reply;
      const checked = check(read.body);
      if (!checked.ok) return errorReply(400, "InvalidRequest", checked.error.message, checked.error.field);
      body = checked.value;
    }
    // The address and the scheme are worked out when a handler reads them (few do: the address is a
    // system call, the scheme another parse of the URL behind a proxy).
    return r.handle({
      req,
      url,
      params: m.params,
      body: body as never,
      caller: who.caller,
      keyInUrl: who.viaQuery,
      get clientIp() {
        const forwarded = o.trustProxy ? req.headers.get("x-forwarded-for")?.split(",")[0]?.trim() : undefined;
        return forwarded || info?.ip || "";
      },
      get scheme() {
        return o.edge?.scheme(req, url) ?? url.protocol.replace(":", "");
      },
    });
  }

  return async (req, info) => {
    const url = new URL(req.url);
    try {
      return await dispatch(req, url, info);
    } catch (e) {
      if (e instanceof BackendUnavailableError) return errorReply(503, "BackendUnavailable", e.message, undefined, { "retry-after": "1" });
      if (e instanceof BackendTimeoutError) return errorReply(504, "BackendTimeout", e.message);
      const id = crypto.randomUUID();
      o.logger.log("error", "request failed with an unexpected error", { event: "http.internal_error", requestId: id, method: req.method, path: url.pathname, error: String(e), stack: (e as Error)?.stack });
      return errorReply(500, "InternalError", `Unexpected error (request id ${id}); the server log has the details`, undefined, { "x-request-id": id });
    }
  };
}

async function readJson(req: Request, limit: number): Promise<{ ok: true; body: unknown } | { ok: false; reply: Response }> {
  const read = await readLimitedText(req, limit);
  if (!read.ok) return { ok: false, reply: errorReply(413, "PayloadTooLarge", `Request body must be at most ${limit} bytes, got ${read.size} or more`) };
  if (read.text.length === 0) return { ok: false, reply: errorReply(400, "InvalidJson", "Request body must be a JSON object, got an empty body") };
  try {
    return { ok: true, body: JSON.parse(read.text) };
  } catch (e) {
    return { ok: false, reply: errorReply(400, "InvalidJson", `Request body must be valid JSON: ${(e as Error).message}`) };
  }
}
