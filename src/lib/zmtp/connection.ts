import type { Socket } from "bun";
import { FifoQueue } from "../fifo-queue.ts";
import { FLAG_COMMAND, FLAG_MORE, type FrameData } from "./frame.ts";
import { FrameDecoder, type FrameSink } from "./frame-decoder.ts";
import { OutBuffer } from "./frame-encoder.ts";
import { checkGreetingPrefix, encodeGreeting, GREETING_PREFIX_SIZE, GREETING_SIZE, parseGreeting } from "./greeting.ts";
import {
  encodeError,
  encodeReady,
  parseCommand,
  parseErrorReason,
  parseMetadata,
  pongFor,
  PROPERTY_IDENTITY,
  PROPERTY_SOCKET_TYPE,
} from "./commands.ts";
import { canPair, sendsIdentity, type SocketType } from "./socket-type.ts";

/** What a {@link Connection} needs from the ZeroMQ socket that owns it. */
export interface ConnectionOwner {
  readonly socketType: SocketType;
  /** Identity announced in READY (REQ, DEALER and ROUTER announce it, possibly empty). */
  readonly ownIdentity: Uint8Array;
  /** Largest accepted frame body; -1 for no limit. */
  readonly maxMessageSize: number;
  /** Milliseconds allowed from TCP connect to READY; 0 disables the limit. */
  readonly handshakeTimeout: number;
  /** The handshake completed. Return `false` to refuse the peer (the connection is closed). */
  connectionReady(conn: Connection): boolean;
  /** A complete message arrived. Return `false` to stop reading until {@link Connection.resumeReading}. */
  connectionMessage(conn: Connection, frames: Buffer[]): boolean;
  /** Everything queued on the connection was handed to the kernel. */
  connectionWritable(conn: Connection): void;
  /** The connection is gone (refused, failed, or closed by either side). Called once. */
  connectionClosed(conn: Connection, reason: string): void;
}

/** Where a connection is in its life. */
export type ConnectionPhase = "connecting" | "greeting" | "handshake" | "ready" | "closed";

const EMPTY = Buffer.alloc(0);

/**
 * One ZMTP 3.1 connection over one TCP socket: greeting, NULL handshake (READY/ERROR),
 * socket-type check, framing, PING/PONG, and batched writes with backpressure.
 * It knows nothing of REQ/REP semantics; it hands whole messages to its owner.
 */
export class Connection implements FrameSink {
  /** Current phase; messages flow only in "ready". */
  phase: ConnectionPhase = "connecting";
  /** Socket-Type the peer announced. */
  peerSocketType = "";
  /** Identity the peer announced (empty when none). */
  peerIdentity: Buffer = EMPTY;
  /** "major.minor" of the peer's greeting. */
  peerVersion = "";
  /** Routing id assigned by a ROUTER owner. */
  routingId: Buffer = EMPTY;
  /** Received messages not yet taken by the owner's `receive`. */
  readonly inbox = new FifoQueue<Buffer[]>();
  /** Why the connection closed, once closed. */
  closeReason = "";

  private sock: Socket<Connection> | null = null;
  private readonly decoder: FrameDecoder;
  private readonly out = new OutBuffer();
  private greeting: Buffer | null = Buffer.alloc(GREETING_SIZE);
  private greetingHave = 0;
  private parts: Buffer[] = [];
  private flushScheduled = false;
  private waitingForDrain = false;
  private readingPaused = false;
  private resumeScheduled = false;
  private handshakeTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * @param owner the ZeroMQ socket this connection belongs to
   * @param endpoint the address bound or connected to, for diagnostics and reconnects
   * @param outgoing true on the connecting side
   */
  constructor(
    private readonly owner: ConnectionOwner,
    readonly endpoint: string,
    readonly outgoing: boolean,
  ) {
    this.decoder = new FrameDecoder(this, owner.maxMessageSize);
  }

  /** Messages queued and not yet completely written to the kernel. */
  get queuedMessages(): number {
    return this.out.messages;
  }

  /** Whether reading is paused because the owner's receive queue for this peer is full. */
  get isReadingPaused(): boolean {
    return this.readingPaused;
  }

