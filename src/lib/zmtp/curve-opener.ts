/**
 * Received CURVE frames of one connection that arrived in bulk, between the frame decoder and
 * the connection's delivery of frames.
 *
 * The connection checks each MESSAGE's name, length and nonce in order as it is decoded
 * (`CurveCodec.check`) and queues it here; at the end of the received chunk the queue is
 * opened: a few frames right here, a batch (32 frames or 64 KiB) by the crypto worker, so
 * decryption runs beside the socket's own work. Frames are delivered in arrival order; a
 * failure (a check, or a box that does not open) is acted on after the frames before it.
 */
import { openBatch, regionOffsets, type OpenBatch, type Opened } from "./curve-batches.ts";
import { receiveBox, type CurveCodec } from "./curve-codec.ts";
import type { PrefixedBox } from "./curve-message-box.ts";
import { CryptoWorker } from "./curve-worker-client.ts";

const OFFLOAD_FRAMES = 32;
const OFFLOAD_BYTES = 64 * 1024;

/** Where opened frames go: the connection's delivery (false: stop, the connection closed). */
export interface OpenedSink {
  /** One decrypted frame; returns false once the connection is closed. */
  deliver(flags: number, body: Buffer): boolean;
  /** A frame was refused; the connection must be dropped with this reason. */
  refuse(reason: string): void;
}

/**
 * Bulk-received frames waiting to be opened.
 *
 * @example
 * ```ts
 * const queue = new OpenQueue(codec, sink);
 * if (codec.check(flags, body) === null) queue.add(body);
 * queue.flush(); // at the end of the chunk
 * ```
 */
export class OpenQueue {
  private bodies: Buffer[] = [];
  private bytes = 0;
  private inFlight = 0;
  /** A refusal waiting for the frames before it. */
  private refusal: string | null = null;
  private closed = false;
  private readonly box: PrefixedBox;

  constructor(
    private readonly codec: CurveCodec,
    private readonly sink: OpenedSink,
  ) {
    this.box = receiveBox(codec.sealing.key, codec.sealing.role);
  }

  /** Whether a refusal waits for the frames before it (decoding should stop). */
  get refusing(): boolean {
    return this.refusal !== null;
  }

  /** Whether frames are queued or being opened: later frames must queue behind them. */
  get busy(): boolean {
    return this.bodies.length > 0 || this.inFlight > 0 || this.refusal !== null;
  }

  /**
   * Takes a received frame. Opened now: returns its body (the codec's `flags` say what it is)
   * or `{ refused }`. In bulk, or behind frames still queued: checks and queues it and returns
   * "queued"; if refused, {@link refusing} turns true and the refusal comes (through the sink)
   * after the frames queued before it are delivered.
   */
  intake(flags: number, body: Buffer, bulk: boolean): Buffer | "queued" | { refused: string } {
    if (bulk || this.busy) {
      const refused = this.codec.check(flags, body);
      if (refused === null) this.add(body);
      else this.refuseAfter(`Protocol error: ${refused}`);
      return "queued";
    }
    return this.codec.open(flags, body) ?? { refused: `Protocol error: ${this.codec.error}` };
  }

  /** Queues a frame that passed `CurveCodec.check` (kept by reference until opened). */
  add(body: Buffer): void {
    this.bodies.push(body);
    this.bytes += body.length;
  }

  /** Refuses the connection once the frames queued before now are delivered. */
  refuseAfter(reason: string): void {
    this.refusal ??= reason;
  }

  /** Opens what is queued: here when few and nothing is in flight, else by the worker. */
  flush(): void {
    if (this.closed) return;
    if (this.bodies.length > 0) {
      const worker = this.inFlight > 0 || this.bodies.length >= OFFLOAD_FRAMES || this.bytes >= OFFLOAD_BYTES ? CryptoWorker.get("open") : null;
      const batch = this.take();
      if (worker === null) {
        this.deliver(batch, openBatch(batch, this.box));
      } else {
        this.inFlight++;
        worker.open(batch, (opened) => {
          this.inFlight--;
          if (!this.closed) this.deliver(batch, opened ?? openBatch(batch, this.box));
          if (!this.closed && this.inFlight === 0) this.flush();
        });
      }
    }
    if (this.inFlight === 0 && this.bodies.length === 0 && this.refusal !== null && !this.closed) {
      this.closed = true;
      this.sink.refuse(this.refusal);
    }
  }

  /** The connection is gone: nothing more is delivered. */
  close(): void {
    this.closed = true;
    this.bodies = [];
  }

  private take(): OpenBatch {
    const lens = Uint32Array.from(this.bodies, (b) => b.length);
    const bodies = new Uint8Array(this.bytes);
    let at = 0;
    for (const b of this.bodies) {
      bodies.set(b, at);
      at += b.length;
    }
    this.bodies = [];
    this.bytes = 0;
    const { key, role } = this.codec.sealing;
    return { key, role, bodies, lens };
  }

  private deliver(batch: OpenBatch, opened: Opened): void {
    const offsets = regionOffsets(batch.lens);
    const count = opened.failedAt < 0 ? batch.lens.length : opened.failedAt;
    for (let i = 0; i < count; i++) {
      const at = offsets[i] as number;
      const body = this.codec.opened(opened.plain.subarray(at, at + (batch.lens[i] as number)));
      if (body === null) return this.stop(`Protocol error: ${this.codec.error}`);
      if (!this.sink.deliver(this.codec.flags, body)) return this.close();
    }
    if (opened.failedAt >= 0) this.stop("Protocol error: CURVE MESSAGE box did not open (wrong key or altered octets)");
  }

  private stop(reason: string): void {
    this.close();
    this.sink.refuse(reason);
  }
}
