/**
 * The SDK's own HTTP/1.1 client for `http://` servers under Bun, called as `fetch` is. Bun's `fetch`
 * hands every request to its HTTP thread and the reply back, two wake-ups of a sleeping thread per
 * call: one at a time against a local server that was about 70 us of latency and twice the caller's
 * CPU per call (2026-11-28, a 2-core machine). This client writes the request on a kept-alive socket
 * from the caller's own thread and reads the reply there.
 *
 * - One request at a time per connection (no pipelining); a request takes an idle connection to its
 *   server or opens one, at most `maxSockets` at once per server (more wait their turn, in order). A connection is kept for reuse (at most `maxIdle` per server) when its reply
 *   was whole and allowed it, and is not reused once idle for `idleMs` (servers and proxies close idle
 *   connections; ours after 75 s). Idle connections do not keep the process alive.
 * - A request on a reused connection that closes before any byte of the reply is sent again on a new
 *   connection, for idempotent methods only (GET, HEAD, PUT, DELETE, OPTIONS), as undici does; a POST
 *   fails as a network error, and the SDK's transport decides (it retries calls that carry an
 *   idempotency key).
 * - The call's `signal` aborts it: the promise rejects with the signal's reason and the connection is
 *   closed. A network failure rejects with a TypeError, as `fetch` does.
 * - What it does not do goes to `fallback` (global fetch): `https:` and other schemes, a body that is
 *   not a string, `redirect` other than "follow", and redirects (a 307 or 308, or any redirect of an
 *   idempotent method, is asked again through the fallback, which follows it; a 301, 302 or 303 of a
 *   POST becomes a GET of the new address, as `fetch` does, so a POST is never sent twice).
 *
 * `send` answers plain data (status, headers, text), which is what the SDK's transport reads: a
 * `Response` costs about 10 us more a call.
 *
 * @example
 * const agent = new Http1Agent();
 * const reply = await agent.send("http://127.0.0.1:8000/health", { method: "GET" });
 * console.log(reply.status, JSON.parse(reply.text));
 */
import { bunTcp, openConnection, StaleConnection, networkError, type Connection, type TcpRuntime } from "./http1-connection.ts";
import type { Http1Reply } from "./http1-reply.ts";
import { encodeRequest, type EncodedRequest } from "./http1-request.ts";
import type { FetchLike } from "./transport.ts";

export { SDK_USER_AGENT, utf8Length } from "./http1-request.ts";
export { bunTcp, type TcpRuntime } from "./http1-connection.ts";

export interface Http1AgentOptions {
  /** Idle connections kept per server (default 8). */
  readonly maxIdle?: number;
  /** Requests in flight per server, each on its own connection; more wait their turn (default 256, as Bun's fetch). */
  readonly maxSockets?: number;
  /** An idle connection is not reused after this many ms (default 4,000). */
  readonly idleMs?: number;
  /** Does what this agent does not (default: the global fetch). */
  readonly fallback?: FetchLike;
  /** The clock, in ms (tests). */
  readonly now?: () => number;
  /** Opens connections (default: Bun's). */
  readonly tcp?: TcpRuntime;
}

/** A reply as plain data. */
export interface PlainReply {
  readonly status: number;
  readonly statusText: string;
  /** Names lower-cased, in the order received. */
  readonly headers: readonly (readonly [string, string])[];
  readonly text: string;
}

/** `fetch` answering plain data. */
export type PlainFetch = (input: string, init: RequestInit) => Promise<PlainReply>;

/** Asks `fetch` and reads the whole reply as plain data. */
export function plainFetch(fetch: FetchLike): PlainFetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const headers: [string, string][] = [];
    res.headers.forEach((value, name) => headers.push([name, value]));
    return { status: res.status, statusText: res.statusText, headers, text: await res.text() };
  };
}

const UTF8 = new TextDecoder();
const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** One server's connections: those idle, how many carry a request, and the requests waiting for one. */
interface Pool {
  readonly idle: Connection[];
  busy: number;
  readonly waiting: (() => void)[];
}

export class Http1Agent {
  private readonly pools = new Map<string, Pool>();
  private readonly maxIdle: number;
  private readonly maxSockets: number;
  private readonly idleMs: number;
  private readonly fallback: FetchLike;
  private readonly now: () => number;
  private readonly tcp: TcpRuntime;

  /** Throws when there is no `tcp` to open connections with (not under Bun). */
  constructor(o: Http1AgentOptions = {}) {
    const tcp = o.tcp ?? bunTcp();
    if (tcp === undefined) throw new Error("Http1Agent needs Bun's TCP sockets: under other runtimes use fetch");
    this.tcp = tcp;
    this.maxIdle = o.maxIdle ?? 8;
    this.maxSockets = o.maxSockets ?? 256;
    this.idleMs = o.idleMs ?? 4_000;
    this.fallback = o.fallback ?? ((input, init) => globalThis.fetch(input, init));
    this.now = o.now ?? Date.now;
  }

