/**
 * Shared pieces of the CURVE handshake (RFC 25 / RFC 26): command layouts, nonce prefixes,
 * short-nonce encoding and reading command names.
 *
 * ```
 * HELLO    %x05 "HELLO" %x01 %x00  padding (72 zeros)  C' (32)  short-nonce  box[64 zeros](C'->S) (80)
 * WELCOME  %x07 "WELCOME"  long-nonce (16)  box[S' (32) + cookie (96)](S->C') (144)
 * INITIATE %x08 "INITIATE"  cookie (96)  short-nonce  box[C (32) + vouch (96) + metadata](C'->S')
 *          vouch = long-nonce (16) + box[C' (32) + S (32)](C->S') (80)
 * READY    %x05 "READY"  short-nonce  box[metadata](S'->C')
 * ERROR    %x05 "ERROR"  reason-size reason          (plain; a server refusing a client)
 * ```
 */
import { BOX_OVERHEAD, KEY_SIZE } from "./curve-box.ts";
import { COOKIE_SIZE } from "./curve-cookie.ts";

/** A short nonce as two 32-bit halves (exact up to 2^64 - 1). */
export interface ShortNonce {
  hi: number;
  lo: number;
}

/** Mechanism name in the greeting. */
export const CURVE = "CURVE";

export const HELLO_SIZE = 200;
export const HELLO_PADDING = 72;
/** The HELLO signature box holds 64 zero octets. */
export const HELLO_SIGNATURE_SIZE = 64;
export const WELCOME_SIZE = 168;
/** INITIATE without metadata. */
export const INITIATE_MIN_SIZE = 9 + COOKIE_SIZE + 8 + BOX_OVERHEAD + KEY_SIZE + 16 + BOX_OVERHEAD + 2 * KEY_SIZE;
/** READY without metadata. */
export const READY_MIN_SIZE = 6 + 8 + BOX_OVERHEAD;
/** Octets of the vouch: long nonce and box[C' + S]. */
export const VOUCH_SIZE = 16 + BOX_OVERHEAD + 2 * KEY_SIZE;

export const HELLO_PREFIX = "CurveZMQHELLO---";
export const WELCOME_PREFIX = "WELCOME-";
export const INITIATE_PREFIX = "CurveZMQINITIATE";
export const VOUCH_PREFIX = "VOUCH---";
export const READY_PREFIX = "CurveZMQREADY---";

/** libzmq's ZAP status for "denied", sent in ERROR to a client that is not allowed. */
export const DENIED_STATUS = "400";

/**
 * A short nonce (8 octets, network order) for counter value `n`.
 *
 * @example
 * ```ts
 * shortNonce(1); // 00 00 00 00 00 00 00 01
 * ```
 */
export function shortNonce(n: number): Uint8Array {
  const b = new Uint8Array(8);
  const view = new DataView(b.buffer);
  view.setUint32(0, Math.floor(n / 0x1_0000_0000));
  view.setUint32(4, n >>> 0);
  return b;
}

/**
 * Reads a short nonce at `offset` as two exact 32-bit halves.
 *
 * @example
 * ```ts
 * readShortNonce(ready, 6); // { hi: 0, lo: 1 }
 * ```
 */
export function readShortNonce(bytes: Uint8Array, offset: number): ShortNonce {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 8);
  return { hi: view.getUint32(0), lo: view.getUint32(4) };
}

/**
 * Whether short nonce `a` is strictly greater than `b`.
 *
 * @example
 * ```ts
 * nonceAfter({ hi: 0, lo: 2 }, { hi: 0, lo: 1 }); // true
 * ```
 */
export function nonceAfter(a: ShortNonce, b: ShortNonce): boolean {
  return a.hi > b.hi || (a.hi === b.hi && a.lo > b.lo);
}

/**
 * Whether a command body starts with the given name (`name-size name`).
 *
 * @example
 * ```ts
 * isCommand(body, "WELCOME");
 * ```
 */
export function isCommand(body: Uint8Array, name: string): boolean {
  if (body.length < 1 + name.length || body[0] !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (body[1 + i] !== name.charCodeAt(i)) return false;
  return true;
}

/**
 * The name of the command in a body, for error messages: the name if it looks like one,
 * else the first octets in hex.
 *
 * @example
 * ```ts
 * commandName(Buffer.from("\x05HELLO...")); // "HELLO"
 * ```
 */
export function commandName(body: Uint8Array): string {
  const n = body[0] ?? 0;
  if (n > 0 && n <= 16 && body.length > n) {
    const name = String.fromCharCode(...body.subarray(1, 1 + n));
    if (/^[A-Z]+$/.test(name)) return name;
  }
  return `octets 0x${Buffer.from(body.subarray(0, 8)).toString("hex")}`;
}

/**
 * Concatenates byte strings (handshake commands are built once per connection).
 *
 * @example
 * ```ts
 * concat(name, cookie, nonce, box);
 * ```
 */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A command name as its octets (`name-size name`).
 *
 * @example
 * ```ts
 * commandHead("HELLO"); // 05 48 45 4c 4c 4f
 * ```
 */
export function commandHead(name: string): Uint8Array {
  const head = new Uint8Array(1 + name.length);
  head[0] = name.length;
  for (let i = 0; i < name.length; i++) head[1 + i] = name.charCodeAt(i);
  return head;
}
