/**
 * One HTTP route, declared once: method, path pattern, who may call it, the request body schema, the
 * responses it gives, and its handler. The router (404, 405 with Allow), authentication and the
 * OpenAPI document all read the same table (the `*-routes.ts` files and dashboard/routes.ts), so they
 * cannot disagree.
 *
 * @example
 * const status = route({
 *   method: "GET", path: "/status/{task_id}", access: "key", operationId: "getStatus", tag: "tasks",
 *   summary: "Task status", responses: { 200: ok(StatusReply, "Status"), 404: "UnknownTask" },
 *   handle: async ({ params }) => json(...),
 * });
 */
import type { Static, TSchema } from "@sinclair/typebox";

export type Method = "GET" | "POST" | "DELETE";

/**
 * Who may call a route when API keys are on (with keys off everything is open):
 * - `open`: anyone (health, the OpenAPI document, the sign-in form);
 * - `key`: an API key in `Authorization: Bearer` or `X-API-Key`;
 * - `browser`: a key as above, `?key=` in the URL (scrapers, bookmarks), or a dashboard session cookie.
 */
export type Access = "open" | "key" | "browser";

/** Who is calling: the tenant the API key (or session) belongs to. */
export interface Caller {
  readonly tenant: string;
}

/** What a handler gets. `body` is the parsed, validated JSON body for routes that declare one. */
export interface RouteContext<B> {
  readonly req: Request;
  readonly url: URL;
  /** Path parameters by name, URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly body: B;
  readonly caller: Caller;
  /** The client's address (X-Forwarded-For's first behind a trusted proxy); "" when unknown. */
  readonly clientIp: string;
  /** The scheme the client used (X-Forwarded-Proto behind a trusted proxy). */
  readonly scheme: string;
  /** Whether the caller was identified by a `?key=` in the URL (browser routes). */
  readonly keyInUrl: boolean;
}

/** A documented response: its description and, for JSON, its schema; a string names an error code. */
export interface ResponseSpec {
  readonly description: string;
  readonly schema?: TSchema;
  /** Content type when not JSON (text/html, text/plain...). */
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface QueryParam {
  readonly name: string;
  readonly description: string;
  readonly schema: object;
}

export interface Route<S extends TSchema | undefined = TSchema | undefined> {
  readonly method: Method;
  /** "/status/{task_id}": literal segments and `{name}` parameters, one segment each. */
  readonly path: string;
  readonly access: Access;
  readonly operationId: string;
  readonly tag: string;
  readonly summary: string;
  /** JSON body schema, validated before the handler runs (400 names the field). */
  readonly body?: S;
  /** A body that is not JSON (the sign-in form): documented, read by the handler itself. */
  readonly formBody?: { readonly contentType: string; readonly schema: object };
  readonly query?: readonly QueryParam[];
  /** Request headers the route reads (documented as header parameters; the handler reads them). */
  readonly headers?: readonly QueryParam[];
  /** Every status this route answers besides the ones every route may give (401/403/500/503/504). */
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** Shown instead of the JSON 401/403 when the caller is not signed in (the dashboard's form). */
  readonly denied?: (status: 401 | 403, req: Request) => Response;
  /** Whether the route only exists when API keys are on (the sign-in form). */
  readonly onlyWithKeys?: boolean;
  handle(ctx: RouteContext<S extends TSchema ? Static<S> : undefined>): Promise<Response>;
}

/** Declares a route (typed by its body schema). */
export function route<S extends TSchema | undefined = undefined>(r: Route<S>): Route {
  return r as unknown as Route;
}