  /** Connections kept idle now, over all servers (for tests and diagnostics). */
  get idleCount(): number {
    let n = 0;
    for (const pool of this.pools.values()) n += pool.idle.length;
    return n;
  }

  /** As `fetch(input, init)`, answering plain data; see the module doc for what it does itself. */
  readonly send: PlainFetch = async (input, init = {}) => {
    const url = input.startsWith("http://") ? new URL(input) : undefined;
    const body = init.body ?? undefined;
    if (url === undefined || (body !== undefined && typeof body !== "string") || (init.redirect !== undefined && init.redirect !== "follow")) {
      return plainFetch(this.fallback)(input, init);
    }
    const signal = init.signal ?? undefined;
    signal?.throwIfAborted();
    const method = (init.method ?? "GET").toUpperCase();
    const request = encodeRequest(method, url, init.headers, body);
    const pool = this.poolOf(url.host);
    await this.turn(pool, signal);
    let reply: Http1Reply;
    try {
      reply = await this.exchange(pool, url, method, request, signal);
    } finally {
      pool.busy--;
      pool.waiting.shift()?.();
    }
    const location = REDIRECTS.has(reply.status) ? reply.headers.find(([n]) => n === "location")?.[1] : undefined;
    if (location !== undefined) return this.redirected(input, init, method, reply.status, location);
    return { status: reply.status, statusText: reply.statusText, headers: reply.headers, text: UTF8.decode(reply.body) };
  };

  /**
   * A redirect, followed by the fallback as `fetch` would: a 307 or 308, or any redirect of an
   * idempotent method, asks the same again there (the server did nothing); a 301, 302 or 303 of
   * another method (a POST) becomes a GET of the new address without the body, never a second POST.
   */
  private redirected(input: string, init: RequestInit, method: string, status: number, location: string): Promise<PlainReply> {
    if (status === 307 || status === 308 || IDEMPOTENT_METHODS.has(method)) return plainFetch(this.fallback)(input, init);
    const { body: _body, ...rest } = init;
    const headers = new Headers(init.headers);
    headers.delete("content-type");
    return plainFetch(this.fallback)(new URL(location, input).href, { ...rest, method: "GET", headers });
  }

  /** Closes every idle connection. */
  close(): void {
    for (const pool of this.pools.values()) for (const c of pool.idle.splice(0)) c.destroy();
  }

  private poolOf(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (pool === undefined) this.pools.set(origin, (pool = { idle: [], busy: 0, waiting: [] }));
    return pool;
  }

  /** Resolves once `pool` has room for one more request in flight (counted); rejects if `signal` fires first. */
  private async turn(pool: Pool, signal: AbortSignal | undefined): Promise<void> {
    if (pool.busy < this.maxSockets) {
      pool.busy++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const go = (): void => {
        signal?.removeEventListener("abort", onAbort);
        pool.busy++;
        resolve();
      };
      const onAbort = (): void => {
        const at = pool.waiting.indexOf(go);
        if (at >= 0) pool.waiting.splice(at, 1);
        reject(signal?.reason);
      };
      pool.waiting.push(go);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private async exchange(pool: Pool, url: URL, method: string, request: EncodedRequest, signal: AbortSignal | undefined): Promise<Http1Reply> {
    const reused = this.take(pool);
    if (reused !== undefined) {
      try {
        return await this.use(reused, pool, method, request, signal);
      } catch (e) {
        if (signal?.aborted === true) throw signal.reason;
        if (!(e instanceof StaleConnection) || !IDEMPOTENT_METHODS.has(method)) throw networkError(url, e);
      }
    }
    const fresh = await openConnection(this.tcp, url, signal);
    try {
      return await this.use(fresh, pool, method, request, signal);
    } catch (e) {
      throw signal?.aborted === true ? signal.reason : networkError(url, e);
    }
  }

  private async use(c: Connection, pool: Pool, method: string, request: EncodedRequest, signal: AbortSignal | undefined): Promise<Http1Reply> {
    const reply = await c.exchange(method, request, signal);
    if (reply.keepAlive && reply.rest.length === 0 && !c.writing) this.keep(pool, c);
    else c.destroy();
    return reply;
  }

  private take(pool: Pool): Connection | undefined {
    const now = this.now();
    while (pool.idle.length > 0) {
      const c = pool.idle.pop() as Connection;
      if (!c.closed && now - c.idleSince < this.idleMs) {
        c.wake();
        return c;
      }
      c.destroy();
    }
    return undefined;
  }

  private keep(pool: Pool, c: Connection): void {
    c.rest(this.now(), () => {
      const at = pool.idle.indexOf(c);
      if (at >= 0) pool.idle.splice(at, 1);
    });
    pool.idle.push(c);
    if (pool.idle.length > this.maxIdle) (pool.idle.shift() as Connection).destroy();
  }
}
