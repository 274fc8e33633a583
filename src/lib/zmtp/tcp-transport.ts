import type { Socket, TCPSocketListener } from "bun";
import type { Connection } from "./connection.ts";
import type { TcpEndpoint } from "./endpoint.ts";

/**
 * The Bun TCP glue: socket handlers that forward events to a {@link Connection}.
 * Bun hands each `data` event a fresh Buffer, so frames may keep views into it.
 */
const handlers = {
  binaryType: "buffer" as const,
  data(sock: Socket<Connection>, chunk: Buffer): void {
    sock.data.onData(chunk);
  },
  drain(sock: Socket<Connection>): void {
    sock.data?.onDrain();
  },
  end(sock: Socket<Connection>): void {
    sock.data?.onPeerEnd();
  },
  close(sock: Socket<Connection>, error?: Error): void {
    sock.data?.onSocketClosed(error);
  },
  error(sock: Socket<Connection>, error: Error): void {
    // A handler threw (a bug, or input we did not foresee): drop this peer, keep serving others.
    sock.data?.close(`Internal error: ${error.message}`);
  },
};

/**
 * Listens on `endpoint`; each accepted TCP connection gets a Connection from `accept`.
 * Throws (synchronously, as Bun does) when the address cannot be bound.
 */
export function listenTcp(endpoint: TcpEndpoint, accept: () => Connection): TCPSocketListener<Connection> {
  return Bun.listen<Connection>({
    hostname: endpoint.host,
    port: endpoint.port,
    socket: {
      ...handlers,
      open(sock) {
        const conn = accept();
        sock.data = conn;
        conn.attach(sock);
      },
    },
  });
}

/** Connects to `endpoint` for `conn`; failures are reported through `conn.onConnectFailed`. */
export function dialTcp(endpoint: TcpEndpoint, conn: Connection): void {
  Bun.connect<Connection>({
    hostname: endpoint.host,
    port: endpoint.port,
    data: conn,
    socket: {
      ...handlers,
      open(sock) {
        conn.attach(sock);
      },
      connectError(_sock, error) {
        conn.onConnectFailed(error);
      },
    },
  }).catch((error: unknown) => {
    conn.onConnectFailed(error instanceof Error ? error : new Error(String(error)));
  });
}
