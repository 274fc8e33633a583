/**
 * The RESP2 reader: every reply type, nested; a reply split anywhere reads the same once its last byte
 * is in; bytes that are not RESP2 throw. The encoder counts bytes, not characters.
 */
import { describe, expect, test } from "bun:test";
import { encodeCommand, encodeSized, RespProtocolError, RespReader, RespReplyError, type RespReply } from "../../src/lib/resp/index.ts";
import { utf8Length } from "../../src/lib/resp/reader.ts";

/** Every reply `bytes` holds, fed in pieces cut at `cuts`. */
function readAll(bytes: Buffer, cuts: readonly number[] = []): RespReply[] {
  const reader = new RespReader();
  const out: RespReply[] = [];
  let from = 0;
  for (const at of [...cuts, bytes.length]) {
    reader.push(bytes.subarray(from, at));
    from = at;
    for (let r = reader.next(); r !== undefined; r = reader.next()) out.push(r);
  }
  return out;
}

const MIXED = Buffer.from(
  "+OK\r\n" + //
    "-ERR Function not found\r\n" +
    ":-42\r\n" +
    "$5\r\nhé\r\n\r\n" + // a bulk string holding CRLF and a two-byte character
    "$-1\r\n" +
    "*-1\r\n" +
    "*0\r\n" +
    "*3\r\n:1\r\n*2\r\n$1\r\na\r\n-WRONGTYPE nested\r\n$0\r\n\r\n",
);

describe("RespReader", () => {
  test("reads every reply type, nested arrays and errors inside them included", () => {
    const replies = readAll(MIXED);
    expect(replies.length).toBe(8);
    expect(replies[0]).toBe("OK");
    expect(replies[1]).toBeInstanceOf(RespReplyError);
    expect((replies[1] as Error).message).toBe("ERR Function not found");
    expect((replies[1] as Error).name).toBe("ReplyError");
    expect(replies.slice(2, 7)).toEqual([-42, "hé\r\n", null, null, []]);
    const nested = replies[7] as RespReply[];
    expect(nested[0]).toBe(1);
    expect((nested[1] as RespReply[])[0]).toBe("a");
    expect(((nested[1] as RespReply[])[1] as Error).message).toBe("WRONGTYPE nested");
    expect(nested[2]).toBe("");
  });

  test("a stream cut at any byte reads the same replies", () => {
    const whole = JSON.stringify(readAll(MIXED).map(String));
    for (let at = 1; at < MIXED.length; at++) expect(JSON.stringify(readAll(MIXED, [at]).map(String))).toBe(whole);
    const everyByte = Array.from({ length: MIXED.length - 1 }, (_, i) => i + 1);
    expect(JSON.stringify(readAll(MIXED, everyByte).map(String))).toBe(whole);
  });

  test("a bulk string of many pieces is read once all of it is in", () => {
    const body = "x".repeat(300_000);
    const bytes = Buffer.from(`$${body.length}\r\n${body}\r\n:7\r\n`);
    const cuts = Array.from({ length: 299 }, (_, i) => (i + 1) * 1000);
    const reader = new RespReader();
    let from = 0;
    const out: RespReply[] = [];
    for (const at of [...cuts, bytes.length]) {
      reader.push(bytes.subarray(from, at));
      from = at;
      for (let r = reader.next(); r !== undefined; r = reader.next()) out.push(r);
      if (at < bytes.length - 10) expect(out).toEqual([]);
    }
    expect(out).toEqual([body, 7]);
  });

  test("numbers read from their bytes agree with reading them as text: signs, leading zeros, 16 digits and more", () => {
    const lines = [":0", ":-0", ":007", ":+5", ":123456789012345", ":1234567890123456", ":-12345678901234567890", ":9007199254740993"];
    const replies = readAll(Buffer.from(lines.map((l) => `${l}\r\n`).join("")));
    expect(replies).toEqual(lines.map((l) => Number(l.slice(1))));
    expect(readAll(Buffer.from("*2\r\n$03\r\nabc\r\n$-01\r\n"))).toEqual([["abc", null]]);
  });

  test("bytes that are not RESP2 throw, naming what came", () => {
    const reader = new RespReader();
    reader.push(Buffer.from("HTTP/1.1 400 Bad Request\r\n"));
    expect(() => reader.next()).toThrow(RespProtocolError);
    const lengths = new RespReader();
    lengths.push(Buffer.from("$abc\r\n"));
    expect(() => lengths.next()).toThrow('a RESP2 length or integer must be a whole number, got "$abc"');
  });
});

describe("encodeCommand", () => {
  test("an array of bulk strings whose lengths count bytes", () => {
    expect(encodeCommand(["SET", "k", "é", 12])).toBe("*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n$2\r\n12\r\n");
    // what it writes reads back as the same strings
    const reader = new RespReader();
    reader.push(Buffer.from(encodeCommand(["a\r\nb", "", "€"])));
    expect(reader.next()).toEqual(["a\r\nb", "", "€"]);
    // and its length in bytes, which tells a short write
    const many = Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? `é${i}😀` : i % 3 === 1 ? i : "x".repeat(i))); // a batch's: counted natively
    for (const args of [["PING"], ["SET", "k", "é€😀"], ["ECHO", 42], many]) {
      const [text, bytes] = encodeSized(args);
      expect(text).toBe(encodeCommand(args));
      expect(bytes).toBe(Buffer.byteLength(text));
    }
  });
});

describe("utf8Length", () => {
  test("counts as Buffer.byteLength does: ASCII, two-, three- and four-byte characters, lone surrogates, long strings", () => {
    const units = ["a", "é", "€", "😀", "\ud83d", "\ude00", "\r", "$"];
    let seed = 11;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let i = 0; i < 5000; i++) {
      let s = "";
      for (let j = next(300); j > 0; j--) s += units[next(units.length)];
      expect([s, utf8Length(s)]).toEqual([s, Buffer.byteLength(s)]);
    }
  });
});
