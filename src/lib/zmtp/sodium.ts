/**
 * libsodium, the C library libzmq's CURVE uses, compiled to WebAssembly by its author
 * (`libsodium-wrappers`, pinned). It is loaded once, when this module is first imported (a
 * top-level await of about 15 ms), so everything else calls it synchronously.
 *
 * The wrapper's own functions copy every argument into a fresh allocation of the WebAssembly
 * heap and free it without wiping it. Here the C functions are called directly on one scratch
 * region of that heap, shared by every connection of the thread (JavaScript runs one call at
 * a time), and every call wipes the octets it put there (keys, plaintext) before it returns.
 * Nothing cryptographic is implemented here; this file only moves bytes in and out.
 *
 * Layout of the scratch region: `key (32) | nonce (24) | 8 free | box`, where a box is
 * `tag (16) | ciphertext` and its plaintext sits where its ciphertext does (libsodium's `_easy`
 * functions work in place), so one region of {@link SODIUM_MAX_PLAINTEXT} + 16 octets serves
 * every call.
 */
import sodium from "libsodium-wrappers";

/** The C functions of libsodium.js this file calls (pointers are offsets in `HEAPU8`). */
interface LibsodiumModule {
  /** The heap; replaced by a new view when `_malloc` grows the memory. */
  readonly HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
  _crypto_scalarmult_base(q: number, n: number): number;
  _crypto_box_beforenm(k: number, pk: number, sk: number): number;
  /** The 64-bit length is passed as two 32-bit halves (low, high). */
  _crypto_box_easy_afternm(c: number, m: number, mlenLow: number, mlenHigh: number, n: number, k: number): number;
  _crypto_box_open_easy_afternm(m: number, c: number, clenLow: number, clenHigh: number, n: number, k: number): number;
}

await sodium.ready;
const lib = (sodium as unknown as { libsodium: LibsodiumModule }).libsodium;

/**
 * Largest plaintext sealed or opened through libsodium here. The WebAssembly heap never
 * shrinks, so larger boxes are left to the caller (curve-box.ts seals them with @noble/ciphers).
 */
export const SODIUM_MAX_PLAINTEXT = 1024 * 1024;

const TAG = 16;
const KEY_AT = 0;
const NONCE_AT = 32;
const BOX_AT = 64;
const FIRST_CAPACITY = 64 * 1024;

let base = 0;
/** Octets of box room at `base + BOX_AT`. */
let capacity = 0;

/** The heap, with room for a box of `boxSize` octets; returns the current view of the heap. */
function scratch(boxSize: number): Uint8Array {
  if (boxSize > capacity) {
    let size = Math.max(capacity * 2, FIRST_CAPACITY);
    while (size < boxSize) size *= 2;
    size = Math.min(size, SODIUM_MAX_PLAINTEXT + TAG);
    const next = lib._malloc(BOX_AT + size);
    if (next === 0) throw new RangeError(`libsodium could not allocate ${BOX_AT + size} octets`);
    if (base !== 0) lib._free(base);
    base = next;
    capacity = size;
  }
  return lib.HEAPU8;
}

function checkSize(plaintextSize: number): void {
  if (plaintextSize > SODIUM_MAX_PLAINTEXT) {
    throw new RangeError(`libsodium boxes here hold at most ${SODIUM_MAX_PLAINTEXT} octets, got ${plaintextSize}`);
  }
}

/**
 * `crypto_scalarmult_base`: the X25519 public key of a secret key.
 *
 * @example
 * ```ts
 * const publicKey = scalarmultBase(secretKey);
 * ```
 */
export function scalarmultBase(secretKey: Uint8Array): Uint8Array {
  const heap = scratch(64);
  const sk = base + KEY_AT;
  const q = base + BOX_AT;
  heap.set(secretKey.subarray(0, 32), sk);
  lib._crypto_scalarmult_base(q, sk);
  const publicKey = heap.slice(q, q + 32);
  heap.fill(0, sk, sk + 32);
  heap.fill(0, q, q + 32);
  return publicKey;
}

