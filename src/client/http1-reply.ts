/**
 * Reads one HTTP/1.1 reply from the bytes of a connection, as they come: the status line, the headers,
 * and a body framed by `Content-Length`, by `Transfer-Encoding: chunked`, or by the connection's end.
 * Interim replies (1xx) are skipped. Pure: no sockets, so every way of splitting the bytes can be
 * tested.
 *
 * @example
 * const reader = new ReplyReader("GET");
 * const reply = reader.push(bytes) ?? reader.push(moreBytes); // undefined until the reply is whole
 * if (reply) console.log(reply.status, new TextDecoder().decode(reply.body), reply.keepAlive);
 */

/** A whole reply. */
export interface Http1Reply {
  readonly status: number;
  readonly statusText: string;
  /** In the order received, names lower-cased. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
  /** The connection may carry another request (HTTP/1.1 without `Connection: close`, framed body). */
  readonly keepAlive: boolean;
  /** Bytes after this reply (none from a well-behaved server, which answers one request at a time). */
  readonly rest: Uint8Array;
}

/** The most a reply's status line and headers may take. */
export const MAX_HEAD_BYTES = 64 * 1024;

const EMPTY = new Uint8Array(0);

type Framing = { kind: "length"; left: number } | { kind: "chunked" } | { kind: "close" };

interface Head {
  readonly status: number;
  readonly statusText: string;
  readonly headers: [string, string][];
  readonly keepAlive: boolean;
  /** Transfer-Encoding's codings, lower-cased, when sent. */
  readonly transferEncoding: string | undefined;
  readonly contentLength: string | undefined;
}

/** Reads one reply to a request of `method`; throws on bytes that are not HTTP/1.x. */
export class ReplyReader {
  private buf: Uint8Array = EMPTY;
  private head: Head | undefined;
  private framing: Framing | undefined;
  private readonly parts: Uint8Array[] = [];
  private done = false;

  constructor(private readonly method: string) {}

  /** Takes the next bytes; returns the reply once it is whole, else undefined. */
  push(bytes: Uint8Array): Http1Reply | undefined {
    if (this.done) throw new Error("this reply was already read whole");
    // (not copied: a socket hands over new memory with each read)
    this.buf = this.buf.length === 0 ? bytes : concat([this.buf, bytes]);
    for (;;) {
      if (this.head === undefined) {
        const at = findHeadEnd(this.buf, 0);
        if (at < 0) {
          if (this.buf.length > MAX_HEAD_BYTES) throw new Error(`the reply's head is over ${MAX_HEAD_BYTES} bytes`);
          return undefined;
        }
        const head = parseHead(latin1(this.buf.subarray(0, at)));
        this.buf = this.buf.subarray(at + 4);
        if (head.status < 200) continue; // an interim reply: the real one follows
        this.head = head;
        this.framing = framingOf(head, this.method);
      }
      const framing = this.framing as Framing;
      if (framing.kind === "close") {
        this.take(this.buf.length);
        return undefined;
      }
      if (framing.kind === "length") {
        const n = Math.min(framing.left, this.buf.length);
        this.take(n);
        framing.left -= n;
        return framing.left === 0 ? this.finish(this.head.keepAlive) : undefined;
      }
      return this.readChunks();
    }
  }

  /**
   * The connection ended: the reply if its body runs to the end of the connection, else throws
   * (it ended before the reply was whole).
   */
  end(): Http1Reply {
    if (this.done) throw new Error("this reply was already read whole");
    if (this.framing?.kind === "close") return this.finish(false);
    throw new Error(this.head === undefined ? "the connection closed before a reply came" : "the connection closed in the middle of the reply's body");
  }

