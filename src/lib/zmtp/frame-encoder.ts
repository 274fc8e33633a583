import { FifoQueue } from "../fifo-queue.ts";
import { FLAG_COMMAND, FLAG_LONG, FLAG_MORE, SHORT_FRAME_MAX, type FrameData } from "./frame.ts";

/** Anything that accepts bytes the way a Bun socket does: returns octets written, -1 if closed. */
export interface ByteSink {
  write(data: Uint8Array): number;
}

/** Outcome of {@link OutBuffer.flushTo}. */
export type FlushResult = "done" | "partial" | "closed";

const STAGE_SIZE = 128 * 1024;
/** Bodies at least this large are queued by reference instead of copied into the stage. */
const BY_REFERENCE = 64 * 1024;

/**
 * Encodes outgoing ZMTP frames into as few large writes as possible.
 *
 * Small frames (header and body) are copied into a reusable staging buffer, so a burst of
 * messages becomes one `write`. Bodies of 64 KiB or more are queued by reference (not copied):
 * do not modify such a buffer until it has been flushed. When the socket takes only part of a
 * chunk, the rest stays queued and is written on the next flush (after `drain`).
 *
 * @example
 * ```ts
 * const out = new OutBuffer();
 * out.appendMessage(["", "hello"]);
 * out.flushTo(socket); // "done" | "partial" | "closed"
 * ```
 */
export class OutBuffer {
  private readonly chunks = new FifoQueue<Uint8Array>();
  private stage = Buffer.allocUnsafe(STAGE_SIZE);
  private stageStart = 0;
  private stagePos = 0;
  private queuedMessages = 0;
  private queuedBytes = 0;

  /** Messages appended since the buffer was last completely flushed. */
  get messages(): number {
    return this.queuedMessages;
  }

  /** Octets waiting to be written. */
  get bytes(): number {
    return this.queuedBytes;
  }

  /** True when nothing is waiting to be written. */
  get isEmpty(): boolean {
    return this.queuedBytes === 0;
  }

  /**
   * Appends a message: every frame but the last gets the MORE flag.
   * @param from index of the first frame to send (a ROUTER skips the routing id)
   */
  appendMessage(frames: readonly FrameData[], from = 0): void {
    const last = frames.length - 1;
    for (let i = from; i <= last; i++) this.appendFrame(i < last ? FLAG_MORE : 0, frames[i] as FrameData);
    this.queuedMessages++;
  }

  /** Appends a command frame; `body` is the whole command (name size, name, data). */
  appendCommand(body: Uint8Array): void {
    this.appendFrame(FLAG_COMMAND, body);
  }

  /**
   * Appends the header of a frame whose body of `size` octets the caller writes into the
   * returned space before the next append or flush (an encrypting codec fills it in place).
   * Large bodies get their own buffer, queued by reference like large frames.
   */
  reserveFrame(flags: number, size: number): Uint8Array {
    if (size >= BY_REFERENCE) {
      this.writeHeader(flags, size, 0);
      this.seal();
      const body = new Uint8Array(size);
      this.chunks.push(body);
      this.queuedBytes += size;
      return body;
    }
    this.writeHeader(flags, size, size);
    const body = new Uint8Array(this.stage.buffer, this.stage.byteOffset + this.stagePos, size);
    this.stagePos += size;
    this.queuedBytes += size;
    return body;
  }

  /** Counts one complete message appended frame by frame with {@link reserveFrame}. */
  endMessage(): void {
    this.queuedMessages++;
  }

  /** Appends raw octets, used for the greeting. */
  appendRaw(data: Uint8Array): void {
    this.reserve(data.length);
    this.stage.set(data, this.stagePos);
    this.stagePos += data.length;
    this.queuedBytes += data.length;
  }

  /** Appends one frame with the given flags (LONG is added when needed). */
  appendFrame(flags: number, data: FrameData): void {
    if (typeof data === "string") {
      const size = Buffer.byteLength(data);
      if (size >= BY_REFERENCE) return this.appendFrame(flags, Buffer.from(data));
      this.writeHeader(flags, size, size);
      this.stagePos += this.stage.write(data, this.stagePos);
      this.queuedBytes += size;
      return;
    }
    const size = data.byteLength;
    if (size >= BY_REFERENCE) {
      this.writeHeader(flags, size, 0);
      this.seal();
      this.chunks.push(data);
      this.queuedBytes += size;
      return;
    }
    this.writeHeader(flags, size, size);
    this.stage.set(data, this.stagePos);
    this.stagePos += size;
    this.queuedBytes += size;
  }

  /**
   * Writes queued octets until done or the sink takes less than offered.
   * After "done" the staging buffer is reused.
   */
  flushTo(sink: ByteSink): FlushResult {
    this.seal();
    for (let chunk = this.chunks.peek(); chunk !== undefined; chunk = this.chunks.peek()) {
      const written = sink.write(chunk);
      if (written < 0) return "closed";
      this.queuedBytes -= written;
      if (written < chunk.byteLength) {
        this.chunks.replaceHead(chunk.subarray(written));
        return "partial";
      }
      this.chunks.shift();
    }
    this.stageStart = 0;
    this.stagePos = 0;
    this.queuedMessages = 0;
    this.queuedBytes = 0;
    return "done";
  }

  /** Drops everything queued. */
  clear(): void {
    this.chunks.clear();
    this.stageStart = 0;
    this.stagePos = 0;
    this.queuedMessages = 0;
    this.queuedBytes = 0;
  }

  /** Writes flags and size; `extra` is room to reserve for a body copied right after. */
  private writeHeader(flags: number, size: number, extra: number): void {
    const long = size > SHORT_FRAME_MAX;
    const headerSize = long ? 9 : 2;
    this.reserve(headerSize + extra);
    const s = this.stage;
    let p = this.stagePos;
    if (long) {
      s[p++] = flags | FLAG_LONG;
      s.writeUInt32BE(Math.floor(size / 0x1_0000_0000), p);
      s.writeUInt32BE(size >>> 0, p + 4);
      p += 8;
    } else {
      s[p++] = flags;
      s[p++] = size;
    }
    this.stagePos = p;
    this.queuedBytes += headerSize;
  }

  /** Makes room for `n` contiguous octets in the stage. */
  private reserve(n: number): void {
    if (this.stage.length - this.stagePos >= n) return;
    this.seal();
    this.stage = Buffer.allocUnsafe(Math.max(STAGE_SIZE, n));
    this.stageStart = 0;
    this.stagePos = 0;
  }

  /** Moves the filled part of the stage to the chunk queue. */
  private seal(): void {
    if (this.stagePos > this.stageStart) {
      this.chunks.push(this.stage.subarray(this.stageStart, this.stagePos));
      this.stageStart = this.stagePos;
    }
  }
}
