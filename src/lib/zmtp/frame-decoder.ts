import { constants } from "node:buffer";
import { FLAG_COMMAND, FLAG_LONG, FLAG_MORE, FLAGS_RESERVED } from "./frame.ts";

/** Receives what a {@link FrameDecoder} decodes. */
export interface FrameSink {
  /**
   * Called for each complete frame. `body` is a view into the received chunk when the
   * frame arrived in one piece (no copy), so it stays valid as long as it is referenced.
   * Return `false` to pause decoding: the rest of the input is kept until {@link FrameDecoder.resume}.
   */
  frame(flags: number, body: Buffer): boolean;
  /** The stream violates ZMTP framing; decoding has stopped for good. */
  malformed(reason: string): void;
}

const TWO_POW_32 = 0x1_0000_0000;

/**
 * Incremental ZMTP frame decoder: feed it TCP chunks as they come; it handles frames split
 * across chunks (even inside the size field) and many frames per chunk.
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder({ frame: (flags, body) => { handle(flags, body); return true; },
 *   malformed: (why) => socket.end() }, -1);
 * socket.on("data", (chunk) => decoder.push(chunk));
 * ```
 */
export class FrameDecoder {
  private readonly header = Buffer.alloc(9);
  private headerHave = 0;
  /** Body octets still missing for the current frame, or -1 while reading a header. */
  private bodyLeft = -1;
  private bodyFlags = 0;
  private bodySize = 0;
  private bodyParts: Buffer[] = [];
  private backlog: Buffer[] = [];
  private paused = false;
  private stopped = false;

  /**
   * @param sink receives frames and errors
   * @param maxFrameSize largest accepted frame body in octets; -1 for no limit (beyond what a
   *   Buffer can hold)
   */
  constructor(
    private readonly sink: FrameSink,
    private readonly maxFrameSize: number,
  ) {}

  /** True while the sink asked to pause and input is being held back. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Octets received but not yet decoded because the decoder is paused. */
  get backlogSize(): number {
    let n = 0;
    for (const b of this.backlog) n += b.length;
    return n;
  }

  /** Feeds one received chunk. */
  push(chunk: Buffer): void {
    if (this.stopped) return;
    if (this.paused) {
      this.backlog.push(chunk);
      return;
    }
    this.consume(chunk);
  }

  /** Continues decoding held-back input after the sink returned `false`. */
  resume(): void {
    if (!this.paused || this.stopped) return;
    this.paused = false;
    while (this.backlog.length > 0 && !this.paused && !this.stopped) {
      const chunk = this.backlog.shift();
      if (chunk !== undefined) this.consume(chunk);
    }
  }

  /** Stops decoding for good and drops buffered input. */
  stop(): void {
    this.stopped = true;
    this.backlog = [];
    this.bodyParts = [];
  }

  private consume(chunk: Buffer): void {
    const len = chunk.length;
    let pos = 0;
    while (pos < len && !this.stopped) {
      if (this.bodyLeft >= 0) {
        const take = Math.min(this.bodyLeft, len - pos);
        this.bodyParts.push(chunk.subarray(pos, pos + take));
        pos += take;
        this.bodyLeft -= take;
        if (this.bodyLeft > 0) return;
        const parts = this.bodyParts;
        this.bodyParts = [];
        this.bodyLeft = -1;
        const body = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, this.bodySize);
        if (!this.deliver(this.bodyFlags, body, chunk, pos)) return;
        continue;
      }
      if (this.headerHave === 0) {
        // Fast path: the whole header (and maybe the body) is in this chunk.
        const flags = chunk[pos] as number;
        const headerSize = flags & FLAG_LONG ? 9 : 2;
        if (len - pos >= headerSize) {
          if (!this.checkFlags(flags)) return;
          const size = headerSize === 2 ? (chunk[pos + 1] as number) : readLongSize(chunk, pos + 1);
          if (!this.checkSize(size)) return;
          pos += headerSize;
          if (len - pos >= size) {
            const body = chunk.subarray(pos, pos + size);
            pos += size;
            if (!this.deliver(flags, body, chunk, pos)) return;
          } else {
            this.startBody(flags, size);
          }
          continue;
        }
      }
      // Slow path: the header is split across chunks; collect it octet by octet.
      this.header[this.headerHave++] = chunk[pos++] as number;
      const flags = this.header[0] as number;
      if (this.headerHave === 1 && !this.checkFlags(flags)) return;
      const headerSize = flags & FLAG_LONG ? 9 : 2;
      if (this.headerHave < headerSize) continue;
      this.headerHave = 0;
      const size = headerSize === 2 ? (this.header[1] as number) : readLongSize(this.header, 1);
      if (!this.checkSize(size)) return;
      if (size === 0) {
        if (!this.deliver(flags, Buffer.alloc(0), chunk, pos)) return;
      } else {
        this.startBody(flags, size);
      }
    }
  }

  private startBody(flags: number, size: number): void {
    this.bodyFlags = flags;
    this.bodySize = size;
    this.bodyLeft = size;
  }

  /** Hands a frame to the sink; on pause keeps the rest of `chunk` from `pos`. */
  private deliver(flags: number, body: Buffer, chunk: Buffer, pos: number): boolean {
    if (this.sink.frame(flags, body)) return true;
    if (!this.stopped) {
      this.paused = true;
      if (pos < chunk.length) this.backlog.unshift(chunk.subarray(pos));
    }
    return false;
  }

  private checkFlags(flags: number): boolean {
    if (flags & FLAGS_RESERVED) {
      this.fail(`Frame flags must have bits 7-3 clear, got 0x${flags.toString(16)}`);
      return false;
    }
    if (flags & FLAG_COMMAND && flags & FLAG_MORE) {
      this.fail("A command frame must not have the MORE flag");
      return false;
    }
    return true;
  }

  private checkSize(size: number): boolean {
    if (this.maxFrameSize >= 0 && size > this.maxFrameSize) {
      this.fail(`Frame of ${size} octets exceeds maxMessageSize ${this.maxFrameSize}`);
      return false;
    }
    if (size > constants.MAX_LENGTH || !Number.isSafeInteger(size)) {
      this.fail(`Frame of ${size} octets is larger than this process can hold`);
      return false;
    }
    return true;
  }

  private fail(reason: string): void {
    this.stop();
    this.sink.malformed(reason);
  }
}

/** Reads an 8-octet network-order size (may exceed 2^53; the caller rejects that). */
function readLongSize(b: Buffer, at: number): number {
  return b.readUInt32BE(at) * TWO_POW_32 + b.readUInt32BE(at + 4);
}