  /** Whether another message may be queued under the given high-water mark (0 = no limit). */
  canAccept(highWaterMark: number): boolean {
    return this.phase === "ready" && (highWaterMark <= 0 || this.out.messages < highWaterMark);
  }

  /** Binds the TCP socket once connected and sends our greeting. */
  attach(sock: Socket<Connection>): void {
    if (this.phase === "closed") {
      sock.end();
      return;
    }
    this.sock = sock;
    this.phase = "greeting";
    sock.setNoDelay(true);
    if (this.owner.handshakeTimeout > 0) {
      this.handshakeTimer = setTimeout(
        () => this.close(`No ZMTP handshake within ${this.owner.handshakeTimeout} ms`),
        this.owner.handshakeTimeout,
      );
    }
    this.out.appendRaw(encodeGreeting());
    this.flushNow();
  }

  /** Queues a message (frames from index `from`) and schedules a write. */
  send(frames: readonly FrameData[], from = 0): void {
    this.out.appendMessage(frames, from);
    this.scheduleFlush();
  }

  /** Called with every TCP chunk received. */
  onData(chunk: Buffer): void {
    if (this.phase === "greeting") {
      this.readGreeting(chunk);
    } else if (this.phase === "handshake" || this.phase === "ready") {
      this.decoder.push(chunk);
    }
  }

  /** The kernel accepts writes again after a partial write. */
  onDrain(): void {
    if (!this.waitingForDrain) return;
    this.waitingForDrain = false;
    this.flushNow();
  }

  /** The peer sent FIN. */
  onPeerEnd(): void {
    this.close("Peer closed the connection");
  }

  /** Bun reports the TCP socket closed. */
  onSocketClosed(error?: Error): void {
    this.finish(error ? `Connection lost: ${error.message}` : "Peer closed the connection");
  }

  /** The TCP connect failed. */
  onConnectFailed(error: Error): void {
    this.finish(`Connect to ${this.endpoint} failed: ${error.message}`);
  }

  /** Stops reading from the TCP socket (receive queue full). */
  pauseReading(): void {
    if (this.readingPaused) return;
    this.readingPaused = true;
    this.sock?.pause();
  }

  /** Resumes reading soon (in a microtask, so the caller's loop is not re-entered). */
  scheduleResume(): void {
    if (!this.readingPaused || this.resumeScheduled) return;
    this.resumeScheduled = true;
    queueMicrotask(() => {
      this.resumeScheduled = false;
      this.resumeReading();
    });
  }

  /** Resumes reading: decodes held-back input, then reads from TCP again. */
  resumeReading(): void {
    if (!this.readingPaused || this.phase === "closed") return;
    this.readingPaused = false;
    this.decoder.resume();
    if (!this.readingPaused) this.sock?.resume();
  }

  /** Writes what can be written now, then closes gracefully (FIN). */
  close(reason = "Closed locally"): void {
    if (this.phase === "closed") return;
    const sock = this.sock;
    if (sock !== null) {
      this.out.flushTo(sock);
      sock.end();
    }
    this.finish(reason);
  }

  // ---- FrameSink -------------------------------------------------------------------------

  /** @internal Decoder callback: one complete frame. */
  frame(flags: number, body: Buffer): boolean {
    if (this.phase === "ready") {
      if (flags & FLAG_COMMAND) return this.onCommand(body);
      this.parts.push(body);
      if (flags & FLAG_MORE) return true;
      const message = this.parts;
      this.parts = [];
      if (this.owner.connectionMessage(this, message)) return this.phase === "ready";
      this.pauseReading();
      return false;
    }
    if (this.phase === "handshake") return this.onHandshakeFrame(flags, body);
    return false;
  }

  /** @internal Decoder callback: the byte stream is not valid ZMTP. */
  malformed(reason: string): void {
    this.close(`Protocol error: ${reason}`);
  }

  // ---- internals -------------------------------------------------------------------------

