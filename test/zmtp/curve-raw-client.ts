/**
 * A CURVE client written out step by step over a {@link RawPeer}, for byte-level tests and the
 * handshake fuzzer: it builds HELLO and INITIATE itself (so a test can change any octet, nonce,
 * vouch or cookie), opens WELCOME and READY, and seals and opens MESSAGEs.
 * Built on the library's box helpers; the layouts are RFC 26's (see curve-handshake.ts).
 */
import { encodeMetadata } from "../../src/lib/zmtp/commands.ts";
import { boxKey, KEY_SIZE, newKeyPair, nonceOf, open, randomBytes, seal, type RawKeyPair } from "../../src/lib/zmtp/curve-box.ts";
import { CurveCodec } from "../../src/lib/zmtp/curve-codec.ts";
import { commandHead, concat, readShortNonce, shortNonce } from "../../src/lib/zmtp/curve-handshake.ts";
import { OutBuffer } from "../../src/lib/zmtp/frame-encoder.ts";
import { encodeGreeting } from "../../src/lib/zmtp/greeting.ts";
import { z85Decode } from "../../src/lib/zmtp/index.ts";
import { commandFrame, RawPeer } from "./raw-peer.ts";

/** What a client needs: the server's public key and its own long-term pair (raw octets). */
export interface RawCurveKeys {
  readonly server: Uint8Array;
  readonly client: RawKeyPair;
}

/** Z85 keys as raw octets. */
export function rawKeys(serverPublic: string, client: { publicKey: string; secretKey: string }): RawCurveKeys {
  return { server: z85Decode(serverPublic), client: { publicKey: z85Decode(client.publicKey), secretKey: z85Decode(client.secretKey) } };
}

/** The state after WELCOME: what INITIATE needs. */
export interface Welcome {
  readonly serverTransient: Uint8Array;
  readonly cookie: Uint8Array;
  readonly sessionKey: Uint8Array;
}

/**
 * One client's transient key pair; a HELLO made with it can be sent on many connections
 * (the server keeps no state), and this object opens every WELCOME answering it.
 */
export class RawCurveClient {
  readonly transient = newKeyPair();
  private readonly helloKey: Uint8Array;

  constructor(readonly keys: RawCurveKeys) {
    this.helloKey = boxKey(keys.server, this.transient.secretKey) as Uint8Array;
  }

  /** The greeting of a CURVE client. */
  static greeting(): Buffer {
    return encodeGreeting("CURVE", false);
  }

  /** A HELLO command body with the given short nonce. */
  hello(nonce = 1): Uint8Array {
    const n = shortNonce(nonce);
    const signature = seal(this.helloKey, nonceOf("CurveZMQHELLO---", n), new Uint8Array(64));
    return concat(commandHead("HELLO"), Uint8Array.of(1, 0), new Uint8Array(72), this.transient.publicKey, n, signature);
  }

  /** Opens a WELCOME body; null when it does not open. */
  welcome(body: Uint8Array): Welcome | null {
    if (body.length !== 168) return null;
    const plaintext = open(this.helloKey, nonceOf("WELCOME-", body.subarray(8, 24)), body.subarray(24));
    if (plaintext === null) return null;
    const serverTransient = plaintext.slice(0, KEY_SIZE);
    return { serverTransient, cookie: plaintext.slice(KEY_SIZE), sessionKey: boxKey(serverTransient, this.transient.secretKey) as Uint8Array };
  }

