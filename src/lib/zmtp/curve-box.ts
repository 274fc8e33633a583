/**
 * NaCl `crypto_box` and `crypto_secretbox` as CurveZMQ (RFC 26) uses them: libsodium's own
 * functions (X25519, `crypto_box_beforenm`, `crypto_box_easy_afternm` and its open), through
 * sodium.ts; boxes larger than {@link SODIUM_MAX_PLAINTEXT} through @noble/ciphers'
 * xsalsa20poly1305, which gives the same octets. Nothing cryptographic is implemented here;
 * this file only arranges bytes.
 *
 * `crypto_box(m, n, pk, sk)` = XSalsa20-Poly1305 keyed by `beforenm(pk, sk)`, where
 * `beforenm` = HSalsa20(X25519(sk, pk), 16 zero octets). Computing the key once per peer
 * ("afternm") leaves one XSalsa20-Poly1305 per box.
 *
 * A box is `tag (16) + ciphertext`, exactly the octets CurveZMQ puts on the wire.
 */
import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { boxBeforenm, boxOpenInto, boxSealInto, scalarmultBase, SODIUM_MAX_PLAINTEXT } from "./sodium.ts";

export { SODIUM_MAX_PLAINTEXT };

/** Octets in a CURVE public or secret key. */
export const KEY_SIZE = 32;
/** Octets Poly1305 adds to every box. */
export const BOX_OVERHEAD = 16;
/** Octets in an XSalsa20 nonce. */
export const NONCE_SIZE = 24;

const EMPTY = new Uint8Array(0);

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
  return scalarmultBase(secretKey);
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
  return boxBeforenm(theirPublic, ourSecret);
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
  const box = new Uint8Array(BOX_OVERHEAD + plaintext.length);
  sealInto(key, nonce, EMPTY, plaintext, box);
  return box;
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
  const plaintext = new Uint8Array(box.length - BOX_OVERHEAD);
  return openInto(key, nonce, box, plaintext) ? plaintext : null;
}

/**
 * Seals `head + body` (their concatenation) into `box`, which must be
 * `16 + head.length + body.length` octets: the tag, then the ciphertext. CURVE MESSAGEs are
 * sealed this way (head = the one octet of inner flags), straight into the write buffer.
 *
 * @example
 * ```ts
 * sealInto(key, nonce24, Uint8Array.of(flags), frame, frameBody.subarray(16));
 * ```
 */
export function sealInto(key: Uint8Array, nonce: Uint8Array, head: Uint8Array, body: Uint8Array, box: Uint8Array): void {
  const size = head.length + body.length;
  if (size <= SODIUM_MAX_PLAINTEXT) return boxSealInto(key, nonce, head, body, box);
  if (box.length !== BOX_OVERHEAD + size) throw new RangeError(`A box of ${size} octets takes ${BOX_OVERHEAD + size} octets, got room for ${box.length}`);
  const plaintext = new Uint8Array(size);
  plaintext.set(head, 0);
  plaintext.set(body, head.length);
  box.set(xsalsa20poly1305(plain(key), plain(nonce)).encrypt(plaintext));
  plaintext.fill(0);
}

/**
 * Opens `box` (tag + ciphertext) into `plaintext`, which must be `box.length - 16` octets.
 * Returns false, with `plaintext` wiped, when the box does not open.
 *
 * @example
 * ```ts
 * const plaintext = new Uint8Array(box.length - 16);
 * if (!openInto(key, nonce24, box, plaintext)) drop("box did not open");
 * ```
 */
export function openInto(key: Uint8Array, nonce: Uint8Array, box: Uint8Array, plaintext: Uint8Array): boolean {
  const size = box.length - BOX_OVERHEAD;
  if (size < 0) return false;
  if (size <= SODIUM_MAX_PLAINTEXT) return boxOpenInto(key, nonce, box, plaintext);
  if (plaintext.length !== size) throw new RangeError(`A box of ${box.length} octets opens into ${size} octets, got room for ${plaintext.length}`);
  try {
    plaintext.set(xsalsa20poly1305(plain(key), plain(nonce)).decrypt(plain(box)));
    return true;
  } catch {
    plaintext.fill(0);
    return false;
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
 * xsalsa20poly1305(plain(keyBuffer), nonce);
 * ```
 */
export function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
