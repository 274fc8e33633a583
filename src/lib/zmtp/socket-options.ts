import { ZmtpError } from "./errors.ts";
import { securityFrom, type CurveOptions, type Security } from "./security.ts";

/**
 * Options shared by all socket types; names and defaults follow zeromq.js v6. The CURVE
 * options (`curveServer`, `curvePublicKey`, `curveSecretKey`, `curveServerKey`, and our
 * `curveAllow`) are described in security.ts.
 */
export interface SocketOptions extends CurveOptions {
  /** Identity announced to ROUTER peers (1-255 octets, must not start with 0). */
  routingId?: string | Uint8Array;
  /** Messages queued per peer before `send` waits. 0 = no limit. Default 1000. */
  sendHighWaterMark?: number;
  /** Messages queued per peer before we stop reading from it. 0 = no limit. Default 1000. */
  receiveHighWaterMark?: number;
  /** Milliseconds before reconnecting a lost or failed `connect`; -1 = never. Default 100. */
  reconnectInterval?: number;
  /** Cap for the doubling reconnect delay; 0 = no doubling. Default 2000. */
  reconnectMaxInterval?: number;
  /** Largest accepted frame in octets (as libzmq, per frame); larger drops the peer. -1 = no limit. */
  maxMessageSize?: number;
  /** Milliseconds a new connection has to complete the ZMTP handshake; 0 = unlimited. Default 30000. */
  handshakeInterval?: number;
}

/** Socket options with defaults applied and checked. */
export interface ResolvedOptions {
  readonly ownIdentity: Buffer;
  readonly sendHighWaterMark: number;
  readonly receiveHighWaterMark: number;
  readonly reconnectInterval: number;
  readonly reconnectMaxInterval: number;
  readonly maxMessageSize: number;
  readonly handshakeTimeout: number;
  readonly security: Security;
}

/**
 * Applies defaults and checks options; throws `EINVAL` saying what is wrong.
 *
 * @example
 * ```ts
 * resolveOptions({ routingId: "w1" }).sendHighWaterMark; // 1000
 * ```
 */
export function resolveOptions(options: SocketOptions): ResolvedOptions {
  const id = options.routingId;
  const ownIdentity = id === undefined ? Buffer.alloc(0) : Buffer.from(typeof id === "string" ? Buffer.from(id) : id);
  if (ownIdentity.length > 255) throw new ZmtpError("EINVAL", `routingId must be at most 255 octets, got ${ownIdentity.length}`);
  if (ownIdentity[0] === 0) throw new ZmtpError("EINVAL", "routingId must not start with a zero octet (reserved)");
  return {
    ownIdentity,
    sendHighWaterMark: options.sendHighWaterMark ?? 1000,
    receiveHighWaterMark: options.receiveHighWaterMark ?? 1000,
    reconnectInterval: options.reconnectInterval ?? 100,
    reconnectMaxInterval: options.reconnectMaxInterval ?? 2000,
    maxMessageSize: options.maxMessageSize ?? -1,
    handshakeTimeout: options.handshakeInterval ?? 30_000,
    security: securityFrom(options),
  };
}
