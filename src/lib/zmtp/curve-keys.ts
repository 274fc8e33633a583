/**
 * CURVE long-term keys as users handle them: 40-character Z85 strings (as zeromq.js and
 * libzmq's `zmq_curve_keypair` give them) or 32-octet arrays.
 */
import { KEY_SIZE, newKeyPair, publicKeyOf } from "./curve-box.ts";
import { ZmtpError } from "./errors.ts";
import { z85Decode, z85Encode } from "./z85.ts";

/** A CURVE key as the options accept it: 40 Z85 characters or 32 octets. */
export type CurveKey = string | Uint8Array;

/** Characters in a Z85-encoded CURVE key. */
export const Z85_KEY_LENGTH = 40;

/**
 * A new random CURVE key pair, both keys Z85-encoded (40 characters), like zeromq.js's
 * `curveKeyPair()`. Give the secret key to `curveSecretKey` and the public key to the
 * other side (`curveServerKey` on clients, the allow-list on servers).
 *
 * @example
 * ```ts
 * const server = curveKeyPair();
 * const rep = new Reply({ curveServer: true, curveSecretKey: server.secretKey });
 * const req = new Request({ curveServerKey: server.publicKey, ...curveKeyPair() });
 * ```
 */
export function curveKeyPair(): { publicKey: string; secretKey: string } {
  const pair = newKeyPair();
  return { publicKey: z85Encode(pair.publicKey), secretKey: z85Encode(pair.secretKey) };
}

/**
 * The Z85 public key belonging to a secret key (like zeromq.js's `curvePublicKey`).
 *
 * @example
 * ```ts
 * curvePublicKey("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"); // "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
 * ```
 */
export function curvePublicKey(secretKey: CurveKey): string {
  return z85Encode(publicKeyOf(parseCurveKey(secretKey, "secretKey")));
}

/**
 * Turns a key given as an option into its 32 octets, or throws `EINVAL` naming the option.
 *
 * @example
 * ```ts
 * parseCurveKey("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", "curveServerKey"); // 32 octets
 * ```
 */
export function parseCurveKey(key: CurveKey, option: string): Uint8Array {
  if (typeof key === "string") {
    if (key.length !== Z85_KEY_LENGTH) {
      throw new ZmtpError("EINVAL", `${option} must be ${Z85_KEY_LENGTH} Z85 characters or ${KEY_SIZE} octets, got a string of ${key.length} characters`);
    }
    try {
      return z85Decode(key);
    } catch (error) {
      throw new ZmtpError("EINVAL", `${option} is not valid Z85: ${(error as Error).message}`);
    }
  }
  if (key instanceof Uint8Array) {
    if (key.length !== KEY_SIZE) {
      throw new ZmtpError("EINVAL", `${option} must be ${KEY_SIZE} octets or ${Z85_KEY_LENGTH} Z85 characters, got ${key.length} octets`);
    }
    return Uint8Array.from(key);
  }
  const got = key === null ? "null" : typeof key;
  throw new ZmtpError("EINVAL", `${option} must be a Z85 string or a Uint8Array, got ${got}`);
}