/**
 * `crypto_box_beforenm`: the XSalsa20-Poly1305 key of `theirPublic`'s owner and us
 * (HSalsa20 of the X25519 shared secret). `null` when their key is of low order (libsodium
 * refuses an all-zero shared secret).
 *
 * @example
 * ```ts
 * const key = boxBeforenm(serverPublic, clientSecret);
 * ```
 */
export function boxBeforenm(theirPublic: Uint8Array, ourSecret: Uint8Array): Uint8Array | null {
  const heap = scratch(64);
  const k = base + KEY_AT;
  const pk = base + BOX_AT;
  const sk = pk + 32;
  heap.set(theirPublic.subarray(0, 32), pk);
  heap.set(ourSecret.subarray(0, 32), sk);
  const status = lib._crypto_box_beforenm(k, pk, sk);
  const key = status === 0 ? heap.slice(k, k + 32) : null;
  heap.fill(0, k, k + 32);
  heap.fill(0, pk, pk + 64);
  return key;
}

/**
 * `crypto_box_easy_afternm` of `head + body` (their concatenation) into `box`, which must be
 * `16 + head.length + body.length` octets: the tag, then the ciphertext.
 *
 * @example
 * ```ts
 * const box = new Uint8Array(16 + 1 + frame.length);
 * boxSealInto(key, nonce24, Uint8Array.of(flags), frame, box);
 * ```
 */
export function boxSealInto(key: Uint8Array, nonce: Uint8Array, head: Uint8Array, body: Uint8Array, box: Uint8Array): void {
  const size = head.length + body.length;
  checkSize(size);
  if (box.length !== TAG + size) throw new RangeError(`A box of ${size} octets takes ${TAG + size} octets, got room for ${box.length}`);
  const heap = scratch(TAG + size);
  const k = base + KEY_AT;
  const n = base + NONCE_AT;
  const c = base + BOX_AT;
  const m = c + TAG;
  heap.set(key.subarray(0, 32), k);
  heap.set(nonce.subarray(0, 24), n);
  heap.set(head, m);
  heap.set(body, m + head.length);
  lib._crypto_box_easy_afternm(c, m, size, 0, n, k);
  box.set(heap.subarray(c, c + TAG + size));
  heap.fill(0, k, k + 32);
  heap.fill(0, c, c + TAG + size);
}

/**
 * `crypto_box_open_easy_afternm` of `box` (tag + ciphertext) into `plaintext`, which must be
 * `box.length - 16` octets. Returns false, with `plaintext` wiped, when the box does not open
 * (wrong key or nonce, or altered octets).
 *
 * @example
 * ```ts
 * const plaintext = new Uint8Array(box.length - 16);
 * if (!boxOpenInto(key, nonce24, box, plaintext)) drop("box did not open");
 * ```
 */
export function boxOpenInto(key: Uint8Array, nonce: Uint8Array, box: Uint8Array, plaintext: Uint8Array): boolean {
  const size = box.length - TAG;
  if (size < 0) return false;
  checkSize(size);
  if (plaintext.length !== size) throw new RangeError(`A box of ${box.length} octets opens into ${size} octets, got room for ${plaintext.length}`);
  const heap = scratch(box.length);
  const k = base + KEY_AT;
  const n = base + NONCE_AT;
  const c = base + BOX_AT;
  const m = c + TAG;
  heap.set(key.subarray(0, 32), k);
  heap.set(nonce.subarray(0, 24), n);
  heap.set(box, c);
  const opened = lib._crypto_box_open_easy_afternm(m, c, box.length, 0, n, k) === 0;
  if (opened) plaintext.set(heap.subarray(m, m + size));
  else plaintext.fill(0);
  heap.fill(0, k, k + 32);
  heap.fill(0, c, c + box.length);
  return opened;
}

/**
 * The WebAssembly heap as it is now, for tests that check what a call left there.
 *
 * @example
 * ```ts
 * expect(indexOf(sodiumHeap(), secretKey)).toBe(-1);
 * ```
 */
export function sodiumHeap(): Uint8Array {
  return lib.HEAPU8;
}
