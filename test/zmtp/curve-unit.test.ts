/**
 * The CURVE building blocks on their own: Z85, keys, the box key and boxes (libsodium's, and
 * @noble/ciphers' above libsodium's size limit, each checked against the other), cookies, the
 * MESSAGE codec, and option checks.
 */
import { describe, expect, test } from "bun:test";
import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { boxKey, newKeyPair, nonceOf, openInto, SODIUM_MAX_PLAINTEXT, sealInto } from "../../src/lib/zmtp/curve-box.ts";
import { CurveCodec, MESSAGE_OVERHEAD } from "../../src/lib/zmtp/curve-codec.ts";
import { CookieJar, COOKIE_SIZE } from "../../src/lib/zmtp/curve-cookie.ts";
import { FrameDecoder } from "../../src/lib/zmtp/frame-decoder.ts";
import { OutBuffer } from "../../src/lib/zmtp/frame-encoder.ts";
import { FLAG_COMMAND, FLAG_LONG, FLAG_MORE } from "../../src/lib/zmtp/frame.ts";
import { curveKeyPair, curvePublicKey, Dealer, Router, z85Decode, z85Encode, ZmtpError } from "../../src/lib/zmtp/index.ts";
import { sodiumHeap } from "../../src/lib/zmtp/sodium.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** libzmq's documented test keys (doc/zmq_curve: "TEST KEY VALUES"). */
const LIBZMQ = {
  client: {
    publicHex: "bb88471d65e2659b30c55a5321cebb5aab2b70a398645c26dca2b2fcb43fc518",
    public: "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID",
    secretHex: "7bb864b489afa3671fbe69101f94b38972f24816dfb01b51656b3fec8dfd0888",
    secret: "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs",
  },
  server: {
    publicHex: "54fcba24e93249969316fb617c872bb0c1d1ff14800427c594cbfacf1bc2d652",
    public: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
    secretHex: "8e0bdd697628b91d8f245587ee95c5b04d48963f79259877b49cd9063aead3b7",
    secret: "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6",
  },
};

describe("Z85 (RFC 32)", () => {
  test("the RFC's example and libzmq's test keys", () => {
    expect(z85Encode(hex("864fd26fb559f75b"))).toBe("HelloWorld");
    expect(toHex(z85Decode("HelloWorld"))).toBe("864fd26fb559f75b");
    for (const k of [LIBZMQ.client, LIBZMQ.server]) {
      expect(z85Encode(hex(k.publicHex))).toBe(k.public);
      expect(z85Encode(hex(k.secretHex))).toBe(k.secret);
      expect(toHex(z85Decode(k.secret))).toBe(k.secretHex);
    }
  });

  test("round-trips every octet value; refuses bad lengths, characters and overflowing groups", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(z85Decode(z85Encode(all))).toEqual(all);
    expect(() => z85Encode(new Uint8Array(3))).toThrow("multiple of 4 octets, got 3");
    expect(() => z85Decode("Hello")).not.toThrow();
    expect(() => z85Decode("Hell")).toThrow("multiple of 5 characters long, got 4");
    expect(() => z85Decode("Hello Worl")).toThrow('outside the alphabet at 5: " "');
    expect(() => z85Decode("#####")).toThrow("worth more than 2^32 - 1");
    expect(toHex(z85Decode("%nSc0"))).toBe("ffffffff");
  });
});

describe("CURVE keys", () => {
  test("curvePublicKey derives libzmq's documented public keys from the secret keys", () => {
    expect(curvePublicKey(LIBZMQ.client.secret)).toBe(LIBZMQ.client.public);
    expect(curvePublicKey(LIBZMQ.server.secret)).toBe(LIBZMQ.server.public);
    expect(curvePublicKey(hex(LIBZMQ.server.secretHex))).toBe(LIBZMQ.server.public);
  });

  test("curveKeyPair gives 40-character Z85 keys that belong together, different each time", () => {
    const a = curveKeyPair();
    const b = curveKeyPair();
    expect(a.publicKey).toHaveLength(40);
    expect(a.secretKey).toHaveLength(40);
    expect(curvePublicKey(a.secretKey)).toBe(a.publicKey);
    expect(a.secretKey).not.toBe(b.secretKey);
  });

  test("box key: RFC 7748's Alice and Bob give NaCl's crypto_box_beforenm test key, from both sides", () => {
    const aliceSecret = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    const alicePublic = hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    const bobSecret = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    const bobPublic = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    const expected = "1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389";
    expect(toHex(boxKey(bobPublic, aliceSecret)!)).toBe(expected);
    expect(toHex(boxKey(alicePublic, bobSecret)!)).toBe(expected);
  });

  test("a low-order public key gives no box key instead of throwing", () => {
    expect(boxKey(new Uint8Array(32), newKeyPair().secretKey)).toBeNull();
  });
});

