/**
 * The ZMTP 3.x greeting (RFC 23 / RFC 37): the fixed 64 octets each peer sends first.
 *
 * ```
 * offset  0      signature  0xFF, 8 octets padding, 0x7F
 * offset 10      version    major (3), minor (1)
 * offset 12      mechanism  20 octets, "NULL" padded with zeros
 * offset 32      as-server  0 or 1
 * offset 33      filler     31 zero octets
 * ```
 */

/** Size of a complete greeting. */
export const GREETING_SIZE = 64;

/** Octets needed to decide whether the peer speaks ZMTP 3 at all (signature + major). */
export const GREETING_PREFIX_SIZE = 11;

/** The version this implementation speaks. */
export const ZMTP_MAJOR = 3;
export const ZMTP_MINOR = 1;

const MECHANISM_OFFSET = 12;
const MECHANISM_SIZE = 20;
const AS_SERVER_OFFSET = 32;

/** What a peer announced in its greeting. */
export interface PeerGreeting {
  readonly major: number;
  readonly minor: number;
  readonly mechanism: string;
  readonly asServer: boolean;
}

/** Result of checking (part of) a greeting: the parsed fields or why it was refused. */
export type GreetingResult = { ok: true; greeting: PeerGreeting } | { ok: false; reason: string };

/**
 * Builds our 64-octet greeting.
 *
 * @example
 * ```ts
 * socket.write(encodeGreeting("NULL")); // 0xFF 0*8 0x7F 3 1 "NULL" 0*16 0 0*31
 * ```
 */
export function encodeGreeting(mechanism = "NULL", asServer = false): Buffer {
  const b = Buffer.alloc(GREETING_SIZE);
  b[0] = 0xff;
  b[9] = 0x7f;
  b[10] = ZMTP_MAJOR;
  b[11] = ZMTP_MINOR;
  b.write(mechanism, MECHANISM_OFFSET, MECHANISM_SIZE, "latin1");
  b[AS_SERVER_OFFSET] = asServer ? 1 : 0;
  return b;
}

/**
 * Checks the first 11 octets (signature and major version) so a ZMTP 1.0/2.0 peer, or
 * something that is not ZMTP, is refused without waiting for 64 octets it will never send.
 * Returns `null` when the prefix is acceptable.
 */
export function checkGreetingPrefix(prefix: Uint8Array): string | null {
  if (prefix[0] !== 0xff || prefix[9] !== 0x7f) {
    return `Expected a ZMTP signature (0xFF, 8 octets, 0x7F), got 0x${hex(prefix[0])} .. 0x${hex(prefix[9])}`;
  }
  const major = prefix[10] ?? 0;
  if (major < ZMTP_MAJOR) return `Expected ZMTP major version 3 or higher, got ${major}`;
  return null;
}

/**
 * Parses a complete greeting and checks it against the mechanism we use.
 * ZMTP 3.0 peers (minor 0) and higher versions are accepted, as RFC 37 requires; we keep
 * speaking 3.1 framing, which is identical to 3.0 for NULL/REQ/REP/DEALER/ROUTER.
 */
export function parseGreeting(b: Uint8Array, expectedMechanism = "NULL"): GreetingResult {
  if (b.length < GREETING_SIZE) return { ok: false, reason: `Greeting must be 64 octets, got ${b.length}` };
  const prefixError = checkGreetingPrefix(b);
  if (prefixError !== null) return { ok: false, reason: prefixError };
  let end = MECHANISM_OFFSET;
  while (end < MECHANISM_OFFSET + MECHANISM_SIZE && b[end] !== 0) end++;
  const mechanism = Buffer.from(b.buffer, b.byteOffset + MECHANISM_OFFSET, end - MECHANISM_OFFSET).toString("latin1");
  for (let i = end; i < MECHANISM_OFFSET + MECHANISM_SIZE; i++) {
    if (b[i] !== 0) return { ok: false, reason: "Mechanism must be null padded" };
  }
  if (mechanism !== expectedMechanism) {
    return { ok: false, reason: `Expected security mechanism "${expectedMechanism}", got "${mechanism}"` };
  }
  const greeting: PeerGreeting = {
    major: b[10] ?? 0,
    minor: b[11] ?? 0,
    mechanism,
    asServer: b[AS_SERVER_OFFSET] === 1,
  };
  return { ok: true, greeting };
}

/** What {@link GreetingReader.push} found: not all there yet, a refusal, or the greeting and what followed it. */
export type GreetingProgress =
  | { readonly kind: "more" }
  | { readonly kind: "error"; readonly reason: string }
  | { readonly kind: "done"; readonly greeting: PeerGreeting; readonly rest: Buffer };

/**
 * Collects a peer's greeting from TCP chunks, refusing a non-ZMTP-3 peer after 11 octets.
 *
 * @example
 * ```ts
 * const reader = new GreetingReader("CURVE");
 * const got = reader.push(chunk); // { kind: "more" } until 64 octets are in
 * ```
 */
export class GreetingReader {
  private readonly buf = Buffer.alloc(GREETING_SIZE);
  private have = 0;

  constructor(private readonly mechanism: string) {}

  /** Feeds one chunk. After "done" or "error" the reader must not be fed again. */
  push(chunk: Buffer): GreetingProgress {
    const take = Math.min(GREETING_SIZE - this.have, chunk.length);
    chunk.copy(this.buf, this.have, 0, take);
    this.have += take;
    if (this.have >= GREETING_PREFIX_SIZE) {
      const prefixError = checkGreetingPrefix(this.buf);
      if (prefixError !== null) return { kind: "error", reason: prefixError };
    }
    if (this.have < GREETING_SIZE) return { kind: "more" };
    const result = parseGreeting(this.buf, this.mechanism);
    if (!result.ok) return { kind: "error", reason: result.reason };
    return { kind: "done", greeting: result.greeting, rest: chunk.subarray(take) };
  }
}

function hex(n: number | undefined): string {
  return (n ?? 0).toString(16).padStart(2, "0");
}
