import type { TCPSocketListener } from "bun";
import { Connection, type ConnectionOwner } from "./connection.ts";
import { Dialer } from "./dialer.ts";
import { formatEndpoint, parseEndpoint } from "./endpoint.ts";
import { ZmtpError } from "./errors.ts";
import { FairQueue } from "./fair-queue.ts";
import { FifoQueue } from "../fifo-queue.ts";
import type { FrameData } from "./frame.ts";
import { parseCurveKey, type CurveKey } from "./curve-keys.ts";
import { dropCurvePeers, keyIs } from "./curve-peers.ts";
import type { Security } from "./security.ts";
import { SendLanes, type RouteResult } from "./send-lanes.ts";
import { endEvent, SocketEvents } from "./socket-events.ts";
import type { SocketType } from "./socket-type.ts";
import { listenTcp } from "./tcp-transport.ts";
import { resolveOptions, type SocketOptions } from "./socket-options.ts";

export type { SocketOptions };

/** One part of a message as accepted by `send`. */
export type MessagePart = Uint8Array | string;
/** A single-part or multipart message as accepted by `send`. */
export type Message = MessagePart | readonly MessagePart[];

export type { RouteResult };

interface ReceiveWaiter {
  readonly resolve: (message: Buffer[]) => void;
  readonly reject: (error: Error) => void;
}

/**
 * What all four socket types share: bind/connect, per-peer queues, fair-queued receive,
 * send with high-water-mark backpressure, close. Subclasses decide how a message is routed
 * (`send`) and what a received message looks like (`acceptInbound`).
 */
export abstract class SocketBase implements ConnectionOwner, AsyncIterable<Buffer[]>, AsyncDisposable {
  /** The ZMTP socket type announced in READY. */
  abstract readonly socketType: SocketType;
  /** @internal Identity announced in READY. */
  readonly ownIdentity: Buffer;
  readonly sendHighWaterMark: number;
  readonly receiveHighWaterMark: number;
  readonly reconnectInterval: number;
  readonly reconnectMaxInterval: number;
  readonly maxMessageSize: number;
  /** @internal */
  readonly handshakeTimeout: number;
  /** @internal NULL, or CURVE client or server. */
  readonly security: Security;
  /** Handshake successes and failures, disconnects; see {@link SocketEvents}. */
  readonly events = new SocketEvents();
  /** The endpoint of the last successful `bind`, with the real port (like ZMQ_LAST_ENDPOINT). */
  lastEndpoint: string | null = null;

  /** Peers that completed the handshake and are still connected. */
  protected readonly peers: Connection[] = [];
  /** Messages sent before any peer was connected (DEALER/REQ), bounded by sendHighWaterMark. */
  protected readonly pending = new FifoQueue<FrameData[]>();
  private readonly inbound: FairQueue;
  private readonly connections = new Set<Connection>();
  private readonly listeners = new Map<string, TCPSocketListener<Connection>>();
  private readonly dialers: Dialer[] = [];
  private readonly sendLanes = new SendLanes();
  private receiveWaiter: ReceiveWaiter | null = null;
  private writeCursor = 0;
  private isClosed = false;

  constructor(options: SocketOptions = {}) {
    const o = resolveOptions(options);
    this.ownIdentity = o.ownIdentity;
    this.sendHighWaterMark = o.sendHighWaterMark;
    this.receiveHighWaterMark = o.receiveHighWaterMark;
    this.reconnectInterval = o.reconnectInterval;
    this.reconnectMaxInterval = o.reconnectMaxInterval;
    this.maxMessageSize = o.maxMessageSize;
    this.handshakeTimeout = o.handshakeTimeout;
    this.security = o.security;
    this.inbound = new FairQueue(this.receiveHighWaterMark);
  }

  /** Whether this socket is a CURVE server, a CURVE client, or uses NULL security. */
  get securityMechanism(): "NULL" | "CURVE server" | "CURVE client" {
    return this.security.kind;
  }

  /**
   * Drops every live connection whose peer authenticated with this CURVE public key (on a
   * CURVE server: the client's long-term key). Returns how many were dropped. A libzmq or
   * our own client reconnects, and is refused at INITIATE if the key is no longer allowed.
   *
   * @example
   * ```ts
   * allowed.delete(workerKey);
   * router.disconnectPeer(workerKey);
   * ```
   */
  disconnectPeer(publicKey: CurveKey): number {
    return dropCurvePeers(this.connections, keyIs(parseCurveKey(publicKey, "publicKey")), "CURVE key disconnected by disconnectPeer");
  }

