/** Serves a fetch handler with Bun.serve, sized for long-polls (idle timeout above the 60 s wait cap). */
export interface HttpServerOptions {
  readonly port: number;
  readonly host: string;
  readonly maxBodyBytes: number;
  readonly fetch: (req: Request, info?: { ip?: string }) => Promise<Response>;
}

/** Starts the server; `port: 0` picks a free port (read it from `server.port`). */
export function startHttpServer(o: HttpServerOptions): ReturnType<typeof Bun.serve> {
  return Bun.serve({
    port: o.port,
    hostname: o.host,
    // Our handler answers 413 with the error shape; Bun's own limit only guards against abuse.
    maxRequestBodySize: Math.max(o.maxBodyBytes * 4, 64 * 1024 * 1024),
    idleTimeout: 75,
    // the client's address only when a handler asks for it (a system call per request otherwise)
    fetch: (req, server) =>
      o.fetch(req, {
        get ip() {
          return server.requestIP(req)?.address;
        },
      }),
  });
}
