/**
 * Dropping live CURVE peers by their authenticated public key: for `disconnectPeer` and
 * `recheckCurveAllow` (a key removed from the authorized list ends that client's session).
 */
import type { Connection } from "./connection.ts";
import { sameBytes } from "./curve-box.ts";

/**
 * Closes the handshaken connections whose peer key `refuse` rejects; returns how many.
 *
 * @example
 * ```ts
 * dropCurvePeers(connections, (key) => sameBytes(key, revoked), "CURVE key revoked");
 * ```
 */
export function dropCurvePeers(connections: Iterable<Connection>, refuse: (peerKey: Uint8Array) => boolean, reason: string): number {
  let dropped = 0;
  for (const conn of [...connections]) {
    const key = conn.peerPublicKey;
    if (key === null || !refusedSafely(refuse, key)) continue;
    conn.close(reason);
    dropped++;
  }
  return dropped;
}

/**
 * A predicate refusing one key.
 *
 * @example
 * ```ts
 * dropCurvePeers(connections, keyIs(revoked), "disconnected");
 * ```
 */
export function keyIs(key: Uint8Array): (peerKey: Uint8Array) => boolean {
  return (peerKey) => sameBytes(peerKey, key);
}

/** A throwing predicate (a user's allow-list) refuses rather than escaping into the library. */
function refusedSafely(refuse: (key: Uint8Array) => boolean, key: Uint8Array): boolean {
  try {
    return refuse(key);
  } catch {
    return true;
  }
}
