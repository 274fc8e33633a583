/**
 * The OpenAPI 3.1 document, generated from the route table (route.ts) and the TypeBox schemas that
 * validate request bodies, so the documentation cannot drift from what the server routes, accepts and
 * answers. Statuses every route may give (401/403 with keys on, 500, 503, 504) are shared responses;
 * the schemas of schemas.ts are named under `components.schemas` and referenced with `$ref`.
 *
 * @example
 * const doc = openApiDocument(routes, "0.1.0");
 */
import type { TSchema } from "@sinclair/typebox";
import type { Access, ResponseSpec, Route } from "./route.ts";
import * as S from "./schemas.ts";

/** Every schema of schemas.ts by identity, with the name it has under components.schemas. */
const NAMES: ReadonlyMap<unknown, string> = new Map(
  Object.entries(S)
    .filter(([, v]) => typeof v === "object" && v !== null)
    .map(([name, schema]) => [schema, name]),
);

/** A `$ref` to the named schema, or the schema itself when it has no name. */
function ref(schema: TSchema | object, used: Map<string, object>): object {
  const name = NAMES.get(schema);
  if (name === undefined) return schema;
  used.set(name, schema);
  return { $ref: `#/components/schemas/${name}` };
}

/** Security requirements: any one of them is enough. */
const API_KEY_HEADERS = [{ bearer: [] }, { apiKeyHeader: [] }];
const BROWSER_AUTH = [...API_KEY_HEADERS, { apiKeyQuery: [] }, { sessionCookie: [] }];

const securitySchemes = {
  bearer: { type: "http", scheme: "bearer", description: "Authorization: Bearer <key>, one of the server's API keys" },
  apiKeyHeader: { type: "apiKey", in: "header", name: "X-API-Key", description: "The key in an X-API-Key header" },
  apiKeyQuery: { type: "apiKey", in: "query", name: "key", description: "?key=<key>: /metrics (scrapers) and /dashboard only" },
  sessionCookie: { type: "apiKey", in: "cookie", name: "faas_session", description: "Set by POST /dashboard/login: /metrics and /dashboard only" },
};

const errorContent = { "application/json": { schema: { $ref: "#/components/schemas/ErrorReply" } } };
const shared = {
  Unauthorized: { description: "No API key sent (only when API keys are on); WWW-Authenticate: Bearer", content: errorContent },
  Forbidden: { description: "The API key is not valid (only when API keys are on)", content: errorContent },
  InternalError: { description: "A bug: the x-request-id header names the server log entry", content: errorContent },
  BackendUnavailable: { description: "The backend (Redis) cannot be reached: nothing was done, safe to retry (Retry-After)", content: errorContent },
  BackendTimeout: { description: "The backend took the request but did not answer: it may have been applied, check before retrying", content: errorContent },
};

/** The document served at GET /openapi.json. */
export function openApiDocument(routes: readonly Route[], version: string): object {
  const paths: Record<string, Record<string, object>> = {};
  const used = new Map<string, object>([["ErrorReply", S.ErrorReply]]);
  for (const r of routes) {
    const ops = (paths[r.path] ??= {});
    ops[r.method.toLowerCase()] = operation(r, used);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "bunfaas",
      version,
      description:
        "Register JavaScript/TypeScript functions, execute them, read results. When the server runs with API keys (FAAS_API_KEYS), " +
        "every route but /healthz and /openapi.json takes a key: 401 Unauthorized without one (WWW-Authenticate: Bearer), 403 Forbidden with a wrong one. " +
        "Without keys the security requirements do not apply.",
    },
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    components: { schemas: Object.fromEntries([...used].sort(([a], [b]) => a.localeCompare(b))), securitySchemes, responses: shared },
    security: API_KEY_HEADERS,
    paths,
  };
}

function operation(r: Route, used: Map<string, object>): object {
  const params = [...r.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
  const query = (r.query ?? []).map((q) => ({ name: q.name, in: "query", required: false, description: q.description, schema: q.schema }));
  query.push(...(r.headers ?? []).map((h) => ({ name: h.name, in: "header", required: false, description: h.description, schema: h.schema })));
  const responses: Record<string, object> = {};
  for (const [status, spec] of Object.entries(r.responses)) responses[status] = response(spec, used);
  if (r.access !== "open") {
    responses["401"] ??= { $ref: "#/components/responses/Unauthorized" };
    responses["403"] ??= { $ref: "#/components/responses/Forbidden" };
  }
  responses["500"] = { $ref: "#/components/responses/InternalError" };
  if (r.path !== "/openapi.json") {
    responses["503"] ??= { $ref: "#/components/responses/BackendUnavailable" };
    if (r.access !== "open") responses["504"] = { $ref: "#/components/responses/BackendTimeout" };
  }
  return {
    operationId: r.operationId,
    tags: [r.tag],
    summary: r.summary,
    ...security(r.access),
    ...(params.length + query.length > 0 && { parameters: [...params, ...query] }),
    ...(r.body !== undefined && { requestBody: { required: true, content: { "application/json": { schema: ref(r.body, used) } } } }),
    ...(r.formBody !== undefined && { requestBody: { required: true, content: { [r.formBody.contentType]: { schema: r.formBody.schema } } } }),
    responses,
  };
}

function security(access: Access): object {
  if (access === "open") return { security: [] };
  if (access === "browser") return { security: BROWSER_AUTH };
  return {}; // the document-wide default: a key in a header
}

function response(spec: ResponseSpec, used: Map<string, object>): object {
  if (spec.schema === undefined) return { description: spec.description };
  return { description: spec.description, content: { [spec.contentType ?? "application/json"]: { schema: ref(spec.schema, used) } } };
}
