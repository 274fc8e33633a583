/**
 * Checks at the edge, before routing, against what a web page can make a browser do:
 *
 * - DNS rebinding: a server bound to loopback answers only requests whose `Host` is localhost,
 *   127.0.0.1 or [::1] (or in `allowedHosts`); another name pointing at 127.0.0.1 gets 421.
 * - Cross-site requests: a request carrying an `Origin` that is not the server's own (the scheme and
 *   `Host` it was sent to) nor in `allowedOrigins` gets 403, so a page on another site cannot register
 *   and run code on a developer's local server. curl and the SDK send no Origin and pass.
 *
 * @example
 * const edge = new EdgeGuard({ loopback: true, allowedHosts: [], allowedOrigins: [] });
 * const refused = edge.check(req); // a Response (421 / 403), or undefined to go on
 */
import { errorReply } from "./replies.ts";

export interface EdgeOptions {
  /** Whether the server listens on a loopback address only (then Host is checked). */
  readonly loopback: boolean;
  /** Host names (without port) accepted besides the loopback ones; checked even on other binds when given. */
  readonly allowedHosts: readonly string[];
  /** Origins (scheme://host[:port]) accepted besides the server's own. */
  readonly allowedOrigins: readonly string[];
  /** Behind a proxy: the scheme comes from X-Forwarded-Proto. */
  readonly trustProxy?: boolean;
}

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

export class EdgeGuard {
  private readonly hosts: ReadonlySet<string>;
  private readonly origins: ReadonlySet<string>;

  constructor(private readonly o: EdgeOptions) {
    this.hosts = new Set(o.allowedHosts.map((h) => h.toLowerCase()));
    this.origins = new Set(o.allowedOrigins.map((x) => x.toLowerCase().replace(/\/$/, "")));
  }

  /** A refusal, or undefined when the request may go on. */
  check(req: Request): Response | undefined {
    const host = (req.headers.get("host") ?? "").toLowerCase();
    const name = hostName(host);
    if ((this.o.loopback || this.hosts.size > 0) && !this.hosts.has(name) && !(this.o.loopback && LOOPBACK_NAMES.has(name))) {
      return errorReply(421, "MisdirectedRequest", `This server answers Host localhost, 127.0.0.1 or [::1]${this.hosts.size > 0 ? ` or ${[...this.hosts].join(", ")}` : ""}, got "${host.slice(0, 100)}" (a DNS-rebinding guard; allow names with --allowed-hosts)`);
    }
    const origin = req.headers.get("origin");
    if (origin === null) return undefined;
    const own = `${this.scheme(req)}://${host}`;
    const o = origin.toLowerCase();
    if (o === own || this.origins.has(o)) return undefined;
    return errorReply(403, "ForbiddenOrigin", `Requests from the web origin "${origin.slice(0, 100)}" are refused; this server accepts its own origin ${own}${this.origins.size > 0 ? ` and ${[...this.origins].join(", ")}` : ""} (allow more with --allowed-origins)`);
  }

  /** The scheme the client used: the request's (`url`: its URL, when parsed already), or X-Forwarded-Proto behind a trusted proxy. */
  scheme(req: Request, url?: URL): string {
    const forwarded = this.o.trustProxy ? req.headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase() : undefined;
    if (forwarded === "https" || forwarded === "http") return forwarded;
    return (url ?? new URL(req.url)).protocol.replace(":", "");
  }
}

/** The name part of a Host header: "example.com:8000" -> "example.com", "[::1]:8000" -> "[::1]". */
function hostName(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.lastIndexOf(":");
  return colon < 0 ? host : host.slice(0, colon);
}

/** Whether an address to listen on is loopback only. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
