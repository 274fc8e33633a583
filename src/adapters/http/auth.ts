/**
 * Who is calling, from the API key a request carries (or the dashboard session it holds). With no
 * keys configured everything is open and every caller is the tenant `default`. With keys, a route's
 * access (route.ts) says what it takes:
 *
 * - `open`: nothing;
 * - `key`: `Authorization: Bearer <key>` or `X-API-Key: <key>`;
 * - `browser`: those, `?key=<key>`, or the dashboard's session cookie (an opaque token, never the key).
 *
 * No key: 401 with `WWW-Authenticate: Bearer`; a key that is not one of ours: 403. Both use the one
 * error shape (or the route's own page, e.g. the dashboard's sign-in form). Messages never echo a key.
 * Keys are compared in constant time: both sides hashed with SHA-256, digests compared with
 * `timingSafeEqual`, every configured key checked whatever the outcome.
 *
 * @example
 * const auth = new Authenticator({ keys: new ApiKeys([{ tenant: "default", key: "a-key-of-16-chars-or-more" }]), sessions });
 * const who = auth.identify(req, url, "key"); // { caller } or { denied: 401 | 403 }
 */
import { timingSafeEqual } from "node:crypto";
import { readCookie, SESSION_COOKIE, type Sessions } from "./dashboard/sessions.ts";
import { errorReply } from "./replies.ts";
import type { Access, Caller } from "./route.ts";
import { DEFAULT_TENANT } from "../../domain/tenant.ts";

/** One accepted API key and the tenant it belongs to. */
export interface ApiKeyEntry {
  readonly tenant: string;
  readonly key: string;
}


/**
 * A set of keys checked in constant time.
 *
 * @example
 * new ApiKeys([{ tenant: "alice", key: "0123456789abcdef" }]).tenantOf("0123456789abcdef"); // "alice"
 */
export class ApiKeys {
  private readonly digests: readonly { readonly tenant: string; readonly digest: Buffer }[];

  constructor(entries: readonly ApiKeyEntry[]) {
    this.digests = entries.map((e) => ({ tenant: e.tenant, digest: sha256(e.key) }));
  }

  get size(): number {
    return this.digests.length;
  }

  /** The tenant of `candidate`, or undefined; takes the same time whichever key (if any) it matches. */
  tenantOf(candidate: string): string | undefined {
    const d = sha256(candidate);
    let found: string | undefined;
    for (const k of this.digests) if (timingSafeEqual(d, k.digest) && found === undefined) found = k.tenant;
    return found;
  }

  /** Whether `candidate` is one of the keys. */
  matches(candidate: string): boolean {
    return this.tenantOf(candidate) !== undefined;
  }
}

export type Identified = { readonly caller: Caller; readonly viaQuery: boolean } | { readonly denied: 401 | 403 };

export class Authenticator {
  constructor(private readonly o: { readonly keys: ApiKeys; readonly sessions: Sessions }) {}

  /** Whether keys are on at all. */
  get enabled(): boolean {
    return this.o.keys.size > 0;
  }

  identify(req: Request, url: URL, access: Access): Identified {
    if (!this.enabled || access === "open") return { caller: { tenant: DEFAULT_TENANT }, viaQuery: false };
    const browser = access === "browser";
    const sent = presentedKeys(req, url, browser);
    for (const k of sent) {
      const tenant = this.o.keys.tenantOf(k.key);
      if (tenant !== undefined) return { caller: { tenant }, viaQuery: k.viaQuery };
    }
    if (sent.length > 0) return { denied: 403 };
    if (browser) {
      const token = readCookie(req.headers.get("cookie"), SESSION_COOKIE);
      const tenant = token === undefined || token === "" ? undefined : this.o.sessions.tenantOf(token);
      if (tenant !== undefined) return { caller: { tenant }, viaQuery: false };
    }
    return { denied: 401 };
  }
}

/** The JSON 401/403 of API routes. */
export function deniedReply(status: 401 | 403, access: Access): Response {
  if (status === 403) return errorReply(403, "Forbidden", "The API key sent is not valid for this server");
  const ways = access === "browser" ? "Authorization: Bearer <key>, X-API-Key: <key> or ?key=<key>" : "Authorization: Bearer <key> or X-API-Key: <key>";
  return errorReply(401, "Unauthorized", `This server requires an API key: send ${ways}`, undefined, { "www-authenticate": "Bearer" });
}

/** Every key the request offers: the Bearer token, X-API-Key and, on browser routes, `?key=`. */
function presentedKeys(req: Request, url: URL, browser: boolean): { key: string; viaQuery: boolean }[] {
  const sent: { key: string; viaQuery: boolean }[] = [];
  const authorization = req.headers.get("authorization");
  const bearer = authorization === null ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (bearer?.[1] !== undefined) sent.push({ key: bearer[1], viaQuery: false });
  const header = req.headers.get("x-api-key")?.trim();
  if (header !== undefined && header !== "") sent.push({ key: header, viaQuery: false });
  const query = browser ? url.searchParams.get("key") : null;
  if (query !== null && query !== "") sent.push({ key: query, viaQuery: true });
  return sent;
}

function sha256(text: string): Buffer {
  return Bun.CryptoHasher.hash("sha256", text);
}
