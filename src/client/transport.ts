/**
 * One HTTP call to the server, with the retry rules in one place:
 *
 * - idempotent calls are retried on network errors (no reply, reset, request timeout) and on 429 and
 *   503 replies: GET, POST /wait, DELETE, and POST /execute_function and /execute_batch, which carry an
 *   `Idempotency-Key` header (the same on every attempt), so the server answers a repeat with the
 *   tasks the first attempt queued instead of queueing new ones;
 * - other calls (POST /register_function) are retried only on 429 and 503 replies, where the server
 *   says it did not act. After a network error such a call may or may not have been applied, so it is
 *   never retried blindly: it fails with a {@link FaasNetworkError} whose `outcomeUnknown` is true;
 * - the wait before a retry is the server's `Retry-After` when present, else exponential backoff with
 *   full jitter; every other non-2xx reply is thrown at once as a {@link FaasError}: a 401 (no API
 *   key) or 403 (wrong key) is never retried.
 */
import { abortableDelay, attemptSignal, throwIfAborted } from "./abort.ts";
import { backoffDelay, retryAfterMs } from "./backoff.ts";
import { FaasError, FaasNetworkError } from "./errors.ts";
import { bunTcp, Http1Agent, plainFetch, type PlainFetch, type PlainReply } from "./http1-agent.ts";

/** The part of `fetch` the SDK uses (global fetch in Bun and Node 20, or a test double). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface TransportOptions {
  /** Retries after the first attempt (default 3). */
  readonly retries: number;
  /** Base of the exponential backoff, in ms (default 100). */
  readonly backoffMs: number;
  /** Deadline of one attempt, in ms, on top of any long-poll wait (default 30,000). */
  readonly requestTimeoutMs: number;
  /** Default: under Bun, the SDK's own HTTP/1.1 client for `http://` servers (http1-agent.ts), else the global fetch. */
  readonly fetch?: FetchLike;
  /** Sent as `Authorization: Bearer <apiKey>` on every call when set. */
  readonly apiKey?: string;
  /** Source of jitter; tests may pin it. */
  readonly random?: () => number;
  /** How to wait between attempts (default: a timer the call's signal cuts short); tests may record the delays instead. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** One call: method, path (with query), JSON body, and whether repeating it is harmless. */
export interface Call {
  readonly method: "GET" | "POST" | "DELETE";
  readonly path: string;
  readonly body?: unknown;
  /** More request headers (`Idempotency-Key`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly idempotent: boolean;
  /** How long the server may hold the request on purpose (a long-poll), in ms. */
  readonly holdMs?: number;
  /** Stops the call: the attempt in flight is aborted, no retry follows, and it rejects with an AbortError. */
  readonly signal?: AbortSignal | undefined;
}

/** The SDK's HTTP/1.1 client, shared by every client of the process; made on first use, under Bun only. */
let sharedAgent: Http1Agent | undefined;

/** How calls go out when no fetch is given: the shared agent under Bun, the global fetch elsewhere. */
function defaultSend(): PlainFetch {
  if (bunTcp() === undefined) return plainFetch((input, init) => globalThis.fetch(input, init));
  sharedAgent ??= new Http1Agent();
  return sharedAgent.send;
}

/** Sends calls to one server. */
export class Transport {
  private readonly exchange: PlainFetch;

  constructor(
    readonly baseUrl: string,
    private readonly o: TransportOptions,
  ) {
    this.exchange = o.fetch !== undefined ? plainFetch(o.fetch) : defaultSend();
  }

  /**
   * Sends `call` and returns its parsed JSON body, retrying as the module doc says. When
   * `call.signal` fires, rejects with an {@link AbortError} (never a FaasNetworkError).
   *
   * @example
   * ```ts
   * const t = new Transport("http://127.0.0.1:8000", { retries: 3, backoffMs: 100, requestTimeoutMs: 30_000 });
   * const { status } = await t.send<{ status: string }>({ method: "GET", path: "/status/abc", idempotent: true });
   * ```
   */
  async send<T>(call: Call): Promise<T> {
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const headers: Record<string, string> = { accept: "application/json", ...call.headers };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.o.apiKey !== undefined) headers.authorization = `Bearer ${this.o.apiKey}`;
    const what = `${call.method} ${call.path}`;
    const sleep = this.o.sleep ?? ((ms: number) => abortableDelay(ms, call.signal, `back-off before retrying ${what}`));
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(call.signal, what);
      const canRetry = attempt <= this.o.retries;
      const attemptAbort = attemptSignal(this.o.requestTimeoutMs + (call.holdMs ?? 0), call.signal);
      let reply: PlainReply | { cause: unknown };
      try {
        reply = await this.exchange(this.baseUrl + call.path, { method: call.method, headers, body, signal: attemptAbort.signal });
      } catch (cause) {
        reply = { cause };
      } finally {
        attemptAbort.release();
      }
      if ("cause" in reply) {
        throwIfAborted(call.signal, what);
        const url = this.baseUrl + call.path;
        if (!call.idempotent) throw new FaasNetworkError(call.method, call.path, true, attempt, reply.cause, url);
        if (!canRetry) throw new FaasNetworkError(call.method, call.path, false, attempt, reply.cause, url);
        await sleep(backoffDelay(attempt, this.o.backoffMs, this.o.random));
        continue;
      }
      const { status, text } = reply;
      if (status >= 200 && status < 300) return parseBody<T>(status, text, call);
      if ((status === 429 || status === 503) && canRetry) {
        await sleep(retryAfterMs(new Headers(reply.headers as [string, string][])) ?? backoffDelay(attempt, this.o.backoffMs, this.o.random));
        continue;
      }
      throw FaasError.fromBody(status, text);
    }
  }
}

function parseBody<T>(status: number, text: string, call: Call): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new FaasError(status, "InvalidReply", `${call.method} ${call.path} answered ${status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
}
