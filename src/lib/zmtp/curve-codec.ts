/**
 * CURVE MESSAGE commands (RFC 26 / RFC 25): once the handshake is done every frame, in both
 * directions, travels as
 *
 * ```
 * %x07 "MESSAGE"  short-nonce (8)  box(flags (1) + frame body)     box = tag (16) + ciphertext
 * ```
 *
 * sent in a frame of its own (flags 0, as libzmq does). The inner flags carry MORE (0x01) and
 * COMMAND (0x02). The box nonce is `"CurveZMQMESSAGEC"` (client to server) or
 * `"CurveZMQMESSAGES"` (server to client) + the short nonce, which must strictly increase.
 *
 * Each box is libsodium's `crypto_box_easy_afternm` (or its open) under the connection's
 * precomputed `beforenm` key (curve-box.ts, sodium.ts), as libzmq seals them. Outgoing frames
 * are sealed straight into the write buffer; incoming ones are opened into slices of a shared
 * slab; nonces are written into reused buffers.
 */
import { BOX_OVERHEAD, NONCE_SIZE, openInto, sealInto } from "./curve-box.ts";
import { FLAG_COMMAND, FLAG_MORE, type FrameData } from "./frame.ts";
import type { OutBuffer } from "./frame-encoder.ts";
import { commandName, type ShortNonce } from "./curve-handshake.ts";

/** Octets a MESSAGE adds to a frame body: name (8), short nonce (8), tag (16), flags (1). */
export const MESSAGE_OVERHEAD = 8 + 8 + BOX_OVERHEAD + 1;

const NAME = Uint8Array.from(Buffer.from("\x07MESSAGE", "latin1"));
const INNER_MORE = 0x01;
const INNER_COMMAND = 0x02;
/** The inner flags octet, by value, as the head of a box. */
const INNER_HEADS = [Uint8Array.of(0), Uint8Array.of(INNER_MORE), Uint8Array.of(INNER_COMMAND)];
const TWO_POW_32 = 0x1_0000_0000;
const CLIENT_PREFIX = "CurveZMQMESSAGEC";
const SERVER_PREFIX = "CurveZMQMESSAGES";
/** Decrypted frames are cut from slabs of this size (frames above a quarter get their own). */
const SLAB_SIZE = 64 * 1024;

/**
 * Encrypts outgoing frames and decrypts incoming ones for one CURVE connection.
 *
 * @example
 * ```ts
 * const codec = new CurveCodec(key, "client", 3, { hi: 0, lo: 1 }, -1);
 * codec.sealMessage(out, ["hello"], 0);
 * const body = codec.open(flags, frameBody); // plaintext frame, or null (see codec.error)
 * ```
 */
export class CurveCodec {
  /** Frame flags (MORE, COMMAND) of the frame {@link open} returned last. */
  flags = 0;
  /** Why {@link open} returned null. */
  error = "";
  /** Full 24-octet nonces: the direction's prefix, then the short nonce (octets 16-23). */
  private readonly sendNonce: Uint8Array;
  private readonly receiveNonce: Uint8Array;
  private sendCounter: number;
  private slab = new ArrayBuffer(SLAB_SIZE);
  private slabUsed = 0;

  /**
   * @param key the connection's `beforenm` key (transient keys of both sides)
   * @param role which side we are; picks the nonce prefixes
   * @param firstNonce our next short nonce (client: 3 after HELLO and INITIATE; server: 2 after READY)
   * @param peerNonce the peer's last short nonce (INITIATE's, or READY's); MESSAGEs must exceed it
   * @param maxMessageSize largest accepted frame body after decryption; -1 for no limit
   */
  constructor(
    private readonly key: Uint8Array,
    role: "client" | "server",
    firstNonce: number,
    private readonly peerNonce: ShortNonce,
    private readonly maxMessageSize: number,
  ) {
    this.sendNonce = messageNonce(role === "client" ? CLIENT_PREFIX : SERVER_PREFIX);
    this.receiveNonce = messageNonce(role === "client" ? SERVER_PREFIX : CLIENT_PREFIX);
    this.sendCounter = firstNonce;
  }

  /**
   * Appends a message, frames from index `from`, one MESSAGE per frame. Returns `false` (and
   * appends nothing) once our nonces would pass 2^53: the connection must then be dropped.
   */
  sealMessage(out: OutBuffer, frames: readonly FrameData[], from: number): boolean {
    if (!this.hasNonces(frames.length)) return false;
    const last = frames.length - 1;
    for (let i = from; i <= last; i++) {
      const frame = frames[i] as FrameData;
      const inner = i < last ? INNER_MORE : 0;
      if (typeof frame === "string") this.sealBytes(out, inner, Buffer.from(frame));
      else this.sealBytes(out, inner, frame);
    }
    out.endMessage();
    return true;
  }

  /** Appends a command (PING, PONG...) as a MESSAGE with the COMMAND flag; `false` as for messages. */
  sealCommand(out: OutBuffer, body: Uint8Array): boolean {
    if (!this.hasNonces(1)) return false;
    this.sealBytes(out, INNER_COMMAND, body);
    return true;
  }

