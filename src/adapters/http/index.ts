export { createHandler, type HandlerOptions } from "./handler.ts";
export { startHttpServer, type HttpServerOptions } from "./server.ts";
export { openApiDocument } from "./openapi.ts";
