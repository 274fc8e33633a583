import { describe, expect, test } from "bun:test";
import { FrameDecoder } from "../../src/lib/zmtp/frame-decoder.ts";
import { OutBuffer } from "../../src/lib/zmtp/frame-encoder.ts";
import { FLAG_COMMAND, FLAG_LONG, FLAG_MORE } from "../../src/lib/zmtp/frame.ts";
import { encodeGreeting, parseGreeting } from "../../src/lib/zmtp/greeting.ts";
import {
  encodeCommand,
  encodePing,
  encodeReady,
  parseCommand,
  parseMetadata,
  pongFor,
} from "../../src/lib/zmtp/commands.ts";
import { canPair } from "../../src/lib/zmtp/socket-type.ts";

interface Decoded {
  flags: number;
  body: Buffer;
}

function collect(maxFrameSize = -1) {
  const frames: Decoded[] = [];
  const errors: string[] = [];
  const decoder = new FrameDecoder(
    {
      frame: (flags, body) => {
        frames.push({ flags, body: Buffer.from(body) });
        return true;
      },
      malformed: (reason) => errors.push(reason),
    },
    maxFrameSize,
  );
  return { frames, errors, decoder };
}

/** Encodes with OutBuffer and returns every octet it would write. */
function encode(fill: (out: OutBuffer) => void): Buffer {
  const out = new OutBuffer();
  fill(out);
  const written: Buffer[] = [];
  expect(out.flushTo({ write: (d) => (written.push(Buffer.from(d)), d.byteLength) })).toBe("done");
  return Buffer.concat(written);
}

function pattern(size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (i * 13 + 7) & 0xff;
  return b;
}

describe("frame encoder", () => {
  test("short and long frames with MORE flags, exact octets", () => {
    const long = pattern(256);
    const bytes = encode((out) => out.appendMessage(["ab", Buffer.alloc(0), long]));
    expect([...bytes.subarray(0, 6)]).toEqual([FLAG_MORE, 2, 0x61, 0x62, FLAG_MORE, 0]);
    expect([...bytes.subarray(6, 15)]).toEqual([FLAG_LONG, 0, 0, 0, 0, 0, 0, 1, 0]);
    expect(bytes.subarray(15).toString("hex")).toBe(long.toString("hex"));
  });

  test("UTF-8 strings are sized in octets", () => {
    const bytes = encode((out) => out.appendMessage(["é€"]));
    expect([...bytes]).toEqual([0, 5, ...Buffer.from("é€")]);
  });

  test("a partial write keeps the rest for the next flush", () => {
    const out = new OutBuffer();
    const big = pattern(200_000); // sent by reference
    out.appendMessage(["first", big, "last"]);
    const written: Buffer[] = [];
    let budget = 1000;
    const sink = {
      write: (d: Uint8Array) => {
        const n = Math.min(budget, d.byteLength);
        budget -= n;
        written.push(Buffer.from(d.subarray(0, n)));
        return n;
      },
    };
    let rounds = 0;
    for (;;) {
      const result = out.flushTo(sink);
      if (result === "done") break;
      expect(result).toBe("partial");
      expect(out.messages).toBe(1);
      budget = 7919;
      rounds++;
    }
    expect(rounds).toBeGreaterThan(10);
    expect(out.isEmpty).toBe(true);
    const expected = encode((o) => o.appendMessage(["first", Buffer.from(big), "last"]));
    expect(Buffer.concat(written).equals(expected)).toBe(true);
  });

  test("a closed sink is reported", () => {
    const out = new OutBuffer();
    out.appendMessage(["x"]);
    expect(out.flushTo({ write: () => -1 })).toBe("closed");
  });
});