describe("boxes", () => {
  // Up to SODIUM_MAX_PLAINTEXT octets libsodium seals them, above it @noble/ciphers: both sides of the limit.
  const sizes = [0, 1, 15, 16, 31, 32, 33, 63, 64, 65, 100, 1000, 70_000, SODIUM_MAX_PLAINTEXT, SODIUM_MAX_PLAINTEXT + 1];
  const nonce = (prefix: string) => nonceOf(prefix, crypto.getRandomValues(new Uint8Array(8)));
  /** Where `needle` occurs in `haystack`, or -1. */
  const indexOf = (haystack: Uint8Array, needle: Uint8Array) => Buffer.from(haystack.buffer, haystack.byteOffset, haystack.length).indexOf(needle);

  test("sealInto(head, body) is byte for byte @noble/ciphers' xsalsa20poly1305 of head + body", () => {
    for (const size of sizes) {
      const key = crypto.getRandomValues(new Uint8Array(32));
      const n = nonce("CurveZMQMESSAGEC");
      const plaintext = crypto.getRandomValues(new Uint8Array(size));
      const head = plaintext.subarray(0, Math.min(1, size));
      const box = new Uint8Array(16 + size).fill(0xaa);
      sealInto(key, n, head, plaintext.subarray(head.length), box);
      const reference = xsalsa20poly1305(key, n).encrypt(plaintext);
      expect(Buffer.from(box).equals(Buffer.from(reference))).toBe(true);
    }
  });

  test("openInto opens what noble sealed; a flipped bit anywhere or another nonce does not open, and the output is wiped", () => {
    for (const size of [100, SODIUM_MAX_PLAINTEXT + 1]) {
      const key = crypto.getRandomValues(new Uint8Array(32));
      const n = nonce("CurveZMQMESSAGES");
      const plaintext = crypto.getRandomValues(new Uint8Array(size));
      const box = xsalsa20poly1305(key, n).encrypt(plaintext);
      const output = new Uint8Array(size);
      expect(openInto(key, n, box, output)).toBe(true);
      expect(Buffer.from(output).equals(Buffer.from(plaintext))).toBe(true);

      for (const bit of [0, 15 * 8 + 7, 16 * 8, (box.length - 1) * 8 + 3]) {
        const bad = box.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        const out = new Uint8Array(size).fill(0xaa);
        expect(openInto(key, n, bad, out)).toBe(false);
        expect(out.every((b) => b === 0)).toBe(true);
      }
      const other = n.slice();
      other[23]! ^= 1;
      expect(openInto(key, other, box, new Uint8Array(size))).toBe(false);
      expect(openInto(key, n, box.subarray(0, 15), new Uint8Array(0))).toBe(false);
    }
  });

  test("leave no key, secret key or plaintext in libsodium's WebAssembly heap", () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const n = nonce("CurveZMQMESSAGEC");
    const plaintext = crypto.getRandomValues(new Uint8Array(300));
    const box = new Uint8Array(316);
    sealInto(key, n, plaintext.subarray(0, 1), plaintext.subarray(1), box);
    const opened = new Uint8Array(300);
    expect(openInto(key, n, box, opened)).toBe(true);
    const pair = newKeyPair();
    const peer = newKeyPair();
    const shared = boxKey(peer.publicKey, pair.secretKey)!;
    for (const secret of [key, plaintext.subarray(0, 32), plaintext.subarray(268), pair.secretKey, peer.secretKey, shared]) {
      expect(indexOf(sodiumHeap(), secret)).toBe(-1);
    }
  });
});

