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
 * The key is the connection's precomputed `beforenm` key (and the XSalsa20 subkey of each
 * direction's nonce prefix, see curve-message-box.ts), so a frame costs one Salsa20 pass and
 * one Poly1305. Outgoing frames are encrypted in place in the write buffer; incoming ones are
 * decrypted into slices of a shared slab; nonces are written into reused buffers.
 */
import { BOX_OVERHEAD } from "./curve-box.ts";
import { BOX_HEAD, PrefixedBox } from "./curve-message-box.ts";
import { FLAG_COMMAND, FLAG_MORE, type FrameData } from "./frame.ts";
import type { OutBuffer } from "./frame-encoder.ts";
import { commandName, type ShortNonce } from "./curve-handshake.ts";

/** Octets a MESSAGE adds to a frame body: name (8), short nonce (8), tag (16), flags (1). */
export const MESSAGE_OVERHEAD = 8 + 8 + BOX_OVERHEAD + 1;

const NAME = Uint8Array.from(Buffer.from("\x07MESSAGE", "latin1"));
const INNER_MORE = 0x01;
const INNER_COMMAND = 0x02;
const TWO_POW_32 = 0x1_0000_0000;
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
  private readonly sendBox: PrefixedBox;
  private readonly receiveBox: PrefixedBox;
  private readonly sendNonce = new Uint8Array(8);
  private readonly receiveNonce = new Uint8Array(8);
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
    key: Uint8Array,
    role: "client" | "server",
    firstNonce: number,
    private readonly peerNonce: ShortNonce,
    private readonly maxMessageSize: number,
  ) {
    this.sendBox = sendBox(key, role);
    this.receiveBox = receiveBox(key, role);
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
  decrypt(body: Buffer): Buffer | null {
    this.receiveNonce.set(body.subarray(8, 16));
    const output = this.allocate(body.length);
    // A plain view: @noble copies Buffer subclasses through the slow iterator path.
    const input = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    if (!this.receiveBox.open(this.receiveNonce, input, output)) {
      return this.fail("CURVE MESSAGE box did not open (wrong key or altered octets)");
    }
    return this.opened(output);
  }

  /**
   * A decrypted frame: `region` = `[32 octets][inner flags][body]` (as a box opens). Returns
   * the body (sets {@link flags}), or null (sets {@link error}) for unknown inner flags.
   */
  opened(region: Uint8Array): Buffer | null {
    const inner = region[BOX_HEAD] as number;
    if (inner & ~(INNER_MORE | INNER_COMMAND)) return this.fail(`CURVE MESSAGE flags must be 0-3, got ${inner}`);
    if (inner === (INNER_MORE | INNER_COMMAND)) return this.fail("A CURVE command must not have the MORE flag");
    this.flags = (inner & INNER_MORE ? FLAG_MORE : 0) | (inner & INNER_COMMAND ? FLAG_COMMAND : 0);
    return Buffer.from(region.buffer, region.byteOffset + BOX_HEAD + 1, region.length - BOX_HEAD - 1);
  }

  private sealBytes(out: OutBuffer, inner: number, data: Uint8Array): void {
    const body = out.reserveFrame(0, data.byteLength + MESSAGE_OVERHEAD);
    sealInto(body, this.sendBox, this.sendNonce, this.sendCounter++, inner, data);
  }

  /** An 8-aligned region of `n` octets for one decrypted frame (it stays referenced by the frame). */
  private allocate(n: number): Uint8Array {
    if (n > SLAB_SIZE / 4) return new Uint8Array(new ArrayBuffer(n));
    if (this.slabUsed + n > SLAB_SIZE) {
      this.slab = new ArrayBuffer(SLAB_SIZE);
      this.slabUsed = 0;
    }
    const region = new Uint8Array(this.slab, this.slabUsed, n);
    this.slabUsed += (n + 7) & ~7;
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

/**
 * The box our side seals MESSAGEs with.
 *
 * @example
 * ```ts
 * const box = sendBox(key, "client"); // nonce prefix "CurveZMQMESSAGEC"
 * ```
 */
export function sendBox(key: Uint8Array, role: "client" | "server"): PrefixedBox {
  return new PrefixedBox(key, role === "client" ? "CurveZMQMESSAGEC" : "CurveZMQMESSAGES");
}

/**
 * The box our side opens the peer's MESSAGEs with.
 *
 * @example
 * ```ts
 * const box = receiveBox(key, "client"); // nonce prefix "CurveZMQMESSAGES"
 * ```
 */
export function receiveBox(key: Uint8Array, role: "client" | "server"): PrefixedBox {
  return new PrefixedBox(key, role === "client" ? "CurveZMQMESSAGES" : "CurveZMQMESSAGEC");
}

/**
 * Writes one MESSAGE command into `body` (exactly `data.length + MESSAGE_OVERHEAD` octets):
 * name, short nonce `counter`, then the box of `inner` flags + `data`. `nonce` is scratch.
 *
 * @example
 * ```ts
 * sealInto(out.reserveFrame(0, data.length + MESSAGE_OVERHEAD), box, scratch8, 3, 0, data);
 * ```
 */
export function sealInto(body: Uint8Array, box: PrefixedBox, nonce: Uint8Array, counter: number, inner: number, data: Uint8Array): void {
  body[BOX_HEAD] = inner;
  body.set(data, BOX_HEAD + 1);
  const view = new DataView(nonce.buffer, nonce.byteOffset, 8);
  view.setUint32(0, Math.floor(counter / TWO_POW_32));
  view.setUint32(4, counter >>> 0);
  box.seal(nonce, body);
  body.set(NAME, 0);
  body.set(nonce, 8);
}
