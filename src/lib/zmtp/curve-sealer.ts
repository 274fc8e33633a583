/**
 * Outgoing CURVE frames of one connection, between `send` and the write buffer.
 *
 * Sends are copied here and sealed when the connection flushes: a few frames right there on
 * the socket's thread (one round trip costs no thread hop); a burst goes to the crypto worker
 * (curve-worker-client.ts) in batches of 256 frames or 256 KiB as soon as a batch is full, so
 * encryption runs beside the socket's own work (receiving, decrypting) as it does on libzmq's
 * I/O thread. Nonces are given out in send order and batches come
 * back in order, so the wire sees them strictly increasing. If the worker cannot be had,
 * batches are sealed here instead.
 */
import { sendBox, type CurveCodec } from "./curve-codec.ts";
import type { PrefixedBox } from "./curve-message-box.ts";
import { sealBatch, type SealBatch } from "./curve-batches.ts";
import { CryptoWorker } from "./curve-worker-client.ts";
import type { OutBuffer } from "./frame-encoder.ts";
import type { FrameData } from "./frame.ts";

const OFFLOAD_FRAMES = 256;
const OFFLOAD_BYTES = 256 * 1024;
const SHRINK_ABOVE = 1024 * 1024;
const INNER_MORE = 0x01;
const INNER_COMMAND = 0x02;

/**
 * The frames one connection has been asked to send and has not yet handed to its write buffer.
 *
 * @example
 * ```ts
 * const queue = new SealQueue(codec);
 * queue.add(["hello"], 0);
 * queue.drain(out, () => flush(), (why) => close(why)); // sealed now, or later by the worker
 * ```
 */
export class SealQueue {
  private plain = new Uint8Array(new ArrayBuffer(4096));
  private used = 0;
  private lens: number[] = [];
  private inners: number[] = [];
  private queuedMessages = 0;
  private inFlight = 0;
  private inFlightMessages = 0;
  private closed = false;
  private readonly box: PrefixedBox;

  constructor(private readonly codec: CurveCodec) {
    this.box = sendBox(codec.sealing.key, codec.sealing.role);
  }

  /** Messages not yet in the write buffer (queued here or being sealed by the worker). */
  get messages(): number {
    return this.queuedMessages + this.inFlightMessages;
  }

  /** Whether enough is queued to hand a batch to the worker now, rather than at the next flush. */
  get full(): boolean {
    return this.lens.length >= OFFLOAD_FRAMES || this.used >= OFFLOAD_BYTES;
  }

  /** Queues a message (frames from index `from`); the octets are copied now. */
  add(frames: readonly FrameData[], from: number): void {
    const last = frames.length - 1;
    for (let i = from; i <= last; i++) this.push(frames[i] as FrameData, i < last ? INNER_MORE : 0);
    this.queuedMessages++;
  }

  /** Queues a command (PONG) behind the messages already queued. */
  addCommand(body: Uint8Array): void {
    this.push(body, INNER_COMMAND);
  }

  /**
   * Moves what is queued towards `out`: sealed into it now, or sent to the worker, after which
   * `ready` is called once `out` has the octets. `failed` is called when nonces run out.
   */
  drain(out: OutBuffer, ready: () => void, failed: (reason: string) => void): void {
    const frames = this.lens.length;
    if (frames === 0) return;
    const worker = this.inFlight > 0 || frames >= OFFLOAD_FRAMES || this.used >= OFFLOAD_BYTES ? CryptoWorker.get("seal") : null;
    const first = this.codec.reserveNonces(frames);
    if (first < 0) return failed("CURVE nonces exhausted; reconnecting");
    const { key, role } = this.codec.sealing;
    const messages = this.queuedMessages;
    // The worker's batch keeps its own copy of the octets (for sealing here should the worker fail).
    const plain = worker === null ? this.plain.subarray(0, this.used) : this.plain.slice(0, this.used);
    const batch: SealBatch = { key, role, firstNonce: first, plain, lens: Uint32Array.from(this.lens), inners: Uint8Array.from(this.inners) };
    this.used = 0;
    this.lens = [];
    this.inners = [];
    this.queuedMessages = 0;
    if (worker === null) {
      out.appendEncoded(sealBatch(batch, this.box), messages);
    } else {
      this.inFlight++;
      this.inFlightMessages += messages;
      worker.seal(batch, (wire) => {
        this.inFlight--;
        this.inFlightMessages -= messages;
        if (this.closed) return;
        out.appendEncoded(wire ?? sealBatch(batch, this.box), messages);
        ready();
      });
    }
    // A burst of large messages does not keep its staging memory afterwards.
    if (this.plain.length > SHRINK_ABOVE) this.plain = new Uint8Array(new ArrayBuffer(4096));
  }

  /** The connection is gone: batches coming back are dropped. */
  close(): void {
    this.closed = true;
  }

  private push(data: FrameData, inner: number): void {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    this.reserve(bytes.byteLength);
    this.plain.set(bytes, this.used);
    this.used += bytes.byteLength;
    this.lens.push(bytes.byteLength);
    this.inners.push(inner);
  }

  private reserve(n: number): void {
    if (this.plain.length - this.used >= n) return;
    const bigger = new Uint8Array(new ArrayBuffer(Math.max(this.plain.length * 2, this.used + n)));
    bigger.set(this.plain.subarray(0, this.used));
    this.plain = bigger;
  }
}
