/**
 * The CURVE server's cookies (RFC 26): after HELLO the server puts the client's transient
 * public key C' and its own transient secret key s' in a box only it can open, hands that
 * cookie to the client in WELCOME, and forgets both. At INITIATE the client sends the cookie
 * back and the server recovers C' and s' from it, so a connection costs no server state
 * between WELCOME and INITIATE.
 *
 * One jar serves every connection of a socket. Its key is replaced every `rotateMs`; the
 * previous key still opens cookies for one more period (so a handshake that crosses a
 * rotation completes), older cookies no longer open. A cookie opens once: a replayed
 * INITIATE is refused.
 *
 * Cookie layout: `cookie-nonce (16) + box(C' + s') (80)`, box nonce `"COOKIE--" + cookie-nonce`.
 * Our cookie nonce is a per-key counter (8, so nonces never repeat under one key) followed by
 * the client's HELLO short nonce (8), which INITIATE's nonce must then exceed.
 */
import { BOX_OVERHEAD, KEY_SIZE, nonceOf, open, randomBytes, seal } from "./curve-box.ts";

/** Octets in a cookie. */
export const COOKIE_SIZE = 16 + BOX_OVERHEAD + 2 * KEY_SIZE;

/** What a cookie carries. */
export interface CookieContents {
  /** The client's transient public key C'. */
  readonly clientTransient: Uint8Array;
  /** The server's transient secret key s'. */
  readonly serverTransientSecret: Uint8Array;
  /** The short nonce of the client's HELLO (8 octets). */
  readonly helloNonce: Uint8Array;
}

interface CookieKey {
  readonly key: Uint8Array;
  readonly since: number;
  counter: number;
  /** Counters of cookies already opened under this key. */
  readonly used: Set<number>;
}

/**
 * Seals and opens cookies under a rotating key.
 *
 * @example
 * ```ts
 * const jar = new CookieJar();
 * const cookie = jar.seal(clientTransient, serverTransientSecret, helloNonce);
 * const contents = jar.open(cookie); // once; null when forged, expired or replayed
 * ```
 */
export class CookieJar {
  private current: CookieKey;
  private previous: CookieKey | null = null;

  /**
   * @param rotateMs how long a key makes new cookies (it opens them for twice as long)
   * @param now the clock, in milliseconds
   */
  constructor(
    private readonly rotateMs = 60_000,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.current = this.freshKey();
  }

  /** Makes the 96-octet cookie for one WELCOME. */
  seal(clientTransient: Uint8Array, serverTransientSecret: Uint8Array, helloNonce: Uint8Array): Uint8Array {
    this.rotate();
    const k = this.current;
    const cookieNonce = new Uint8Array(16);
    new DataView(cookieNonce.buffer).setFloat64(0, k.counter++);
    cookieNonce.set(helloNonce.subarray(0, 8), 8);
    const plaintext = new Uint8Array(2 * KEY_SIZE);
    plaintext.set(clientTransient, 0);
    plaintext.set(serverTransientSecret, KEY_SIZE);
    const box = seal(k.key, nonceOf("COOKIE--", cookieNonce), plaintext);
    plaintext.fill(0);
    const cookie = new Uint8Array(COOKIE_SIZE);
    cookie.set(cookieNonce, 0);
    cookie.set(box, 16);
    return cookie;
  }

  /** Opens a cookie from INITIATE; `null` when it is forged, expired, or was opened before. */
  open(cookie: Uint8Array): CookieContents | null {
    if (cookie.length !== COOKIE_SIZE) return null;
    this.rotate();
    const cookieNonce = cookie.subarray(0, 16);
    const nonce = nonceOf("COOKIE--", cookieNonce);
    for (const k of [this.current, this.previous]) {
      if (k === null) continue;
      const plaintext = open(k.key, nonce, cookie.subarray(16));
      if (plaintext === null) continue;
      const counter = new DataView(cookieNonce.buffer, cookieNonce.byteOffset, 8).getFloat64(0);
      if (k.used.has(counter)) return null;
      k.used.add(counter);
      return {
        clientTransient: plaintext.slice(0, KEY_SIZE),
        serverTransientSecret: plaintext.slice(KEY_SIZE, 2 * KEY_SIZE),
        helloNonce: cookieNonce.slice(8, 16),
      };
    }
    return null;
  }

  /** Replaces the key when it is older than `rotateMs`; drops keys older than two periods. */
  private rotate(): void {
    const age = this.now() - this.current.since;
    if (age < this.rotateMs) return;
    this.previous = age < 2 * this.rotateMs ? this.current : null;
    this.current = this.freshKey();
  }

  private freshKey(): CookieKey {
    return { key: randomBytes(KEY_SIZE), since: this.now(), counter: 0, used: new Set() };
  }
}
