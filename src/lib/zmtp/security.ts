/**
 * Security options (zeromq.js v6 names, plus `curveAllow`) turned into what each connection
 * needs: NULL, or CURVE as client or server.
 */
import type { Properties } from "./commands.ts";
import { publicKeyOf, sameBytes } from "./curve-box.ts";
import { CurveClientMechanism, type CurveClientKeys } from "./curve-client.ts";
import { CookieJar } from "./curve-cookie.ts";
import { parseCurveKey, type CurveKey } from "./curve-keys.ts";
import { CurveServerMechanism, type CurveServerConfig } from "./curve-server.ts";
import { ZmtpError } from "./errors.ts";
import { NullMechanism, type Mechanism } from "./mechanism.ts";
import { z85Encode } from "./z85.ts";

/**
 * Which clients a CURVE server lets in, checked at INITIATE with the client's long-term
 * public key: a set of Z85 keys (read at each handshake, so adding or deleting a key takes
 * effect for the next connection), or a function. Without it every client holding the
 * server's public key gets in (libzmq's behaviour without a ZAP handler).
 */
export type CurveAllow = ReadonlySet<string> | ((clientPublicKey: Uint8Array) => boolean);

/** The CURVE options of a socket. */
export interface CurveOptions {
  /** Act as CURVE server (needs `curveSecretKey`). */
  curveServer?: boolean;
  /** Our long-term public key; derived from `curveSecretKey` when left out. */
  curvePublicKey?: CurveKey;
  /** Our long-term secret key (servers and clients). */
  curveSecretKey?: CurveKey;
  /** The server's public key; setting it makes the socket a CURVE client. */
  curveServerKey?: CurveKey;
  /** Servers only: which client keys may connect; see {@link CurveAllow}. */
  curveAllow?: CurveAllow;
}

/** A socket's security, resolved from its options. */
export type Security =
  | { readonly kind: "NULL" }
  | { readonly kind: "CURVE client"; readonly keys: CurveClientKeys }
  | { readonly kind: "CURVE server"; readonly config: CurveServerConfig };

/**
 * Resolves and checks the CURVE options; throws `EINVAL` saying what is missing or wrong.
 *
 * @example
 * ```ts
 * securityFrom({ curveServer: true, curveSecretKey: pair.secretKey }); // { kind: "CURVE server", ... }
 * securityFrom({}); // { kind: "NULL" }
 * ```
 */
export function securityFrom(options: CurveOptions, now?: () => number): Security {
  const { curveServer, curveServerKey, curveSecretKey, curvePublicKey, curveAllow } = options;
  if (curveServer === true && curveServerKey !== undefined) {
    throw new ZmtpError("EINVAL", "A socket is CURVE server (curveServer: true) or client (curveServerKey), not both");
  }
  if (curveAllow !== undefined && curveServer !== true) {
    throw new ZmtpError("EINVAL", "curveAllow needs curveServer: true (only a CURVE server checks client keys)");
  }
  if (curveServer !== true && curveServerKey === undefined) {
    if (curveSecretKey !== undefined || curvePublicKey !== undefined) {
      throw new ZmtpError("EINVAL", "CURVE keys were given without a role: set curveServer: true, or curveServerKey for a client");
    }
    return { kind: "NULL" };
  }
  if (curveSecretKey === undefined) {
    throw new ZmtpError("EINVAL", `A CURVE ${curveServer === true ? "server" : "client"} needs curveSecretKey`);
  }
  const secretKey = parseCurveKey(curveSecretKey, "curveSecretKey");
  const publicKey = publicKeyOf(secretKey);
  if (curvePublicKey !== undefined && !sameBytes(parseCurveKey(curvePublicKey, "curvePublicKey"), publicKey)) {
    throw new ZmtpError("EINVAL", `curvePublicKey does not belong to curveSecretKey (its public key is ${z85Encode(publicKey)})`);
  }
  if (curveServer === true) {
    const config: CurveServerConfig = { publicKey, secretKey, cookies: new CookieJar(60_000, now), allows: allowList(curveAllow) };
    return { kind: "CURVE server", config };
  }
  const serverKey = parseCurveKey(curveServerKey as CurveKey, "curveServerKey");
  return { kind: "CURVE client", keys: { publicKey, secretKey, serverKey } };
}

/**
 * The mechanism for one new connection.
 *
 * @example
 * ```ts
 * const mechanism = newMechanism(security, [["Socket-Type", Buffer.from("REQ")]], -1);
 * ```
 */
export function newMechanism(security: Security, properties: Properties, maxMessageSize: number): Mechanism {
  switch (security.kind) {
    case "NULL":
      return new NullMechanism(properties);
    case "CURVE client":
      return new CurveClientMechanism(security.keys, properties, maxMessageSize);
    case "CURVE server":
      return new CurveServerMechanism(security.config, properties, maxMessageSize);
  }
}

/**
 * The allow-list as a predicate.
 *
 * @example
 * ```ts
 * allowList(new Set([clientPublicZ85]))(clientKeyBytes); // true
 * ```
 */
export function allowList(allow: CurveAllow | undefined): (clientPublicKey: Uint8Array) => boolean {
  if (allow === undefined) return () => true;
  if (typeof allow === "function") return allow;
  if (typeof (allow as { has?: unknown } | null)?.has === "function") return (key) => allow.has(z85Encode(key));
  throw new ZmtpError("EINVAL", `curveAllow must be a Set of Z85 keys or a function, got ${allow === null ? "null" : typeof allow}`);
}
