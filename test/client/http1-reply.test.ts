/**
 * The SDK's HTTP/1.1 reply reader, fed bytes in every way a socket may split them: framing by
 * Content-Length, chunked and the connection's end; interim replies; when a connection may be reused;
 * and the bytes it refuses.
 */
import { describe, expect, test } from "bun:test";
import { MAX_HEAD_BYTES, ReplyReader, type Http1Reply } from "../../src/client/http1-reply.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Feeds `wire` to a new reader in pieces of `size` bytes; the reply once whole (and the pushes it took). */
function readInPieces(wire: Uint8Array, size: number, method = "GET"): { reply: Http1Reply | undefined; pushes: number } {
  const r = new ReplyReader(method);
  let pushes = 0;
  for (let at = 0; at < wire.length; at += size) {
    pushes++;
    const reply = r.push(wire.subarray(at, at + size));
    if (reply !== undefined) return { reply, pushes };
  }
  return { reply: undefined, pushes };
}

const JSON_REPLY = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Thing:  spaced value \r\nContent-Length: 27\r\n\r\n{"status":"COMPLETED","é":1}'.replace("27", String(enc('{"status":"COMPLETED","é":1}').length));

describe("ReplyReader", () => {
  test("a Content-Length reply reads the same however the bytes are split, with headers lower-cased and trimmed", () => {
    const wire = enc(JSON_REPLY);
    for (const size of [1, 2, 3, 7, 50, wire.length]) {
      const { reply, pushes } = readInPieces(wire, size);
      expect(pushes).toBe(Math.ceil(wire.length / size)); // not whole until the last byte
      expect(reply?.status).toBe(200);
      expect(reply?.statusText).toBe("OK");
      expect(reply?.headers).toEqual([
        ["content-type", "application/json"],
        ["x-thing", "spaced value"],
        ["content-length", String(enc('{"status":"COMPLETED","é":1}').length)],
      ]);
      expect(text(reply!.body)).toBe('{"status":"COMPLETED","é":1}');
      expect(reply?.keepAlive).toBe(true);
      expect(reply?.rest.length).toBe(0);
    }
  });

  test("a chunked body (with a chunk extension and a trailer) is joined, at every split", () => {
    const wire = enc("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=x\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n");
    for (const size of [1, 4, 13, wire.length]) {
      const { reply } = readInPieces(wire, size);
      expect(text(reply!.body)).toBe("hello, world");
      expect(reply?.keepAlive).toBe(true);
    }
    const bare = readInPieces(enc("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"), 3).reply;
    expect(text(bare!.body)).toBe("ok");
  });

  test("no body for 204, 304 and HEAD; an interim 100 is skipped", () => {
    expect(readInPieces(enc("HTTP/1.1 204 No Content\r\n\r\n"), 100).reply?.body.length).toBe(0);
    expect(readInPieces(enc("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"), 100).reply?.body.length).toBe(0);
    const head = readInPieces(enc("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"), 100, "HEAD").reply;
    expect([head?.status, head?.body.length]).toEqual([200, 0]);
    const after100 = readInPieces(enc("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"), 5).reply;
    expect([after100?.status, text(after100!.body)]).toEqual([201, "ok"]);
  });

  test("a body without a length runs to the connection's end, and that connection is not reused", () => {
    const r = new ReplyReader("GET");
    expect(r.push(enc("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\npart one, "))).toBeUndefined();
    expect(r.push(enc("part two"))).toBeUndefined();
    const reply = r.end();
    expect(text(reply.body)).toBe("part one, part two");
    expect(reply.keepAlive).toBe(false);
  });

  test("keep-alive: HTTP/1.1 unless Connection: close; HTTP/1.0 only with Connection: keep-alive", () => {
    const alive = (head: string): boolean | undefined => readInPieces(enc(`${head}\r\nContent-Length: 0\r\n\r\n`), 1000).reply?.keepAlive;
    expect(alive("HTTP/1.1 200 OK")).toBe(true);
    expect(alive("HTTP/1.1 200 OK\r\nConnection: close")).toBe(false);
    expect(alive("HTTP/1.1 200 OK\r\nConnection: Upgrade, Close")).toBe(false);
    expect(alive("HTTP/1.0 200 OK")).toBe(false);
    expect(alive("HTTP/1.0 200 OK\r\nConnection: Keep-Alive")).toBe(true);
  });

  test("bytes after the reply are handed back in rest", () => {
    const reply = readInPieces(enc("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"), 1000).reply;
    expect([text(reply!.body), text(reply!.rest)]).toEqual(["ok", "EXTRA"]);
  });

  test("refuses what is not an HTTP/1.x reply, and a connection that ends too soon", () => {
    const fails = (wire: string): string => {
      try {
        new ReplyReader("GET").push(enc(wire));
        return "no error";
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(fails("SSH-2.0-OpenSSH\r\n\r\n")).toContain("expected an HTTP/1.x status line");
    expect(fails("HTTP/2 200\r\n\r\n")).toContain("expected an HTTP/1.x status line");
    expect(fails("HTTP/1.1 200 OK\r\n folded\r\n\r\n")).toContain('expected a header "name: value"');
    expect(fails("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n")).toContain("different Content-Length");
    expect(fails("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")).toContain("Content-Length must be a number");
    expect(fails("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")).toContain("hexadecimal");
    expect(fails("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX")).toContain("does not end with CRLF");
    expect(fails(`HTTP/1.1 200 OK\r\nX: ${"a".repeat(MAX_HEAD_BYTES)}`)).toContain(`over ${MAX_HEAD_BYTES} bytes`);

    const noReply = new ReplyReader("GET");
    expect(() => noReply.end()).toThrow("closed before a reply came");
    const cut = new ReplyReader("GET");
    cut.push(enc("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
    expect(() => cut.end()).toThrow("in the middle of the reply's body");
  });
});
