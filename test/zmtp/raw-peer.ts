/**
 * A hand-driven TCP peer for byte-level protocol tests: writes exactly the octets a test
 * gives it and lets the test wait for octets or for the connection to close.
 */
import type { Socket } from "bun";
import { encodeGreeting } from "../../src/lib/zmtp/greeting.ts";
import { encodeReady } from "../../src/lib/zmtp/commands.ts";

export class RawPeer {
  private received = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private sock: Socket<undefined> | null = null;
  private drained: (() => void) | null = null;
  /** Resolves when the TCP connection is closed by either side. */
  readonly closed: Promise<void>;
  private markClosed!: () => void;
  isClosed = false;

  private constructor() {
    this.closed = new Promise((resolve) => {
      this.markClosed = resolve;
    });
  }

  /** Connects to 127.0.0.1:port. */
  static async connect(port: number): Promise<RawPeer> {
    const peer = new RawPeer();
    peer.sock = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_s, chunk) => peer.onData(chunk),
        drain: () => peer.drained?.(),
        close: () => peer.onClose(),
        end: () => peer.onClose(),
        error: () => peer.onClose(),
      },
    });
    return peer;
  }

  /** Port number taken from a `tcp://host:port` endpoint. */
  static portOf(endpoint: string | null): number {
    return Number((endpoint ?? "").split(":").pop());
  }

  /** Writes octets (all of them; these tests write little). */
  write(bytes: Uint8Array): void {
    const n = this.sock?.write(bytes) ?? -1;
    if (n !== bytes.length) throw new Error(`Raw write took ${n} of ${bytes.length} octets`);
  }

  /**
   * Writes octets however many there are, waiting for the kernel to take them (for megabytes).
   * Rejects if the connection closes first.
   */
  async writeAll(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) {
      if (this.isClosed || this.sock === null) throw new Error(`Connection closed after writing ${at} of ${bytes.length} octets`);
      const drained = new Promise<void>((resolve) => {
        this.drained = resolve;
        void this.closed.then(resolve);
      });
      at += Math.max(0, this.sock.write(bytes.subarray(at)));
      if (at < bytes.length) await drained;
    }
    this.drained = null;
  }

  /** Waits for `n` octets and consumes them. Rejects if the connection closes first. */
  async read(n: number, timeoutMs = 5000): Promise<Buffer> {
    const deadline = performance.now() + timeoutMs;
    while (this.received.length < n) {
      if (this.isClosed) throw new Error(`Connection closed after ${this.received.length} of ${n} octets`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`Timed out waiting for ${n} octets, have ${this.received.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const out = this.received.subarray(0, n);
    this.received = this.received.subarray(n);
    return out;
  }

  /** Octets received and not yet read. */
  get unread(): number {
    return this.received.length;
  }

  /** Sends a greeting (optionally another minor version) and a READY for `socketType`. */
  handshake(socketType: string, options: { minor?: number; identity?: string } = {}): void {
    const greeting = encodeGreeting();
    greeting[11] = options.minor ?? 1;
    const props: [string, Uint8Array][] = [["Socket-Type", Buffer.from(socketType)]];
    if (options.identity !== undefined) props.push(["Identity", Buffer.from(options.identity)]);
    this.write(Buffer.concat([greeting, commandFrame(encodeReady(props))]));
  }

  close(): void {
    this.sock?.end();
  }

  private onData(chunk: Buffer): void {
    this.received = Buffer.concat([this.received, chunk]);
    this.wake?.();
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.markClosed();
    this.wake?.();
  }
}

/** Wraps a command body in a short or long command frame. */
export function commandFrame(body: Uint8Array): Buffer {
  if (body.length <= 255) return Buffer.concat([Buffer.from([0x04, body.length]), body]);
  const head = Buffer.alloc(9);
  head[0] = 0x06;
  head.writeBigUInt64BE(BigInt(body.length), 1);
  return Buffer.concat([head, body]);
}

/** Encodes message frames (short form) with MORE on all but the last. */
export function messageFrames(...parts: string[]): Buffer {
  return Buffer.concat(
    parts.map((p, i) => {
      const body = Buffer.from(p);
      return Buffer.concat([Buffer.from([i < parts.length - 1 ? 1 : 0, body.length]), body]);
    }),
  );
}
