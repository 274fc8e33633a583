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
