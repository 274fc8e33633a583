/**
 * A TCP port nobody listens on right now on 127.0.0.1 (bind port 0, read it, close). Another process
 * may still take it before it is used: callers that bind retry on EADDRINUSE.
 *
 * @example
 * const port = freePort();
 */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}
