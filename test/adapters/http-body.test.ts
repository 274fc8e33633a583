import { describe, expect, test } from "bun:test";
import { readLimitedText } from "../../src/adapters/http/body.ts";

const post = (body: Uint8Array | string, length?: number) =>
  new Request("http://h/x", { method: "POST", body, headers: length === undefined ? {} : { "content-length": String(length) } });

/** A body streamed in chunks, as a chunked upload arrives (no Content-Length). */
const streamed = (...chunks: string[]) =>
  new Request("http://h/x", {
    method: "POST",
    body: new ReadableStream({
      start(c) {
        for (const x of chunks) c.enqueue(new TextEncoder().encode(x));
        c.close();
      },
    }),
  });

describe("readLimitedText", () => {
  test("a body with a Content-Length within the limit is its UTF-8 text: bad bytes become U+FFFD, a BOM is dropped", async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0xff, 0x7d, 0xe2, 0x82, 0xac]);
    expect(await readLimitedText(post(bytes, bytes.length), 100)).toEqual({ ok: true, text: "{\ufffd}€" });
    expect(await readLimitedText(post("", 0), 100)).toEqual({ ok: true, text: "" });
  });

  test("a declared length over the limit is refused unread; a chunked body is counted as it streams", async () => {
    expect(await readLimitedText(post("x".repeat(20), 20), 10)).toEqual({ ok: false, size: 20 });
    expect(await readLimitedText(streamed('{"a":', '"é"}'), 100)).toEqual({ ok: true, text: '{"a":"é"}' });
    expect(await readLimitedText(streamed("12345", "67890", "abc"), 8)).toEqual({ ok: false, size: 10 });
  });
});
