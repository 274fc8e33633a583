/**
 * NaCl `crypto_box` and `crypto_secretbox` as CurveZMQ (RFC 26) uses them, built from audited
 * primitives: X25519 from @noble/curves, HSalsa20 and XSalsa20-Poly1305 from @noble/ciphers.
 * Nothing cryptographic is implemented here; this file only arranges bytes.
 *
 * `crypto_box(m, n, pk, sk)` = XSalsa20-Poly1305 keyed by `beforenm(pk, sk)`, where
 * `beforenm` = HSalsa20(X25519(sk, pk), 16 zero octets). Computing the key once per peer
 * ("afternm") leaves one XSalsa20-Poly1305 per box.
 *
 * A box is `tag (16) + ciphertext`, exactly the octets CurveZMQ puts on the wire.
 */
import { x25519 } from "@noble/curves/ed25519.js";
import { hsalsa, xsalsa20poly1305 } from "@noble/ciphers/salsa.js";

/** Octets in a CURVE public or secret key. */
export const KEY_SIZE = 32;
/** Octets Poly1305 adds to every box. */
export const BOX_OVERHEAD = 16;
/** Octets in an XSalsa20 nonce. */
export const NONCE_SIZE = 24;

/** "expand 32-byte k" as little-endian words: the Salsa20 constant HSalsa20 is keyed with. */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
const ZERO_NONCE = new Uint32Array(4);

/** A long-term or transient CURVE key pair (raw 32-octet keys). */
export interface RawKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/**
 * Random octets from `crypto.getRandomValues`.
 *
 * @example
 * ```ts
 * const cookieKey = randomBytes(32);
 * ```
 */
export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/**
 * A fresh X25519 key pair.
 *
 * @example
 * ```ts
 * const transient = newKeyPair(); // { publicKey: 32 octets, secretKey: 32 octets }
 * ```
 */
export function newKeyPair(): RawKeyPair {
  const secretKey = randomBytes(KEY_SIZE);
  return { publicKey: publicKeyOf(secretKey), secretKey };
}

/**
 * The public key belonging to a secret key.
 *
 * @example
 * ```ts
 * const pub = publicKeyOf(secret);
 * ```
 */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return plain(x25519.getPublicKey(plain(secretKey)));
}

/**
 * `crypto_box_beforenm`: the XSalsa20-Poly1305 key shared by `theirPublic`'s owner and us.
 * Returns `null` when their key is of low order (the shared secret would be predictable).
 *
 * @example
 * ```ts
 * const key = boxKey(serverTransientPublic, clientTransientSecret);
 * if (key === null) refuse("bad key");
 * ```
 */
export function boxKey(theirPublic: Uint8Array, ourSecret: Uint8Array): Uint8Array | null {
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(plain(ourSecret), plain(theirPublic));
  } catch {
    return null;
  }
  const k = new Uint32Array(8);
  new Uint8Array(k.buffer).set(shared);
  const out = new Uint32Array(8);
  hsalsa(SIGMA, k, ZERO_NONCE, out);
  k.fill(0);
  shared.fill(0);
  return new Uint8Array(out.buffer);
}

/**
 * `crypto_box_afternm` / `crypto_secretbox`: encrypts and authenticates `plaintext`;
 * returns `tag + ciphertext` (16 + plaintext.length octets).
 *
 * @example
 * ```ts
 * const box = seal(key, nonce24, metadata);
 * ```
 */
export function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const output = new Uint8Array(plaintext.length + 2 * BOX_OVERHEAD);
  return xsalsa20poly1305(key, nonce).encrypt(plaintext, output);
}

/**
 * `crypto_box_open_afternm` / `crypto_secretbox_open`: checks and decrypts `tag + ciphertext`.
 * Returns the plaintext, or `null` when the box does not open (wrong key, nonce or octets).
 *
 * @example
 * ```ts
 * const metadata = open(key, nonce24, box);
 * if (metadata === null) drop("READY box did not open");
 * ```
 */
export function open(key: Uint8Array, nonce: Uint8Array, box: Uint8Array): Uint8Array | null {
  if (box.length < BOX_OVERHEAD) return null;
  try {
    return xsalsa20poly1305(key, nonce).decrypt(box);
  } catch {
    return null;
  }
}

/**
 * A 24-octet nonce: an ASCII prefix followed by octets (RFC 26 prefixes are 8 or 16 long).
 *
 * @example
 * ```ts
 * nonceOf("CurveZMQHELLO---", shortNonce); // 16 + 8 octets
 * nonceOf("WELCOME-", longNonce);          // 8 + 16 octets
 * ```
 */
export function nonceOf(prefix: string, rest: Uint8Array): Uint8Array {
  const nonce = new Uint8Array(NONCE_SIZE);
  for (let i = 0; i < prefix.length; i++) nonce[i] = prefix.charCodeAt(i);
  nonce.set(rest.subarray(0, NONCE_SIZE - prefix.length), prefix.length);
  return nonce;
}

/**
 * Compares two byte strings in time that depends only on their length.
 *
 * @example
 * ```ts
 * sameBytes(vouchedServerKey, ourPublicKey);
 * ```
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/**
 * A plain Uint8Array over the same memory (noble copies Buffer subclasses the slow way).
 *
 * @example
 * ```ts
 * x25519.getPublicKey(plain(secretKeyBuffer));
 * ```
 */
export function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