describe("frame decoder", () => {
  const messages: (string | Buffer)[][] = [
    ["hello", "", "world"],
    [Buffer.alloc(0)],
    [pattern(255), pattern(256)],
    [pattern(70_000)],
    ["é€"],
  ];
  const stream = encode((out) => {
    for (const m of messages) out.appendMessage(m);
    out.appendCommand(encodeCommand("PING", Buffer.from([0, 0])));
  });
  const expected: Decoded[] = [];
  for (const m of messages) {
    m.forEach((part, i) => {
      const body = Buffer.from(part);
      // The decoder reports the flags as sent: MORE on all but the last part, LONG above 255 octets.
      expected.push({ flags: (i < m.length - 1 ? FLAG_MORE : 0) | (body.length > 255 ? FLAG_LONG : 0), body });
    });
  }
  expected.push({ flags: FLAG_COMMAND, body: encodeCommand("PING", Buffer.from([0, 0])) });
  const normalise = (frames: Decoded[]) => frames.map((f) => ({ flags: f.flags, body: f.body.toString("hex") }));

  test("decodes a stream fed in one chunk", () => {
    const { frames, errors, decoder } = collect();
    decoder.push(stream);
    expect(errors).toEqual([]);
    expect(normalise(frames)).toEqual(normalise(expected));
  });

  test("decodes the stream split at every position into two chunks (first 600 positions)", () => {
    const want = normalise(expected);
    for (let cut = 1; cut < 600; cut++) {
      const { frames, errors, decoder } = collect();
      decoder.push(stream.subarray(0, cut));
      decoder.push(stream.subarray(cut));
      expect(errors).toEqual([]);
      // every frame's flags and octets, not just how many frames came out
      expect(normalise(frames)).toEqual(want);
    }
  });

  test("decodes the stream fed one octet at a time, and in random chunk sizes", () => {
    const single = collect();
    for (let i = 0; i < stream.length; i++) single.decoder.push(stream.subarray(i, i + 1));
    expect(normalise(single.frames)).toEqual(normalise(expected));

    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) % 5000) + 1;
    const chunked = collect();
    for (let pos = 0; pos < stream.length; ) {
      const n = random();
      chunked.decoder.push(stream.subarray(pos, pos + n));
      pos += n;
    }
    expect(normalise(chunked.frames)).toEqual(normalise(expected));
  });

  test("frames that arrive whole are views into the chunk (no copy)", () => {
    const chunk = encode((out) => out.appendMessage(["abc", "defg"]));
    const bodies: Buffer[] = [];
    const decoder = new FrameDecoder({ frame: (_f, b) => (bodies.push(b), true), malformed: () => {} }, -1);
    decoder.push(chunk);
    expect(bodies[0]?.buffer).toBe(chunk.buffer);
    expect(bodies[1]?.toString()).toBe("defg");
  });

  test("pauses when the sink returns false and resumes with the held-back input", () => {
    const got: string[] = [];
    let allow = 1;
    const decoder = new FrameDecoder(
      {
        frame: (_f, body) => {
          got.push(body.toString());
          return --allow > 0;
        },
        malformed: () => {},
      },
      -1,
    );
    const bytes = encode((out) => ["a", "b", "c", "d"].forEach((m) => out.appendMessage([m])));
    decoder.push(bytes.subarray(0, 5));
    expect(got).toEqual(["a"]);
    expect(decoder.isPaused).toBe(true);
    decoder.push(bytes.subarray(5));
    expect(got).toEqual(["a"]);
    expect(decoder.backlogSize).toBe(bytes.length - 3);
    allow = 1; // take one frame, then pause again
    decoder.resume();
    expect(got).toEqual(["a", "b"]);
    expect(decoder.isPaused).toBe(true);
    allow = 10;
    decoder.resume();
    expect(got).toEqual(["a", "b", "c", "d"]);
  });

  test("rejects reserved flag bits, MORE on a command, and frames above maxFrameSize", () => {
    const reserved = collect();
    reserved.decoder.push(Buffer.from([0x08, 0]));
    expect(reserved.errors[0]).toContain("bits 7-3");

    const moreCommand = collect();
    moreCommand.decoder.push(Buffer.from([FLAG_COMMAND | FLAG_MORE, 0]));
    expect(moreCommand.errors[0]).toContain("MORE");

    const tooBig = collect(100);
    tooBig.decoder.push(Buffer.from([0, 101]));
    expect(tooBig.errors[0]).toContain("maxMessageSize");
    const tooBigLong = collect(1000);
    tooBigLong.decoder.push(Buffer.from([FLAG_LONG, 0, 0, 0, 0, 0, 0, 3, 0xe9]));
    expect(tooBigLong.errors[0]).toContain("1001");

    const absurd = collect();
    absurd.decoder.push(Buffer.from([FLAG_LONG, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    expect(absurd.errors[0]).toContain("larger than this process can hold");
    absurd.decoder.push(Buffer.from([0, 1, 65]));
    expect(absurd.frames).toEqual([]);
  });
});

describe("greeting", () => {
  test("our greeting is exactly as RFC 37 specifies", () => {
    const g = encodeGreeting();
    expect(g.length).toBe(64);
    expect([...g.subarray(0, 12)]).toEqual([0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 1]);
    expect(g.subarray(12, 32).toString("latin1")).toBe("NULL" + "\0".repeat(16));
    expect([...g.subarray(32)]).toEqual(new Array(32).fill(0));
  });

  test("accepts 3.0 and newer, refuses older versions, bad signatures and other mechanisms", () => {
    const withVersion = (major: number, minor: number) => {
      const g = encodeGreeting();
      g[10] = major;
      g[11] = minor;
      return g;
    };
    expect(parseGreeting(withVersion(3, 0))).toMatchObject({ ok: true, greeting: { major: 3, minor: 0 } });
    expect(parseGreeting(withVersion(3, 1)).ok).toBe(true);
    expect(parseGreeting(withVersion(4, 0)).ok).toBe(true);
    expect(parseGreeting(withVersion(2, 0))).toMatchObject({ ok: false });
    const badSignature = encodeGreeting();
    badSignature[9] = 0x7e;
    expect(parseGreeting(badSignature)).toMatchObject({ ok: false });
    const plain = encodeGreeting("PLAIN");
    const result = parseGreeting(plain);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain('got "PLAIN"');
  });
});

describe("commands", () => {
  test("READY metadata round-trips and names are case-insensitive", () => {
    const ready = encodeReady([
      ["Socket-Type", Buffer.from("DEALER")],
      ["Identity", Buffer.from("abc")],
    ]);
    const command = parseCommand(ready);
    expect(command?.name).toBe("READY");
    const props = parseMetadata(command!.data);
    expect(props instanceof Map).toBe(true);
    const map = props as Map<string, Buffer>;
    expect(map.get("socket-type")?.toString()).toBe("DEALER");
    expect(map.get("identity")?.toString()).toBe("abc");
  });

  test("malformed metadata is reported, not thrown", () => {
    expect(typeof parseMetadata(Buffer.from([11, ...Buffer.from("Socket-Type"), 0, 0, 0, 9, 65]))).toBe("string");
    expect(typeof parseMetadata(Buffer.from([0]))).toBe("string");
    expect(typeof parseMetadata(Buffer.from([5, 65]))).toBe("string");
    expect(parseCommand(Buffer.from([9, 65]))).toBeNull();
  });

  test("PONG echoes the PING context, at most 16 octets", () => {
    const ping = parseCommand(encodePing(10, Buffer.from("ctx")))!;
    expect([...pongFor(ping.data)!]).toEqual([4, ...Buffer.from("PONG"), ...Buffer.from("ctx")]);
    const long = parseCommand(encodePing(0, Buffer.alloc(20, 0x41)))!;
    expect([...pongFor(long.data)!]).toEqual([4, ...Buffer.from("PONG"), ...Buffer.alloc(16, 0x41)]);
    expect(pongFor(Buffer.from([1]))).toBeNull();
  });

  test("socket type compatibility follows RFC 37", () => {
    expect(canPair("REQ", "REP")).toBe(true);
    expect(canPair("REQ", "ROUTER")).toBe(true);
    expect(canPair("REQ", "DEALER")).toBe(false);
    expect(canPair("REP", "DEALER")).toBe(true);
    expect(canPair("REP", "ROUTER")).toBe(false);
    expect(canPair("DEALER", "REQ")).toBe(false);
    expect(canPair("ROUTER", "REP")).toBe(false);
    expect(canPair("ROUTER", "ROUTER")).toBe(true);
    expect(canPair("DEALER", "PUB")).toBe(false);
  });
});
