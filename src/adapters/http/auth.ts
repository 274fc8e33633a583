/**
 * API keys in front of the REST handler. With no keys configured the handler is returned as it is
 * (everything open). With keys:
 *
 * - `/healthz` and `/openapi.json` stay open;
 * - every other route takes `Authorization: Bearer <key>` or `X-API-Key: <key>`;
 * - `/metrics` and `/dashboard` also take `?key=<key>` (scrapers, bookmarks) and the dashboard's
 *   session cookie, set by `POST /dashboard/login` (a form field `key`) or by a valid `?key=` on
 *   `/dashboard`. The cookie holds an opaque random token, never the key (see sessions.ts);
 * - no key: 401 with `WWW-Authenticate: Bearer`; a key that is not one of ours: 403. Both use the
 *   one error shape (the dashboard answers with its login form instead). Messages never echo a key.
 *
 * Keys are compared in constant time: both sides hashed with SHA-256, digests compared with
 * `timingSafeEqual`, every configured key checked whatever the outcome.
 *
 * @example
 * const fetch = withApiKeys(createHandler(service, options), { keys: ["a-key-of-16-chars-or-more"] });
 */
import { timingSafeEqual } from "node:crypto";
import { htmlReply, loginPage } from "./dashboard-page.ts";
import { errorReply } from "./replies.ts";
import { readCookie, SESSION_COOKIE, Sessions } from "./sessions.ts";

type Handler = (req: Request) => Promise<Response>;

export interface ApiKeyOptions {
  /** The accepted keys; none means the API is open. */
  readonly keys: readonly string[];
  /** How long a dashboard session lasts, in ms (default 12 h). */
  readonly sessionTtlMs?: number;
  /** Time source for session expiry (default Date.now). */
  readonly now?: () => number;
}

/** Routes that never take a key. */
const OPEN_PATHS: ReadonlySet<string> = new Set(["/healthz", "/openapi.json"]);
/** Routes that also take `?key=` and the session cookie. */
const BROWSER_PATHS: ReadonlySet<string> = new Set(["/metrics", "/dashboard"]);
const LOGIN_PATH = "/dashboard/login";
const MAX_LOGIN_BODY = 4096;
const DEFAULT_SESSION_TTL_MS = 12 * 3600 * 1000;

/**
 * A set of keys checked in constant time.
 *
 * @example
 * new ApiKeys(["0123456789abcdef"]).matches("0123456789abcdef"); // true
 */
export class ApiKeys {
  private readonly digests: readonly Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(sha256);
  }

  /** Whether `candidate` is one of the keys; takes the same time whichever key (if any) it matches. */
  matches(candidate: string): boolean {
    const d = sha256(candidate);
    let found = false;
    for (const k of this.digests) found = timingSafeEqual(d, k) || found;
    return found;
  }
}

/** Wraps `handler` so that it answers only requests carrying one of `o.keys` (see the module doc). */
export function withApiKeys(handler: Handler, o: ApiKeyOptions): Handler {
  if (o.keys.length === 0) return handler;
  const keys = new ApiKeys(o.keys);
  const ttlMs = o.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const sessions = new Sessions({ ttlMs, ...(o.now !== undefined && { now: o.now }) });

  function sessionCookie(req: Request, token: string): string {
    const secure = new URL(req.url).protocol === "https:" ? "; Secure" : "";
    return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(ttlMs / 1000)}${secure}`;
  }

  async function login(req: Request): Promise<Response> {
    if (req.method !== "POST") return errorReply(405, "MethodNotAllowed", `${LOGIN_PATH} takes POST, got ${req.method}`, undefined, { allow: "POST" });
    const declared = Number(req.headers.get("content-length") ?? "0");
    const text = declared > MAX_LOGIN_BODY ? "" : await req.text();
    if (declared > MAX_LOGIN_BODY || text.length > MAX_LOGIN_BODY) {
      return errorReply(413, "PayloadTooLarge", `A sign-in form must be at most ${MAX_LOGIN_BODY} bytes, got ${Math.max(declared, text.length)}`);
    }
    const key = new URLSearchParams(text).get("key") ?? "";
    if (key === "") return htmlReply(loginPage("Enter an API key."), 401, { "www-authenticate": "Bearer" });
    if (!keys.matches(key)) return htmlReply(loginPage("That key is not valid for this server."), 403);
    return new Response(null, { status: 303, headers: { location: "/dashboard", "set-cookie": sessionCookie(req, sessions.create()), "cache-control": "no-store" } });
  }

  return async (req) => {
    const url = new URL(req.url);
    const path = url.pathname;
    if (OPEN_PATHS.has(path)) return handler(req);
    if (path === LOGIN_PATH) return login(req);
    const browser = BROWSER_PATHS.has(path);
    const sent = presentedKeys(req, url, browser);
    const valid = sent.some((k) => keys.matches(k));
    if (valid || (browser && sessionValid(req, sessions))) {
      const res = await handler(req);
      // A valid ?key= on the dashboard also signs the browser in, so refreshes and forms need no key in the URL.
      if (path === "/dashboard" && valid && url.searchParams.has("key") && res.ok) res.headers.append("set-cookie", sessionCookie(req, sessions.create()));
      return res;
    }
    const unauthorized = sent.length === 0;
    if (path === "/dashboard") {
      return unauthorized
        ? htmlReply(loginPage("Sign in with an API key."), 401, { "www-authenticate": "Bearer" })
        : htmlReply(loginPage("That key is not valid for this server."), 403);
    }
    const ways = browser ? "Authorization: Bearer <key>, X-API-Key: <key> or ?key=<key>" : "Authorization: Bearer <key> or X-API-Key: <key>";
    return unauthorized
      ? errorReply(401, "Unauthorized", `This server requires an API key: send ${ways}`, undefined, { "www-authenticate": "Bearer" })
      : errorReply(403, "Forbidden", "The API key sent is not valid for this server");
  };
}

/** Every key the request offers: the Bearer token, X-API-Key and, on browser routes, `?key=`. */
function presentedKeys(req: Request, url: URL, browser: boolean): string[] {
  const sent: string[] = [];
  const authorization = req.headers.get("authorization");
  const bearer = authorization === null ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (bearer?.[1] !== undefined) sent.push(bearer[1]);
  const header = req.headers.get("x-api-key")?.trim();
  if (header !== undefined && header !== "") sent.push(header);
  const query = browser ? url.searchParams.get("key") : null;
  if (query !== null && query !== "") sent.push(query);
  return sent;
}

function sessionValid(req: Request, sessions: Sessions): boolean {
  const token = readCookie(req.headers.get("cookie"), SESSION_COOKIE);
  return token !== undefined && token !== "" && sessions.valid(token);
}

function sha256(text: string): Buffer {
  return Bun.CryptoHasher.hash("sha256", text);
}