describe("cookies", () => {
  const contents = () => ({ client: newKeyPair().publicKey, secret: newKeyPair().secretKey, hello: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1) });

  test("open once, with what was sealed; a replay, a flipped bit or a wrong length does not open", () => {
    const jar = new CookieJar(60_000, () => 0);
    const c = contents();
    const cookie = jar.seal(c.client, c.secret, c.hello);
    expect(cookie.length).toBe(COOKIE_SIZE);
    const flipped = cookie.slice();
    flipped[40]! ^= 4;
    expect(jar.open(flipped)).toBeNull();
    const opened = jar.open(cookie);
    expect(opened?.clientTransient).toEqual(c.client);
    expect(opened?.serverTransientSecret).toEqual(c.secret);
    expect(opened?.helloNonce).toEqual(c.hello);
    expect(jar.open(cookie)).toBeNull();
    expect(jar.open(cookie.subarray(0, 95))).toBeNull();
  });

  test("the key rotates: a cookie opens during its key's period and the next one, not later", () => {
    let now = 0;
    const jar = new CookieJar(1000, () => now);
    const early = contents();
    const late = contents();
    const first = jar.seal(early.client, early.secret, early.hello);
    const second = jar.seal(late.client, late.secret, late.hello);
    now = 1500; // rotated once: the first key is now the previous one
    expect(jar.open(first)).not.toBeNull();
    const fresh = contents();
    const third = jar.seal(fresh.client, fresh.secret, fresh.hello);
    now = 2600; // rotated again: the first key is gone
    expect(jar.open(second)).toBeNull();
    expect(jar.open(third)).not.toBeNull();
  });

  test("another jar (another socket or a restarted server) does not open them", () => {
    const c = contents();
    const cookie = new CookieJar().seal(c.client, c.secret, c.hello);
    expect(new CookieJar().open(cookie)).toBeNull();
  });
});

describe("MESSAGE codec", () => {
  function pair(maxMessageSize = -1) {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const client = new CurveCodec(key, "client", 3, { hi: 0, lo: 1 }, maxMessageSize);
    const server = new CurveCodec(key, "server", 2, { hi: 0, lo: 2 }, maxMessageSize);
    return { client, server };
  }
  /** Encodes with the codec and returns the wire frames (flags, body) as the decoder sees them. */
  function wire(fill: (out: OutBuffer) => void): { flags: number; body: Buffer }[] {
    const out = new OutBuffer();
    fill(out);
    const chunks: Buffer[] = [];
    out.flushTo({ write: (d) => (chunks.push(Buffer.from(d)), d.byteLength) });
    const frames: { flags: number; body: Buffer }[] = [];
    new FrameDecoder({ frame: (flags, body) => (frames.push({ flags, body: Buffer.from(body) }), true), malformed: (r) => { throw new Error(r); } }, -1).push(Buffer.concat(chunks));
    return frames;
  }

  test("one MESSAGE per frame, flags 0 outside, MORE and COMMAND inside, nonces 3, 4, 5...", () => {
    const { client, server } = pair();
    const frames = wire((out) => {
      client.sealMessage(out, ["id", "a", Buffer.alloc(300, 7)], 1);
      client.sealCommand(out, Buffer.from("\x04PING\x00\x00"));
    });
    expect(frames.map((f) => f.flags & ~FLAG_LONG)).toEqual([0, 0, 0]);
    expect(frames.map((f) => f.body.subarray(0, 8).toString("latin1"))).toEqual(["\x07MESSAGE", "\x07MESSAGE", "\x07MESSAGE"]);
    expect(frames.map((f) => f.body.readUInt32BE(12))).toEqual([3, 4, 5]);
    expect(frames.map((f) => f.body.length - MESSAGE_OVERHEAD)).toEqual([1, 300, 7]);
    const opened = frames.map((f) => {
      const body = server.open(f.flags, f.body);
      return { flags: server.flags, body: body?.toString("latin1") };
    });
    expect(opened).toEqual([
      { flags: FLAG_MORE, body: "a" },
      { flags: 0, body: "\x07".repeat(300) },
      { flags: FLAG_COMMAND, body: "\x04PING\x00\x00" },
    ]);
  });

  test("a replayed, reordered, altered, outer-MORE, misnamed, short or oversized MESSAGE is refused with a reason", () => {
    const { client, server } = pair(10);
    const frames = wire((out) => {
      for (const text of ["m1", "m2", "m3", "m4", "big message"]) client.sealMessage(out, [text], 0);
    });
    const [m1, m2, m3, m4, big] = frames as { flags: number; body: Buffer }[];
    expect(server.open(0, m2!.body)?.toString()).toBe("m2");
    expect(server.open(0, m2!.body)).toBeNull();
    expect(server.error).toContain("replayed or reordered");
    expect(server.open(0, m1!.body)).toBeNull();
    expect(server.error).toContain("must exceed 4, got 3");
    const altered = Buffer.from(m3!.body);
    altered[altered.length - 1]! ^= 0x10;
    expect(server.open(0, altered)).toBeNull();
    expect(server.error).toContain("box did not open");
    expect(server.open(FLAG_MORE, m4!.body)).toBeNull();
    expect(server.error).toContain("must not have the MORE flag");
    const renamed = Buffer.from(m4!.body);
    renamed.write("\x07MASSAGE", 0, "latin1");
    expect(server.open(0, renamed)).toBeNull();
    expect(server.error).toContain("Expected a CURVE MESSAGE command, got MASSAGE");
    expect(server.open(0, m4!.body.subarray(0, MESSAGE_OVERHEAD - 1))).toBeNull();
    expect(server.error).toContain(`at least ${MESSAGE_OVERHEAD} octets, got ${MESSAGE_OVERHEAD - 1}`);
    expect(server.open(0, big!.body)).toBeNull();
    expect(server.error).toContain("Frame of 11 octets exceeds maxMessageSize 10");
    expect(server.open(0, m4!.body)?.toString()).toBe("m4");
  });

  test("the server's boxes do not open as the client's (direction prefixes differ)", () => {
    const { client, server } = pair();
    const [frame] = wire((out) => client.sealMessage(out, ["x"], 0));
    const mirror = new CurveCodec(crypto.getRandomValues(new Uint8Array(32)), "client", 3, { hi: 0, lo: 0 }, -1);
    expect(mirror.open(0, frame!.body)).toBeNull();
    expect(server.open(0, frame!.body)?.toString()).toBe("x");
  });
});