  /**
   * An INITIATE body. `change` lets a test vouch for another transient key or server, use
   * another cookie, nonce or long-term key, or send other metadata.
   */
  initiate(
    welcome: Welcome,
    socketType: string,
    change: { nonce?: number; cookie?: Uint8Array; vouchTransient?: Uint8Array; vouchServer?: Uint8Array; longTerm?: RawKeyPair; metadata?: Uint8Array } = {},
  ): Uint8Array {
    const longTerm = change.longTerm ?? this.keys.client;
    const vouchNonce = randomBytes(16);
    const vouchKey = boxKey(welcome.serverTransient, longTerm.secretKey) as Uint8Array;
    const vouch = seal(vouchKey, nonceOf("VOUCH---", vouchNonce), concat(change.vouchTransient ?? this.transient.publicKey, change.vouchServer ?? this.keys.server));
    const metadata = change.metadata ?? encodeMetadata([["Socket-Type", Buffer.from(socketType)], ["Identity", new Uint8Array(0)]]);
    const n = shortNonce(change.nonce ?? 2);
    const box = seal(welcome.sessionKey, nonceOf("CurveZMQINITIATE", n), concat(longTerm.publicKey, vouchNonce, vouch, metadata));
    return concat(commandHead("INITIATE"), change.cookie ?? welcome.cookie, n, box);
  }

  /** Opens a READY body into its metadata octets (null when it does not open) and its nonce. */
  ready(welcome: Welcome, body: Uint8Array): { metadata: Uint8Array; nonce: { hi: number; lo: number } } | null {
    const metadata = open(welcome.sessionKey, nonceOf("CurveZMQREADY---", body.subarray(6, 14)), body.subarray(14));
    return metadata === null ? null : { metadata, nonce: readShortNonce(body, 6) };
  }
}

/** A raw TCP connection that speaks CURVE frames. */
export class RawCurveConnection {
  private constructor(readonly peer: RawPeer) {}

  static async open(port: number): Promise<RawCurveConnection> {
    return new RawCurveConnection(await RawPeer.connect(port));
  }

  /** Sends our greeting and reads the server's. */
  async greet(greeting: Uint8Array = RawCurveClient.greeting()): Promise<Buffer> {
    this.peer.write(greeting);
    return this.peer.read(64);
  }

  /** Sends a command frame. */
  command(body: Uint8Array): void {
    this.peer.write(commandFrame(body));
  }

  /** Reads one frame: flags and body. */
  async frame(): Promise<{ flags: number; body: Buffer }> {
    const head = await this.peer.read(2);
    const flags = head[0] as number;
    let size = head[1] as number;
    if (flags & 0x02) {
      const rest = await this.peer.read(7);
      size = Buffer.concat([head.subarray(1), rest]).readUInt32BE(4);
    }
    return { flags, body: Buffer.from(await this.peer.read(size)) };
  }

  /** Runs the whole handshake with `client`; returns a codec for MESSAGEs, and the commands sent. */
  async handshake(client: RawCurveClient, socketType: string): Promise<{ codec: CurveCodec; hello: Uint8Array; initiate: Uint8Array; welcome: Welcome }> {
    await this.greet();
    const hello = client.hello();
    this.command(hello);
    const welcome = client.welcome((await this.frame()).body);
    if (welcome === null) throw new Error("WELCOME did not open");
    const initiate = client.initiate(welcome, socketType);
    this.command(initiate);
    const ready = client.ready(welcome, (await this.frame()).body);
    if (ready === null) throw new Error("READY did not open");
    return { codec: new CurveCodec(welcome.sessionKey, "client", 3, ready.nonce, -1), hello, initiate, welcome };
  }

  /** Seals a message with `codec` and returns the wire octets (not sent). */
  static sealed(codec: CurveCodec, frames: (string | Uint8Array)[]): Buffer {
    const out = new OutBuffer();
    codec.sealMessage(out, frames, 0);
    const chunks: Buffer[] = [];
    out.flushTo({ write: (d) => (chunks.push(Buffer.from(d)), d.byteLength) });
    return Buffer.concat(chunks);
  }

  /** Reads one MESSAGE and opens it with `codec`. */
  async message(codec: CurveCodec): Promise<{ flags: number; body: Buffer }> {
    const { flags, body } = await this.frame();
    const opened = codec.open(flags, body);
    if (opened === null) throw new Error(codec.error);
    return { flags: codec.flags, body: opened };
  }

  close(): void {
    this.peer.close();
  }
}