  /**
   * Opens one received MESSAGE frame. Returns the frame body (sets {@link flags}), or `null`
   * with {@link error} set when the frame is not a MESSAGE, is too short, repeats or reorders
   * a nonce, does not decrypt, or carries unknown flags.
   */
  open(frameFlags: number, body: Buffer): Buffer | null {
    const refused = this.check(frameFlags, body);
    return refused === null ? this.decrypt(body) : this.fail(refused);
  }

  /**
   * The checks of {@link open} that need no decryption: MESSAGE name, lengths, the nonce
   * (which it takes as the peer's latest: a box that then fails to open drops the connection).
   * Returns why the frame is refused, or null.
   */
  check(frameFlags: number, body: Buffer): string | null {
    if (frameFlags & FLAG_MORE) return "CURVE MESSAGE frames must not have the MORE flag (it travels inside the box)";
    if (body.length < MESSAGE_OVERHEAD) return `CURVE MESSAGE must be at least ${MESSAGE_OVERHEAD} octets, got ${body.length}`;
    for (let i = 0; i < 8; i++) {
      if (body[i] !== NAME[i]) return `Expected a CURVE MESSAGE command, got ${commandName(body)}`;
    }
    const hi = body.readUInt32BE(8);
    const lo = body.readUInt32BE(12);
    const last = this.peerNonce;
    if (hi < last.hi || (hi === last.hi && lo <= last.lo)) {
      return `CURVE MESSAGE nonce must exceed ${last.hi * TWO_POW_32 + last.lo}, got ${hi * TWO_POW_32 + lo} (replayed or reordered)`;
    }
    const size = body.length - MESSAGE_OVERHEAD;
    if (this.maxMessageSize >= 0 && size > this.maxMessageSize) return `Frame of ${size} octets exceeds maxMessageSize ${this.maxMessageSize}`;
    last.hi = hi;
    last.lo = lo;
    return null;
  }

  /** Decrypts a frame that passed {@link check}; as {@link open}. */
  private decrypt(body: Buffer): Buffer | null {
    const nonce = this.receiveNonce;
    for (let i = 8; i < 16; i++) nonce[i + 8] = body[i] as number;
    // The plaintext: inner flags (1), then the frame body.
    const region = this.allocate(body.length - MESSAGE_OVERHEAD + 1);
    if (!openInto(this.key, nonce, body.subarray(16), region)) {
      return this.fail("CURVE MESSAGE box did not open (wrong key or altered octets)");
    }
    const inner = region[0] as number;
    if (inner & ~(INNER_MORE | INNER_COMMAND)) return this.fail(`CURVE MESSAGE flags must be 0-3, got ${inner}`);
    if (inner === (INNER_MORE | INNER_COMMAND)) return this.fail("A CURVE command must not have the MORE flag");
    this.flags = (inner & INNER_MORE ? FLAG_MORE : 0) | (inner & INNER_COMMAND ? FLAG_COMMAND : 0);
    return Buffer.from(region.buffer, region.byteOffset + 1, region.length - 1);
  }

  private sealBytes(out: OutBuffer, inner: number, data: Uint8Array): void {
    const body = out.reserveFrame(0, data.byteLength + MESSAGE_OVERHEAD);
    const nonce = this.sendNonce;
    const counter = this.sendCounter++;
    writeUint32(nonce, 16, Math.floor(counter / TWO_POW_32));
    writeUint32(nonce, 20, counter >>> 0);
    sealInto(this.key, nonce, INNER_HEADS[inner] as Uint8Array, data, body.subarray(16));
    body.set(NAME, 0);
    body.set(nonce.subarray(16), 8);
  }

  /** A region of `n` octets for one decrypted frame (it stays referenced by the frame). */
  private allocate(n: number): Uint8Array {
    if (n > SLAB_SIZE / 4) return new Uint8Array(new ArrayBuffer(n));
    if (this.slabUsed + n > SLAB_SIZE) {
      this.slab = new ArrayBuffer(SLAB_SIZE);
      this.slabUsed = 0;
    }
    const region = new Uint8Array(this.slab, this.slabUsed, n);
    this.slabUsed += n;
    return region;
  }

  private hasNonces(n: number): boolean {
    return this.sendCounter + n < Number.MAX_SAFE_INTEGER;
  }

  private fail(reason: string): null {
    this.error = reason;
    return null;
  }
}

/** A MESSAGE nonce buffer: `prefix` (16 ASCII octets), then 8 octets for the short nonce. */
function messageNonce(prefix: string): Uint8Array {
  const nonce = new Uint8Array(NONCE_SIZE);
  for (let i = 0; i < prefix.length; i++) nonce[i] = prefix.charCodeAt(i);
  return nonce;
}

function writeUint32(target: Uint8Array, at: number, value: number): void {
  target[at] = value >>> 24;
  target[at + 1] = (value >>> 16) & 0xff;
  target[at + 2] = (value >>> 8) & 0xff;
  target[at + 3] = value & 0xff;
}