describe("CURVE options", () => {
  const pair = curveKeyPair();
  const einval = (make: () => unknown, text: string) => {
    let caught: unknown;
    try {
      make();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ZmtpError);
    expect((caught as ZmtpError).code).toBe("EINVAL");
    expect((caught as ZmtpError).message).toContain(text);
  };

  test("say what is missing or wrong", () => {
    einval(() => new Router({ curveServer: true }), "A CURVE server needs curveSecretKey");
    einval(() => new Dealer({ curveServerKey: pair.publicKey }), "A CURVE client needs curveSecretKey");
    einval(() => new Router({ curveServer: true, curveServerKey: pair.publicKey, curveSecretKey: pair.secretKey }), "not both");
    einval(() => new Dealer({ curveSecretKey: pair.secretKey }), "without a role");
    einval(() => new Dealer({ curveServerKey: pair.publicKey, curveSecretKey: pair.secretKey, curveAllow: new Set() }), "curveAllow needs curveServer: true");
    einval(() => new Dealer({ curveServerKey: pair.publicKey.slice(1), curveSecretKey: pair.secretKey }), "curveServerKey must be 40 Z85 characters or 32 octets, got a string of 39 characters");
    einval(() => new Dealer({ curveServerKey: " ".repeat(40), curveSecretKey: pair.secretKey }), "curveServerKey is not valid Z85");
    einval(() => new Router({ curveServer: true, curveSecretKey: new Uint8Array(31) }), "got 31 octets");
    einval(() => new Router({ curveServer: true, curveSecretKey: pair.secretKey, curvePublicKey: curveKeyPair().publicKey }), `its public key is ${pair.publicKey}`);
  });

  test("accept Z85 strings and 32-octet arrays alike", () => {
    const router = new Router({ curveServer: true, curveSecretKey: z85Decode(pair.secretKey), curvePublicKey: pair.publicKey });
    const dealer = new Dealer({ curveServerKey: z85Decode(pair.publicKey), curveSecretKey: pair.secretKey });
    expect(router.securityMechanism).toBe("CURVE server");
    expect(dealer.securityMechanism).toBe("CURVE client");
    expect(new Dealer().securityMechanism).toBe("NULL");
    router.close();
    dealer.close();
  });
});
