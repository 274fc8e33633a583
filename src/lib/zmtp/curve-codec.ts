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
 * The key is the connection's precomputed `beforenm` key, so a frame costs one
 * XSalsa20-Poly1305. Outgoing frames are encrypted in place in the write buffer; nonces are
 * written into reused buffers.
 */
import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { BOX_OVERHEAD, NONCE_SIZE } from "./curve-box.ts";
import { FLAG_COMMAND, FLAG_MORE, type FrameData } from "./frame.ts";
import type { OutBuffer } from "./frame-encoder.ts";
import { commandName, type ShortNonce } from "./curve-handshake.ts";

/** Octets a MESSAGE adds to a frame body: name (8), short nonce (8), tag (16), flags (1). */
export const MESSAGE_OVERHEAD = 8 + 8 + BOX_OVERHEAD + 1;

const NAME = Uint8Array.from(Buffer.from("\x07MESSAGE", "latin1"));
const INNER_MORE = 0x01;
const INNER_COMMAND = 0x02;
const TWO_POW_32 = 0x1_0000_0000;
const utf8 = new TextEncoder();

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
  private readonly sendNonce = new Uint8Array(NONCE_SIZE);
  private readonly sendView: DataView;
  private readonly receiveNonce = new Uint8Array(NONCE_SIZE);
  private readonly receiveCipher;
  private sendCounter: number;

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
    writeAscii(this.sendNonce, role === "client" ? "CurveZMQMESSAGEC" : "CurveZMQMESSAGES");
    writeAscii(this.receiveNonce, role === "client" ? "CurveZMQMESSAGES" : "CurveZMQMESSAGEC");
    this.sendView = new DataView(this.sendNonce.buffer);
    this.sendCounter = firstNonce;
    // decrypt() may be called many times on one instance; it reads receiveNonce as it is then.
    this.receiveCipher = xsalsa20poly1305(key, this.receiveNonce);
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
    if (frameFlags & FLAG_MORE) return this.fail("CURVE MESSAGE frames must not have the MORE flag (it travels inside the box)");
    if (body.length < MESSAGE_OVERHEAD) {
      return this.fail(`CURVE MESSAGE must be at least ${MESSAGE_OVERHEAD} octets, got ${body.length}`);
    }
    for (let i = 0; i < 8; i++) {
      if (body[i] !== NAME[i]) return this.fail(`Expected a CURVE MESSAGE command, got ${commandName(body)}`);
    }
    const hi = body.readUInt32BE(8);
    const lo = body.readUInt32BE(12);
    const last = this.peerNonce;
    if (hi < last.hi || (hi === last.hi && lo <= last.lo)) {
      return this.fail(`CURVE MESSAGE nonce must exceed ${last.hi * TWO_POW_32 + last.lo}, got ${hi * TWO_POW_32 + lo} (replayed or reordered)`);
    }
    this.receiveNonce.set(body.subarray(8, 16), 16);
    const output = new Uint8Array(body.length + BOX_OVERHEAD);
    try {
      this.receiveCipher.decrypt(body.subarray(16), output);
    } catch {
      return this.fail("CURVE MESSAGE box did not open (wrong key or altered octets)");
    }
    last.hi = hi;
    last.lo = lo;
    const inner = output[48] as number;
    if (inner & ~(INNER_MORE | INNER_COMMAND)) return this.fail(`CURVE MESSAGE flags must be 0-3, got ${inner}`);
    if (inner === (INNER_MORE | INNER_COMMAND)) return this.fail("A CURVE command must not have the MORE flag");
    const size = body.length - MESSAGE_OVERHEAD;
    if (this.maxMessageSize >= 0 && size > this.maxMessageSize) {
      return this.fail(`Frame of ${size} octets exceeds maxMessageSize ${this.maxMessageSize}`);
    }
    this.flags = (inner & INNER_MORE ? FLAG_MORE : 0) | (inner & INNER_COMMAND ? FLAG_COMMAND : 0);
    return Buffer.from(output.buffer, 49, size);
  }

  private sealBytes(out: OutBuffer, inner: number, data: Uint8Array): void {
    const size = data.byteLength + MESSAGE_OVERHEAD;
    const body = out.reserveFrame(0, size);
    body[32] = inner;
    body.set(data, 33);
    const counter = this.sendCounter++;
    const hi = Math.floor(counter / TWO_POW_32);
    const lo = counter >>> 0;
    this.sendView.setUint32(16, hi);
    this.sendView.setUint32(20, lo);
    xsalsa20poly1305(this.key, this.sendNonce).encrypt(body.subarray(32), body);
    body.set(NAME, 0);
    body.set(this.sendNonce.subarray(16), 8);
  }

  private hasNonces(n: number): boolean {
    return this.sendCounter + n < Number.MAX_SAFE_INTEGER;
  }

  private fail(reason: string): null {
    this.error = reason;
    return null;
  }
}

function writeAscii(target: Uint8Array, text: string): void {
  for (let i = 0; i < text.length; i++) target[i] = text.charCodeAt(i);
}