  private readChunks(): Http1Reply | undefined {
    for (;;) {
      const eol = findLineEnd(this.buf, 0);
      if (eol < 0) {
        if (this.buf.length > MAX_HEAD_BYTES) throw new Error("a chunk's size line is too long");
        return undefined;
      }
      const line = latin1(this.buf.subarray(0, eol));
      const sizeText = (line.split(";", 1)[0] as string).trim();
      if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText)) throw new Error(`a chunk's size must be hexadecimal, got ${JSON.stringify(line.slice(0, 40))}`);
      const size = parseInt(sizeText, 16);
      if (size === 0) {
        // the last chunk, then trailers (ignored) up to an empty line
        const end = findHeadEnd(this.buf, eol);
        const bare = findLineEnd(this.buf, eol + 2) === eol + 2;
        if (bare) {
          this.buf = this.buf.subarray(eol + 4);
          return this.finish((this.head as Head).keepAlive);
        }
        if (end < 0) return undefined;
        this.buf = this.buf.subarray(end + 4);
        return this.finish((this.head as Head).keepAlive);
      }
      if (this.buf.length < eol + 2 + size + 2) return undefined;
      if (this.buf[eol + 2 + size] !== 13 || this.buf[eol + 3 + size] !== 10) throw new Error("a chunk does not end with CRLF");
      this.parts.push(this.buf.subarray(eol + 2, eol + 2 + size));
      this.buf = this.buf.subarray(eol + 4 + size);
    }
  }

  private take(n: number): void {
    if (n === 0) return;
    this.parts.push(this.buf.subarray(0, n));
    this.buf = this.buf.subarray(n);
  }

  private finish(keepAlive: boolean): Http1Reply {
    this.done = true;
    const head = this.head as Head;
    const body = this.parts.length === 1 ? (this.parts[0] as Uint8Array) : concat(this.parts);
    return { status: head.status, statusText: head.statusText, headers: head.headers, body, keepAlive, rest: this.buf.length === 0 ? EMPTY : this.buf };
  }
}

function parseHead(text: string): Head {
  const lines = text.split("\r\n");
  const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0] as string);
  if (m === null) throw new Error(`expected an HTTP/1.x status line, got ${JSON.stringify((lines[0] as string).slice(0, 60))}`);
  const headers: [string, string][] = [];
  let connection = "";
  let transferEncoding: string | undefined;
  let contentLength: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(":");
    if (colon <= 0 || line[0] === " " || line[0] === "\t") throw new Error(`expected a header "name: value", got ${JSON.stringify(line.slice(0, 60))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.push([name, value]);
    if (name === "connection") connection += `${value.toLowerCase()},`;
    else if (name === "transfer-encoding") transferEncoding = transferEncoding === undefined ? value.toLowerCase() : `${transferEncoding},${value.toLowerCase()}`;
    else if (name === "content-length") {
      if (contentLength !== undefined && contentLength !== value) throw new Error(`the reply has different Content-Length headers: ${contentLength}, ${value}`);
      contentLength = value;
    }
  }
  const tokens = connection === "" ? [] : connection.split(",").map((t) => t.trim());
  const http11 = m[1] === "1";
  const keepAlive = http11 ? !tokens.includes("close") : tokens.includes("keep-alive");
  return { status: Number(m[2]), statusText: m[3] ?? "", headers, keepAlive, transferEncoding, contentLength };
}

function framingOf(head: Head, method: string): Framing {
  if (method === "HEAD" || head.status === 204 || head.status === 304) return { kind: "length", left: 0 };
  if (head.transferEncoding !== undefined) {
    return head.transferEncoding.split(",").some((t) => t.trim() === "chunked") ? { kind: "chunked" } : { kind: "close" };
  }
  const length = head.contentLength;
  if (length === undefined) return { kind: "close" };
  if (!/^\d{1,15}$/.test(length)) throw new Error(`Content-Length must be a number of bytes, got ${JSON.stringify(length)}`);
  return { kind: "length", left: Number(length) };
}

/** Where the first CRLF CRLF at or after `from` starts, or -1. */
function findHeadEnd(b: Uint8Array, from: number): number {
  for (let i = from; i + 3 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  return -1;
}

/** Where the first CRLF at or after `from` starts, or -1. */
function findLineEnd(b: Uint8Array, from: number): number {
  for (let i = from; i + 1 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10) return i;
  return -1;
}

const LATIN1 = new TextDecoder("latin1");

/** Bytes as text, one character per byte (a reply's head is ASCII; other bytes are kept, not refused). */
function latin1(b: Uint8Array): string {
  return LATIN1.decode(b);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
