import { ZmtpError } from "./errors.ts";
import { z85Encode } from "./z85.ts";

/**
 * What a socket reports about its connections, named as zeromq.js v6's `socket.events`:
 *
 * - `handshake`: a peer completed the handshake (under CURVE: it is authenticated).
 * - `handshake:error:protocol`: a handshake failed: bad greeting, wrong mechanism or role,
 *   a CURVE box that does not open (wrong server key), bad cookie, vouch, nonce or length,
 *   a command out of turn, or the peer closed the connection mid-handshake.
 * - `handshake:error:auth`: a peer was refused: a CURVE client not on the server's
 *   allow-list (server side), or the server answered ERROR 300/400/500 (client side).
 * - `disconnect`: a handshaken peer left or was dropped; `reason` says why (peer closed,
 *   a MESSAGE that does not decrypt or replays a nonce, `disconnectPeer`...).
 *
 * `address` is the endpoint bound or connected to, as in zeromq.js. Handshake errors also carry
 * `peer`, the other end of the TCP connection ("host:port", absent when it never connected), and
 * on a CURVE server `publicKey`, the client's long-term key in Z85 once its vouch proved it (so a
 * client refused by the allow-list can be named). No other key material is ever reported.
 */
export type SocketEvent =
  | { readonly type: "handshake"; readonly address: string }
  | ({ readonly type: "handshake:error:protocol" } & HandshakeFailureFields)
  | ({ readonly type: "handshake:error:auth" } & HandshakeFailureFields)
  | { readonly type: "disconnect"; readonly address: string; readonly reason: string };

/** What a `handshake:error:*` event says about the failed connection. */
export interface HandshakeFailureFields {
  readonly address: string;
  readonly error: ZmtpError;
  readonly peer?: string;
  readonly publicKey?: string;
}

/** The name of a {@link SocketEvent}. */
export type SocketEventType = SocketEvent["type"];

type Listener<T extends SocketEventType> = (event: Extract<SocketEvent, { type: T }>) => void;

/**
 * Event listeners of one socket. A listener runs synchronously inside the library's network
 * callbacks: keep it short. An exception it throws is caught and dropped, so a bad
 * listener cannot take connections down.
 *
 * @example
 * ```ts
 * router.events.on("handshake:error:auth", (e) => log.warn("refused CURVE client", { address: e.address, why: e.error.message }));
 * ```
 */
export class SocketEvents {
  private readonly listeners = new Map<SocketEventType, Set<(event: SocketEvent) => void>>();

  /** Adds a listener for one event type; returns a function that removes it. */
  on<T extends SocketEventType>(type: T, listener: Listener<T>): () => void {
    let set = this.listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(type, set);
    }
    const entry = listener as (event: SocketEvent) => void;
    set.add(entry);
    return () => this.listeners.get(type)?.delete(entry);
  }

  /** Removes a listener added with {@link on}. */
  off<T extends SocketEventType>(type: T, listener: Listener<T>): void {
    this.listeners.get(type)?.delete(listener as (event: SocketEvent) => void);
  }

  /** @internal Calls the listeners of `event.type`. */
  emit(event: SocketEvent): void {
    const set = this.listeners.get(event.type);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        listener(event);
      } catch {
        // documented: a listener's exception must not reach the network callbacks
      }
    }
  }
}

/** What {@link endEvent} needs to know about a connection that ended. */
export interface EndedConnection {
  readonly endpoint: string;
  readonly handshaken: boolean;
  readonly failure: "protocol" | "auth" | null;
  /** The other end, "host:port"; "" when the TCP connection was never made. */
  readonly remoteAddress?: string;
  /** A CURVE client's long-term key once proven (server side only). */
  readonly provenClientKey?: Uint8Array | null;
}

/**
 * The event reporting a connection's end: `disconnect` for a peer that was handshaken, a
 * `handshake:error:*` for a diagnosed failure before that, none for a plain failed connect.
 *
 * @example
 * ```ts
 * const event = endEvent(conn, "Peer closed the connection");
 * if (event !== null) socket.events.emit(event);
 * ```
 */
export function endEvent(conn: EndedConnection, reason: string): SocketEvent | null {
  if (conn.handshaken) return { type: "disconnect", address: conn.endpoint, reason };
  if (conn.failure === null) return null;
  const who = {
    ...(conn.remoteAddress !== undefined && conn.remoteAddress !== "" && { peer: conn.remoteAddress }),
    ...(conn.provenClientKey != null && { publicKey: z85Encode(conn.provenClientKey) }),
  };
  if (conn.failure === "auth") return { type: "handshake:error:auth", address: conn.endpoint, error: new ZmtpError("EACCES", reason), ...who };
  return { type: "handshake:error:protocol", address: conn.endpoint, error: new ZmtpError("EPROTO", reason), ...who };
}
