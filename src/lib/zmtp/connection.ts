import type { Socket } from "bun";
import { FifoQueue } from "../fifo-queue.ts";
import { FLAG_COMMAND, FLAG_MORE, type FrameData } from "./frame.ts";
import { FrameDecoder, type FrameSink } from "./frame-decoder.ts";
import { OutBuffer, type FlushResult } from "./frame-encoder.ts";
import { encodeGreeting, GreetingReader } from "./greeting.ts";
import { encodeError, readyCommand, type Properties } from "./commands.ts";
import type { CurveCodec } from "./curve-codec.ts";
import { MESSAGE_OVERHEAD } from "./curve-codec.ts";
import type { HandshakeFailure, HandshakeOutput, HandshakeStep, Mechanism } from "./mechanism.ts";
import { newMechanism, type Security } from "./security.ts";
import { peerProperties, sendsIdentity, type SocketType } from "./socket-type.ts";

/** What a {@link Connection} needs from the ZeroMQ socket that owns it. */
export interface ConnectionOwner {
  readonly socketType: SocketType;
  /** Identity announced in READY (REQ, DEALER and ROUTER announce it, possibly empty). */
  readonly ownIdentity: Uint8Array;
  /** Largest accepted frame body; -1 for no limit. */
  readonly maxMessageSize: number;
  /** Milliseconds allowed from TCP connect to READY; 0 disables the limit. */
  readonly handshakeTimeout: number;
  /** NULL, or CURVE client or server, for every connection of the socket. */
  readonly security: Security;
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
/** Largest CURVE handshake command we accept even under a small maxMessageSize (INITIATE with metadata). */
const CURVE_HANDSHAKE_MAX = 1024;

/**
 * One ZMTP 3.1 connection over one TCP socket: greeting, security handshake (NULL or CURVE,
 * see mechanism.ts), socket-type check, framing (encrypted under CURVE), PING/PONG, and
 * batched writes with backpressure.
 * It knows nothing of REQ/REP semantics; it hands whole messages to its owner.
 */
export class Connection implements FrameSink, HandshakeOutput {
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
  /** What went wrong, when the connection was dropped for a protocol or authentication failure. */
  failure: HandshakeFailure | null = null;
  /** Whether the handshake completed (the peer was, or is, ready). */
  handshaken = false;
  /** Whether the TCP connection was made. */
  attached = false;
  /** The other end of the TCP connection, "host:port" ("" until connected). */
  remoteAddress = "";

  private sock: Socket<Connection> | null = null;
  private readonly decoder: FrameDecoder;
  private readonly out = new OutBuffer();
  private readonly greeting: GreetingReader;
  private parts: Buffer[] = [];
  private flushScheduled = false;
  private waitingForDrain = false;
  private readingPaused = false;
  private resumeScheduled = false;
  private handshakeTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly mechanism: Mechanism;
  private codec: CurveCodec | null = null;

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
    const properties: [string, Uint8Array][] = [["Socket-Type", Buffer.from(owner.socketType)]];
    if (sendsIdentity(owner.socketType)) properties.push(["Identity", owner.ownIdentity]);
    this.mechanism = newMechanism(owner.security, properties as Properties, owner.maxMessageSize);
    this.greeting = new GreetingReader(this.mechanism.name);
    const max = owner.maxMessageSize;
    const frameLimit = max < 0 || this.mechanism.name === "NULL" ? max : Math.max(max + MESSAGE_OVERHEAD, CURVE_HANDSHAKE_MAX);
    this.decoder = new FrameDecoder(this, frameLimit);
  }

  /** The peer's long-term CURVE public key once the handshake is done (a server sees its client's). */
  get peerPublicKey(): Uint8Array | null {
    return this.handshaken ? this.mechanism.peerPublicKey : null;
  }

  /**
   * The long-term key a CURVE client proved it holds (its vouch opened), even if the allow-list then
   * refused it; null on the client side, under NULL, and before INITIATE. For reporting refusals.
   */
  get provenClientKey(): Uint8Array | null {
    return this.mechanism.asServer ? this.mechanism.peerPublicKey : null;
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
    this.attached = true;
    this.remoteAddress = sock.remoteAddress.includes(":") ? `[${sock.remoteAddress}]:${sock.remotePort}` : `${sock.remoteAddress}:${sock.remotePort}`;
    this.phase = "greeting";
    sock.setNoDelay(true);
    if (this.owner.handshakeTimeout > 0) {
      this.handshakeTimer = setTimeout(
        () => this.fail("protocol", `No ZMTP handshake within ${this.owner.handshakeTimeout} ms`),
        this.owner.handshakeTimeout,
      );
    }
    this.out.appendRaw(encodeGreeting(this.mechanism.name, this.mechanism.asServer));
    this.flushNow();
  }

  /**
   * Queues a message (frames from index `from`) and writes it. The first message of a turn on an idle
   * connection is written at once; what follows it in the same turn goes out together at the end of
   * the turn (setImmediate), so a burst is still a few writes. Waiting for the turn's end held a lone
   * message back behind whatever else its turn did: a dispatcher handing a task to a worker wrote its
   * next blocking read to Redis first, and that write's wake-up of Redis cost the task 12-34 us
   * (2026-11-28, lone tasks through redis-push).
   */
  send(frames: readonly FrameData[], from = 0): void {
    const codec = this.codec;
    const first = !this.flushScheduled && !this.waitingForDrain && this.out.messages === 0;
    if (codec === null) {
      this.out.appendMessage(frames, from);
    } else if (!codec.sealMessage(this.out, frames, from)) {
      this.close("CURVE nonces exhausted; reconnecting");
      return;
    }
    this.scheduleFlush();
    // (scheduled first: a send made from within this write joins the turn's flush)
    if (first && this.sock !== null && this.phase === "ready") this.writeOut(this.sock);
  }

