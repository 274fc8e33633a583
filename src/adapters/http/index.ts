export { createHandler, type HandlerOptions } from "./handler.ts";
export { startHttpServer, type HttpServerOptions } from "./server.ts";
export { openApiDocument } from "./openapi.ts";
export { PROMETHEUS_CONTENT_TYPE, renderMetrics, type MetricsReport, type ProcessFacts } from "./prometheus.ts";
export { ApiKeys, withApiKeys, type ApiKeyOptions } from "./auth.ts";
