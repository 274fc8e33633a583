/**
 * The HTTP adapter: Bun.serve over one route table. `httpApp` assembles the table (REST API, operations,
 * dashboard), the authenticator and the handler for a composition root.
 */
export { createHandler, type FetchHandler, type HandlerOptions } from "./handler.ts";
export { startHttpServer, type HttpServerOptions } from "./server.ts";
export { openApiDocument } from "./openapi.ts";
export { PROMETHEUS_CONTENT_TYPE, renderMetrics, type MetricsReport, type ProcessFacts } from "./prometheus.ts";
export { ApiKeys, Authenticator, type ApiKeyEntry } from "./auth.ts";
export { Sessions, readCookie, SESSION_COOKIE } from "./dashboard/sessions.ts";
export { httpApp, type HttpAppDeps } from "./app.ts";
export type { Route, Caller, Access } from "./route.ts";
