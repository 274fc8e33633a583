/**
 * One kept-alive HTTP/1.1 connection of the SDK's client (http1-agent.ts): a Bun TCP socket carrying
 * one request at a time, its reply read by {@link ReplyReader}. The agent decides which connection a
 * request takes and when one is kept; this file writes the bytes, reads the reply, and reports how it
 * ended (whole, the connection closed, aborted). Bun's TCP API is found at run time (`bunTcp`), never
 * imported: the SDK imports nothing and runs under Node too (with fetch).
 *
 * @example
 * const url = new URL("http://127.0.0.1:8000/health");
 * const c = await openConnection(bunTcp()!, url, undefined);
 * const reply = await c.exchange("GET", encodeRequest("GET", url, {}, undefined), undefined);
 */
import { ReplyReader, type Http1Reply } from "./http1-reply.ts";
import type { EncodedRequest } from "./http1-request.ts";

const ENCODER = new TextEncoder();

/** The part of a Bun TCP socket this client uses (declared here: the SDK imports nothing). */
interface TcpSocket {
  readonly data: Connection;
  write(data: string | Uint8Array): number;
  end(): void;
  ref(): void;
  unref(): void;
  setNoDelay(on: boolean): boolean;
}

/** The part of Bun's API this client uses: its `connect`. */
export interface TcpRuntime {
  connect(o: { hostname: string; port: number; data: Connection; socket: typeof HANDLERS }): Promise<TcpSocket>;
}

/** Bun's TCP API when the SDK runs under Bun, else undefined (it then uses `fetch`). */
export function bunTcp(): TcpRuntime | undefined {
  return (globalThis as { Bun?: TcpRuntime }).Bun;
}

/** A reused connection closed before any byte of the reply came. */
export class StaleConnection extends Error {}

/** One socket, one request at a time. */
export class Connection {
  closed = false;
  idleSince = 0;
  private socket: TcpSocket | undefined;
  private reader: ReplyReader | undefined;
  private gotBytes = false;
  private used = false;
  /** The part of the request the socket has not taken yet. */
  private unsent: Uint8Array | undefined;
  private settle: ((r: { reply: Http1Reply } | { error: Error }) => void) | undefined;
  private onIdleClose: (() => void) | undefined;

  /** Part of the request is still unwritten (a server answered before reading it all): not to be reused. */
  get writing(): boolean {
    return this.unsent !== undefined;
  }

  attach(s: TcpSocket): void {
    this.socket = s;
    s.setNoDelay(true);
  }

  exchange(method: string, request: EncodedRequest, signal: AbortSignal | undefined): Promise<Http1Reply> {
    const reused = this.used;
    this.used = true;
    return new Promise<Http1Reply>((resolve, reject) => {
      const onAbort = (): void => {
        reject(signal?.reason); // (first: the close below settles too, and the first settling wins)
        this.destroy();
      };
      this.reader = new ReplyReader(method);
      this.gotBytes = false;
      this.settle = (r) => {
        this.settle = undefined;
        this.reader = undefined;
        signal?.removeEventListener("abort", onAbort);
        if ("reply" in r) resolve(r.reply);
        else reject(reused && !this.gotBytes ? new StaleConnection(r.error.message) : r.error);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      if (this.closed) this.fail("the connection closed");
      else this.write(request);
    });
  }

  /** Kept idle: it no longer holds the process open, and its closing calls `onClose`. */
  rest(now: number, onClose: () => void): void {
    this.idleSince = now;
    this.onIdleClose = onClose;
    this.socket?.unref();
  }

  /** Taken from idle for a request. */
  wake(): void {
    this.onIdleClose = undefined;
    this.socket?.ref();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket?.end();
    this.fail("the connection was closed");
  }

  received(bytes: Uint8Array): void {
    const reader = this.reader;
    if (reader === undefined) {
      this.destroy(); // bytes nobody asked for
      return;
    }
    this.gotBytes = true;
    let reply: Http1Reply | undefined;
    try {
      reply = reader.push(bytes);
    } catch (e) {
      this.fail(`the reply is not HTTP/1.1: ${(e as Error).message}`);
      this.destroy();
      return;
    }
    if (reply !== undefined) this.settle?.({ reply });
  }

  ended(why: string): void {
    const wasClosed = this.closed;
    this.closed = true;
    const reader = this.reader;
    if (reader !== undefined) {
      let reply: Http1Reply | undefined;
      try {
        reply = reader.end();
      } catch (e) {
        this.fail((e as Error).message);
        return;
      }
      this.settle?.({ reply });
      return;
    }
    if (!wasClosed) this.onIdleClose?.();
    this.fail(why);
  }

  /** The socket can take more: writes what it left of the request. */
  flush(): void {
    const s = this.socket;
    const bytes = this.unsent;
    if (s === undefined || bytes === undefined) return;
    const n = s.write(bytes);
    this.unsent = n < bytes.length ? bytes.subarray(Math.max(n, 0)) : undefined;
  }

  /**
   * Writes `r` as text (bytes made first cost a few us more a call); what the socket did not take
   * waits for its drain. One request at a time: the one before was written whole before its reply came.
   */
  private write(r: EncodedRequest): void {
    const s = this.socket;
    if (s === undefined) return;
    const n = s.write(r.text);
    if (n < r.bytes) this.unsent = ENCODER.encode(r.text).subarray(Math.max(n, 0));
  }

  private fail(why: string): void {
    this.settle?.({ error: new Error(why) });
  }
}

const HANDLERS = {
  data: (s: TcpSocket, bytes: Uint8Array) => s.data.received(bytes),
  drain: (s: TcpSocket) => s.data.flush(),
  end: (s: TcpSocket) => s.data.ended("the server closed the connection"),
  close: (s: TcpSocket) => s.data.ended("the connection closed"),
  error: (s: TcpSocket, e: Error) => s.data.ended(e.message),
};

/** Opens a connection to `url`'s host and port; rejects with a TypeError (as fetch) or `signal`'s reason. */
export async function openConnection(tcp: TcpRuntime, url: URL, signal: AbortSignal | undefined): Promise<Connection> {
  const c = new Connection();
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const opening = tcp.connect({ hostname, port: Number(url.port || 80), data: c, socket: HANDLERS });
  let socket: TcpSocket;
  if (signal === undefined) socket = await opening.catch((e: unknown) => Promise.reject(networkError(url, e)));
  else {
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      socket = await Promise.race([opening.catch((e: unknown) => Promise.reject(networkError(url, e))), aborted]);
    } catch (e) {
      void opening.then((s) => s.end(), () => undefined);
      throw e;
    } finally {
      signal.removeEventListener("abort", onAbort as () => void);
    }
  }
  c.attach(socket);
  return c;
}

/** A network failure as `fetch` reports one: a TypeError naming the host, with the cause. */
export function networkError(url: URL, cause: unknown): TypeError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new TypeError(`fetch failed: ${url.host}: ${why}`, { cause });
}