  private readGreeting(chunk: Buffer): void {
    const greeting = this.greeting as Buffer;
    const take = Math.min(GREETING_SIZE - this.greetingHave, chunk.length);
    chunk.copy(greeting, this.greetingHave, 0, take);
    this.greetingHave += take;
    if (this.greetingHave >= GREETING_PREFIX_SIZE) {
      const prefixError = checkGreetingPrefix(greeting);
      if (prefixError !== null) return this.close(`Bad greeting: ${prefixError}`);
    }
    if (this.greetingHave < GREETING_SIZE) return;
    const result = parseGreeting(greeting);
    if (!result.ok) return this.close(`Bad greeting: ${result.reason}`);
    this.greeting = null;
    this.peerVersion = `${result.greeting.major}.${result.greeting.minor}`;
    this.phase = "handshake";
    const properties: [string, Uint8Array][] = [["Socket-Type", Buffer.from(this.owner.socketType)]];
    if (sendsIdentity(this.owner.socketType)) properties.push(["Identity", this.owner.ownIdentity]);
    this.out.appendCommand(encodeReady(properties));
    this.flushNow();
    if (take < chunk.length) this.decoder.push(chunk.subarray(take));
  }

  private onHandshakeFrame(flags: number, body: Buffer): boolean {
    if (!(flags & FLAG_COMMAND)) {
      this.close("Protocol error: message frame before the NULL handshake completed");
      return false;
    }
    const command = parseCommand(body);
    if (command === null) {
      this.close("Protocol error: malformed command during handshake");
      return false;
    }
    if (command.name === "ERROR") {
      this.close(`Peer refused the handshake: ${parseErrorReason(command.data)}`);
      return false;
    }
    if (command.name !== "READY") {
      this.close(`Protocol error: expected READY, got ${command.name}`);
      return false;
    }
    const metadata = parseMetadata(command.data);
    if (typeof metadata === "string") return this.refuse(metadata);
    const peerType = metadata.get(PROPERTY_SOCKET_TYPE)?.toString("latin1");
    if (peerType === undefined) return this.refuse("READY has no Socket-Type property");
    if (!canPair(this.owner.socketType, peerType)) {
      return this.refuse(`Invalid socket type: ${this.owner.socketType} does not accept ${peerType}`);
    }
    this.peerSocketType = peerType;
    const identity = metadata.get(PROPERTY_IDENTITY);
    this.peerIdentity = identity !== undefined && identity.length > 0 ? Buffer.from(identity) : EMPTY;
    this.phase = "ready";
    this.clearHandshakeTimer();
    if (!this.owner.connectionReady(this)) {
      this.close("Refused by the socket");
      return false;
    }
    return this.phase === "ready";
  }

  /** Sends ERROR with the reason, then closes. */
  private refuse(reason: string): false {
    this.out.appendCommand(encodeError(reason));
    this.close(reason);
    return false;
  }

  private onCommand(body: Buffer): boolean {
    const command = parseCommand(body);
    if (command === null) {
      this.close("Protocol error: malformed command");
      return false;
    }
    switch (command.name) {
      case "PING": {
        const pong = pongFor(command.data);
        if (pong === null) {
          this.close("Protocol error: PING without TTL");
          return false;
        }
        this.out.appendCommand(pong);
        this.scheduleFlush();
        return true;
      }
      case "ERROR":
        this.close(`Peer sent ERROR: ${parseErrorReason(command.data)}`);
        return false;
      default:
        // PONG and commands meant for other socket types (SUBSCRIBE...) are ignored, as libzmq does.
        return true;
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.waitingForDrain || this.sock === null) return;
    this.flushScheduled = true;
    setImmediate(this.flushNow);
  }

  private readonly flushNow = (): void => {
    this.flushScheduled = false;
    const sock = this.sock;
    if (sock === null || this.phase === "closed" || this.waitingForDrain) return;
    const hadMessages = this.out.messages > 0;
    const result = this.out.flushTo(sock);
    if (result === "partial") {
      this.waitingForDrain = true;
    } else if (result === "done" && hadMessages) {
      this.owner.connectionWritable(this);
    }
  };

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer !== null) {
      clearTimeout(this.handshakeTimer);
      this.handshakeTimer = null;
    }
  }

  private finish(reason: string): void {
    if (this.phase === "closed") return;
    this.phase = "closed";
    this.closeReason = reason;
    this.clearHandshakeTimer();
    this.decoder.stop();
    this.out.clear();
    this.parts = [];
    this.owner.connectionClosed(this, reason);
  }
}
