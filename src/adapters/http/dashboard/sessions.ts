/**
 * Dashboard sessions: opaque random tokens kept in this process's memory with an expiry and the tenant
 * that signed in, so the session cookie never holds an API key. Tokens are stored by their SHA-256
 * digest (a lookup reveals nothing useful about a guessed token). A fixed time to live means insertion
 * order is expiry order, so expired sessions are dropped from the front of the map; past `max` the
 * oldest goes first.
 *
 * @example
 * const sessions = new Sessions({ ttlMs: 12 * 3600_000, clock });
 * const token = sessions.create("alice"); // goes into the Set-Cookie header
 * sessions.tenantOf(token);               // "alice" until it expires
 */
import type { Clock } from "../../../domain/ports.ts";

/** Name of the dashboard's session cookie. */
export const SESSION_COOKIE = "faas_session";

export interface SessionOptions {
  /** How long a session lasts after sign-in, in ms. */
  readonly ttlMs: number;
  /** Most sessions kept at once; the oldest is dropped past it (default 10,000). */
  readonly max?: number;
  readonly clock: Clock;
}

export class Sessions {
  private readonly expiries = new Map<string, { readonly tenant: string; readonly at: number }>();
  private readonly max: number;

  constructor(private readonly o: SessionOptions) {
    this.max = o.max ?? 10_000;
  }

  /** Starts a session of `tenant` and returns its token (32 random bytes, base64url). */
  create(tenant: string): string {
    this.prune();
    if (this.expiries.size >= this.max) {
      const oldest = this.expiries.keys().next().value;
      if (oldest !== undefined) this.expiries.delete(oldest);
    }
    const token = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    this.expiries.set(digest(token), { tenant, at: this.o.clock.now() + this.o.ttlMs });
    return token;
  }

  /** The tenant of the live session `token` names, or undefined. */
  tenantOf(token: string): string | undefined {
    const key = digest(token);
    const session = this.expiries.get(key);
    if (session === undefined) return undefined;
    if (session.at > this.o.clock.now()) return session.tenant;
    this.expiries.delete(key);
    return undefined;
  }

  /** Ends a session (sign-out); unknown tokens are ignored. */
  end(token: string): void {
    this.expiries.delete(digest(token));
  }

  /** Sessions currently held (expired ones may linger until the next `create`). */
  get size(): number {
    return this.expiries.size;
  }

  private prune(): void {
    const now = this.o.clock.now();
    for (const [key, session] of this.expiries) {
      if (session.at > now) break;
      this.expiries.delete(key);
    }
  }
}

/** The value of cookie `name` in a Cookie header, if present. */
export function readCookie(header: string | null, name: string): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function digest(token: string): string {
  return Bun.CryptoHasher.hash("sha256", token, "hex");
}
