import { PROPERTY_IDENTITY, PROPERTY_SOCKET_TYPE } from "./commands.ts";

/** The socket types this implementation provides, as spelled in the Socket-Type property. */
export type SocketType = "REQ" | "REP" | "DEALER" | "ROUTER";

const COMPATIBLE: Readonly<Record<SocketType, readonly string[]>> = {
  REQ: ["REP", "ROUTER"],
  REP: ["REQ", "DEALER"],
  DEALER: ["REP", "DEALER", "ROUTER"],
  ROUTER: ["REQ", "DEALER", "ROUTER"],
};

/**
 * Whether a peer announcing `peerType` may talk to a socket of type `ours` (RFC 37 table).
 *
 * @example
 * ```ts
 * canPair("REQ", "ROUTER"); // true
 * canPair("REQ", "DEALER"); // false
 * ```
 */
export function canPair(ours: SocketType, peerType: string): boolean {
  return COMPATIBLE[ours].includes(peerType);
}

/** Whether sockets of this type announce an Identity property in READY (as libzmq does). */
export function sendsIdentity(type: SocketType): boolean {
  return type === "REQ" || type === "DEALER" || type === "ROUTER";
}

/** What a peer announced in its metadata, once checked. */
export interface PeerProperties {
  readonly socketType: string;
  /** The Identity property; empty when none. */
  readonly identity: Buffer;
}

/**
 * Checks a peer's metadata (READY, or a CURVE INITIATE/READY box) against our socket type:
 * Socket-Type must be present and compatible. Returns why not, as a string, when it is refused.
 *
 * @example
 * ```ts
 * peerProperties("ROUTER", metadata); // { socketType: "DEALER", identity: <Buffer 77 31> }
 * peerProperties("REQ", metadata);    // "Invalid socket type: REQ does not accept DEALER"
 * ```
 */
export function peerProperties(ours: SocketType, metadata: Map<string, Buffer>): PeerProperties | string {
  const socketType = metadata.get(PROPERTY_SOCKET_TYPE)?.toString("latin1");
  if (socketType === undefined) return "READY has no Socket-Type property";
  if (!canPair(ours, socketType)) return `Invalid socket type: ${ours} does not accept ${socketType}`;
  const identity = metadata.get(PROPERTY_IDENTITY);
  return { socketType, identity: identity !== undefined && identity.length > 0 ? Buffer.from(identity) : Buffer.alloc(0) };
}