  /** @internal Queues a plain command frame (handshake commands, NULL ERROR). */
  sendCommand(body: Uint8Array): void {
    this.out.appendCommand(body);
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
    if (this.phase === "greeting" || this.phase === "handshake") {
      this.fail("protocol", `Peer closed the connection during the ${this.mechanism.name} handshake`);
    } else {
      this.close("Peer closed the connection");
    }
  }

  /** Bun reports the TCP socket closed (not by us: {@link close} has finished before it ends the socket). */
  onSocketClosed(error?: Error): void {
    if (this.phase === "greeting" || this.phase === "handshake") {
      this.failure = "protocol";
      const how = error ? `Connection lost (${error.message})` : "Peer closed the connection";
      return this.finish(`${how} during the ${this.mechanism.name} handshake`);
    }
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

  /** Closes for a protocol or authentication failure, remembered in {@link failure}. */
  fail(failure: HandshakeFailure, reason: string): void {
    if (this.phase === "closed") return;
    this.failure = failure;
    this.close(reason);
  }

  /** Writes what can be written now, then closes gracefully (FIN). */
  close(reason = "Closed locally"): void {
    if (this.phase === "closed") return;
    const sock = this.sock;
    if (sock !== null) this.out.flushTo(sock);
    // Finish first: ending the socket may report the close synchronously, under another reason.
    this.finish(reason);
    sock?.end();
  }

  // ---- FrameSink -------------------------------------------------------------------------

  /** @internal Decoder callback: one complete frame. */
  frame(flags: number, body: Buffer): boolean {
    if (this.phase === "ready") {
      const codec = this.codec;
      if (codec !== null) {
        const opened = codec.open(flags, body);
        if (opened === null) {
          this.fail("protocol", `Protocol error: ${codec.error}`);
          return false;
        }
        flags = codec.flags;
        body = opened;
      }
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
    this.fail("protocol", `Protocol error: ${reason}`);
  }

  // ---- internals -------------------------------------------------------------------------

  private readGreeting(chunk: Buffer): void {
    const got = this.greeting.push(chunk);
    if (got.kind === "more") return;
    if (got.kind === "error") return this.fail("protocol", `Bad greeting: ${got.reason}`);
    const roleError = this.mechanism.checkPeer(got.greeting);
    if (roleError !== null) return this.fail("protocol", `Bad greeting: ${roleError}`);
    this.peerVersion = `${got.greeting.major}.${got.greeting.minor}`;
    this.phase = "handshake";
    if (!this.afterStep(this.mechanism.start(this))) return;
    if (got.rest.length > 0) this.decoder.push(got.rest);
  }

  private onHandshakeFrame(flags: number, body: Buffer): boolean {
    if (!(flags & FLAG_COMMAND)) {
      this.fail("protocol", `Protocol error: message frame before the ${this.mechanism.name} handshake completed`);
      return false;
    }
    return this.afterStep(this.mechanism.command(body, this));
  }

  /** Acts on a handshake step: keep going, fail, or check the peer's metadata and become ready. */
  private afterStep(step: HandshakeStep): boolean {
    if (step.kind === "continue") {
      this.flushNow();
      return this.phase === "handshake";
    }
    if (step.kind === "fail") {
      if (step.reply !== undefined) this.out.appendCommand(encodeError(step.reply));
      this.fail(step.failure, step.reason);
      return false;
    }
    const peer = peerProperties(this.owner.socketType, step.metadata);
    if (typeof peer === "string") return this.refuse(peer);
    this.peerSocketType = peer.socketType;
    this.peerIdentity = peer.identity;
    this.mechanism.accept(this);
    this.codec = this.mechanism.codec;
    this.phase = "ready";
    this.handshaken = true;
    this.clearHandshakeTimer();
    this.flushNow();
    if (this.phase !== "ready") return false;
    if (!this.owner.connectionReady(this)) {
      // Never a peer: report a failed handshake, not the disconnect of a peer that never was.
      this.handshaken = false;
      this.fail("protocol", "Refused by the socket: the peer's routing id is already in use (or the socket is closing)");
      return false;
    }
    return this.phase === "ready";
  }

  /** Refuses the peer's metadata: ERROR (under NULL; CURVE peers are just dropped), then close. */
  private refuse(reason: string): false {
    if (this.mechanism.explainsRefusal) this.out.appendCommand(encodeError(reason));
    this.fail("protocol", reason);
    return false;
  }

  private onCommand(body: Buffer): boolean {
    const action = readyCommand(body);
    if (action.kind === "fail") this.fail("protocol", action.reason);
    else if (action.kind === "reply") this.sendReadyCommand(action.body);
    return this.phase === "ready";
  }

  /** Sends a command after the handshake (encrypted under CURVE). */
  private sendReadyCommand(body: Uint8Array): void {
    const codec = this.codec;
    if (codec === null) this.out.appendCommand(body);
    else if (!codec.sealCommand(this.out, body)) return this.close("CURVE nonces exhausted; reconnecting");
    this.scheduleFlush();
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
    if (this.writeOut(sock) === "done" && hadMessages) this.owner.connectionWritable(this);
  };

  /** Hands what is queued to the socket; a short write waits for `drain`. */
  private writeOut(sock: Socket<Connection>): FlushResult {
    const result = this.out.flushTo(sock);
    if (result === "partial") this.waitingForDrain = true;
    return result;
  }

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