  /**
   * Checks every live connection's client key against the current `curveAllow` again and
   * drops those it now refuses (after keys were removed from the set, or the function changed
   * its mind). Returns how many were dropped. Only for CURVE servers.
   *
   * @example
   * ```ts
   * allowed.clear(); for (const k of readAuthorizedKeys()) allowed.add(k);
   * router.recheckCurveAllow();
   * ```
   */
  recheckCurveAllow(): number {
    const security = this.security;
    if (security.kind !== "CURVE server") {
      throw new ZmtpError("EINVAL", `recheckCurveAllow needs a CURVE server socket, this one is ${security.kind}`);
    }
    const { allows } = security.config;
    return dropCurvePeers(this.connections, (key) => !allows(key), "CURVE client key no longer allowed");
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Number of peers that completed the handshake and are connected. */
  get peerCount(): number {
    return this.peers.length;
  }

  /** Received messages waiting for `receive`, summed over peers (bounded by receiveHighWaterMark per peer). */
  get receiveQueueLength(): number {
    return this.inbound.length;
  }

  /** Messages waiting to be written: queued before any peer connected plus per-peer queues. */
  get sendQueueLength(): number {
    let n = this.pending.length;
    for (const conn of this.peers) n += conn.queuedMessages;
    return n;
  }

  /**
   * Listens on a TCP endpoint such as `tcp://127.0.0.1:0` (port 0 or `*` picks a free port;
   * read it from {@link lastEndpoint}).
   */
  async bind(address: string): Promise<void> {
    this.assertOpen();
    const endpoint = parseEndpoint(address, "bind");
    let listener: TCPSocketListener<Connection>;
    let bound = address; // accepted connections report the real endpoint, set below
    try {
      listener = listenTcp(endpoint, () => this.adopt(new Connection(this, bound, false)));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const why = `${typeof code === "string" ? `${code}: ` : ""}${error instanceof Error ? error.message : String(error)}`;
      throw new ZmtpError(code === "EADDRINUSE" ? "EADDRINUSE" : "EINVAL", `Cannot bind ${address}: ${why}`);
    }
    bound = formatEndpoint(endpoint.host, listener.port);
    this.listeners.set(bound, listener);
    this.lastEndpoint = bound;
  }

  /** Stops listening on an endpoint as reported by `lastEndpoint` after `bind`; accepted peers stay. */
  async unbind(address: string): Promise<void> {
    const listener = this.listeners.get(address);
    if (listener === undefined) throw new ZmtpError("EINVAL", `Not bound to ${address}`);
    listener.stop(false);
    this.listeners.delete(address);
  }

  /**
   * Connects to a TCP endpoint. Returns at once: the connection is made in the background,
   * retried every {@link reconnectInterval} (doubling up to {@link reconnectMaxInterval})
   * until it succeeds, and re-made if it is lost. The peer may bind later.
   */
  connect(address: string): void {
    this.assertOpen();
    const endpoint = parseEndpoint(address, "connect");
    const dialer = new Dialer(address, endpoint, () => this.adopt(new Connection(this, address, true)), this);
    this.dialers.push(dialer);
    dialer.start();
  }

  /** Stops connecting to (and drops the connection to) an endpoint given to `connect`. */
  disconnect(address: string): void {
    for (let i = this.dialers.length - 1; i >= 0; i--) {
      const dialer = this.dialers[i] as Dialer;
      if (dialer.address !== address) continue;
      this.dialers.splice(i, 1);
      dialer.stop();
    }
  }

  /**
   * Waits for the next message, fair-queued across peers. Resolves at once when one is
   * queued. Only one `receive` may wait at a time (else `EBUSY`), as in zeromq.js.
   */
  receive(): Promise<Buffer[]> {
    if (this.isClosed) return Promise.reject(closedError());
    if (this.receiveWaiter !== null) {
      return Promise.reject(new ZmtpError("EBUSY", "Another receive() is already waiting on this socket; await it first"));
    }
    const stateError = this.receiveStateError();
    if (stateError !== null) return Promise.reject(stateError);
    const message = this.nextInbound();
    if (message !== null) return Promise.resolve(message);
    return new Promise((resolve, reject) => {
      this.receiveWaiter = { resolve, reject };
    });
  }

  /**
   * Sends a message; resolves once it is queued (waits while the high-water mark is reached).
   * Writes are batched and handed to the kernel on the next event-loop turn. Parts of 64 KiB
   * or more are queued without copying: do not modify such a buffer after sending it.
   */
  abstract send(message: Message): Promise<void>;

  /** Iterates received messages until the socket is closed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer[], void, undefined> {
    while (!this.isClosed) {
      let message: Buffer[];
      try {
        message = await this.receive();
      } catch (error) {
        if (this.isClosed) return;
        throw error;
      }
      yield message;
    }
  }

  /**
   * Closes listeners and connections (after writing what the kernel accepts now) and
   * rejects waiting `send`/`receive` calls with ETERM. Idempotent.
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const listener of this.listeners.values()) listener.stop(false);
    this.listeners.clear();
    for (const dialer of this.dialers.splice(0)) dialer.stop();
    for (const conn of [...this.connections]) conn.close("Socket closed");
    this.pending.clear();
    this.sendLanes.rejectAll(closedError);
    const receiver = this.receiveWaiter;
    this.receiveWaiter = null;
    receiver?.reject(closedError());
  }

  /** Same as {@link close}; lets callers write `await using socket = new Dealer()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  // ---- hooks for socket types --------------------------------------------------------------

  /** Turns a received message into what `receive` returns; `null` drops it. */
  protected abstract acceptInbound(conn: Connection, frames: Buffer[]): Buffer[] | null;

  /** Rejects `receive` in the wrong lockstep state (REQ/REP); `null` when allowed. */
  protected receiveStateError(): ZmtpError | null {
    return null;
  }

  /** A peer completed its handshake; return false to refuse it (ROUTER: duplicate identity). */
  protected peerAttached(_conn: Connection): boolean {
    return true;
  }

  /** A handshaken peer disconnected. */
  protected peerDetached(_conn: Connection): void {}

  /** A message was handed to `conn` by round-robin (REQ remembers where its request went). */
  protected routed(_conn: Connection): void {}

  /**
   * Queues a send: runs `route` now if nothing is waiting in the same lane, else after the
   * waiters ahead of it. Lanes keep per-destination order (ROUTER uses one lane per peer).
   */
  protected submit(route: () => RouteResult, lane = ""): Promise<void> {
    if (this.isClosed) return Promise.reject(closedError());
    return this.sendLanes.submit(route, lane);
  }

  /** Round-robin over peers with room; queues in `pending` while no peer is connected. */
  protected routeRoundRobin(frames: FrameData[]): RouteResult {
    if (this.pending.length > 0) this.drainPending();
    if (this.peers.length > 0) {
      if (this.pending.length > 0) return false;
      const conn = this.pickWritable();
      if (conn === null) return false;
      conn.send(frames);
      this.routed(conn);
      return true;
    }
    const hwm = this.sendHighWaterMark;
    if (hwm > 0 && this.pending.length >= hwm) return false;
    this.pending.push(frames.map((f) => (typeof f === "string" ? f : Buffer.from(f))));
    return true;
  }

  // ---- ConnectionOwner ---------------------------------------------------------------------

  /** @internal */
  connectionReady(conn: Connection): boolean {
    if (this.isClosed || !this.peerAttached(conn)) return false;
    this.events.emit({ type: "handshake", address: conn.endpoint });
    this.peers.push(conn);
    this.inbound.add(conn);
    this.dialerOf(conn)?.connected();
    this.drainPending();
    this.sendLanes.wake();
    return true;
  }

  /** @internal */
  connectionMessage(conn: Connection, frames: Buffer[]): boolean {
    conn.inbox.push(frames);
    if (this.receiveWaiter !== null) this.serveReceiver();
    return this.inbound.hasRoom(conn);
  }

  /** @internal */
  connectionWritable(_conn: Connection): void {
    if (this.pending.length > 0) this.drainPending();
    this.sendLanes.wake();
  }

  /** @internal */
  connectionClosed(conn: Connection, reason: string): void {
    this.connections.delete(conn);
    const index = this.peers.indexOf(conn);
    if (index >= 0) {
      this.peers.splice(index, 1);
      this.peerDetached(conn);
    }
    const event = endEvent(conn, reason);
    if (event !== null) this.events.emit(event);
    this.inbound.departed(conn);
    if (!this.isClosed) {
      this.dialerOf(conn)?.lost(conn);
      this.sendLanes.wake();
    }
  }

  // ---- internals ---------------------------------------------------------------------------

  private adopt(conn: Connection): Connection {
    this.connections.add(conn);
    if (this.isClosed) conn.close("Socket closed");
    return conn;
  }

  private dialerOf(conn: Connection): Dialer | undefined {
    return conn.outgoing ? this.dialers.find((d) => d.owns(conn)) : undefined;
  }

  private assertOpen(): void {
    if (this.isClosed) throw closedError();
  }

  private pickWritable(): Connection | null {
    const n = this.peers.length;
    const hwm = this.sendHighWaterMark;
    for (let k = 0; k < n; k++) {
      const index = (this.writeCursor + k) % n;
      const conn = this.peers[index] as Connection;
      if (conn.canAccept(hwm)) {
        this.writeCursor = index + 1;
        return conn;
      }
    }
    return null;
  }

  private drainPending(): void {
    while (this.pending.length > 0) {
      const conn = this.pickWritable();
      if (conn === null) return;
      conn.send(this.pending.shift() as FrameData[]);
      this.routed(conn);
    }
  }

  private serveReceiver(): void {
    const waiter = this.receiveWaiter;
    if (waiter === null) return;
    const message = this.nextInbound();
    if (message === null) return;
    this.receiveWaiter = null;
    waiter.resolve(message);
  }

  /** Takes the next message, fair-queued, that the socket type accepts. */
  private nextInbound(): Buffer[] | null {
    for (let next = this.inbound.take(); next !== null; next = this.inbound.take()) {
      const message = this.acceptInbound(next.conn, next.frames);
      if (message !== null) return message;
    }
    return null;
  }
}

function closedError(): ZmtpError {
  return new ZmtpError("ETERM", "Socket is closed");
}
