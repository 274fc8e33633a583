/**
 * One connection to a Redis server speaking RESP2 over Bun's own sockets (TCP or a Unix socket), for
 * the few calls a task makes on its way: a script call, a blocking stream read, a subscription. It does
 * less than a general client, so each call costs less of the caller's CPU; what it does, it does the
 * way the adapter's other connections do:
 *
 * - a command is written as it is issued (several in flight at once, answered in order);
 * - a command issued while not connected fails at once with RespNotConnectedError (nothing was sent);
 * - a command sent but not answered within its deadline fails with RespTimeoutError, and one whose
 *   connection dropped before the answer with RespDroppedError: either may have been applied, and
 *   neither is ever sent again;
 * - the connection comes back in the background (after 50 ms, then up to 1 s between tries), repeating
 *   its handshake (AUTH, SELECT, CLIENT SETNAME) and, for a subscriber, its SUBSCRIBE; a refused
 *   AUTH or SELECT keeps it from being ready, a refused name does not.
 *
 * @example
 * const conn = new RespConnection({ host: "127.0.0.1", port: 6379 }, { name: "bunfaas-api", commandTimeoutMs: 1000 });
 * await conn.whenReady(1000);
 * await conn.call(["FCALL", "lib", 1, "key", "arg"]);
 * const sub = new RespConnection({ path: "/run/redis.sock" }, { channels: ["faas:events"], onMessage: (ch, m) => console.log(ch, m) });
 */
import type { Socket } from "bun";
import { FifoQueue } from "../fifo-queue.ts";
import { encodeCommand, encodeSized, RespReader, RespReplyError, type RespReply } from "./reader.ts";

export interface RespTarget {
  /** TCP: host and port. */
  readonly host?: string;
  readonly port?: number;
  /** A Unix socket's path (instead of host and port). */
  readonly path?: string;
  readonly username?: string;
  readonly password?: string;
  readonly db?: number;
}

export interface RespConnectionOptions {
  /** CLIENT SETNAME on every connect (shown in CLIENT LIST). */
  readonly name?: string;
  /** Deadline of a command in ms (undefined: none). */
  readonly commandTimeoutMs?: number;
  /** A subscriber: these channels are subscribed on every connect, and their messages go to `onMessage`. */
  readonly channels?: readonly string[];
  readonly onMessage?: (channel: string, message: string) => void;
  /** Told when the connection goes up, and down (with why). */
  readonly onState?: (up: boolean, why?: string) => void;
}

/** Not connected (reconnecting, or closed): the command was not sent. */
export class RespNotConnectedError extends Error {
  override readonly name = "RespNotConnectedError";
}

/** Sent, and not answered within its deadline: it may have been applied. */
export class RespTimeoutError extends Error {
  override readonly name = "RespTimeoutError";
}

/** Sent, and the connection dropped before the answer: it may have been applied. */
export class RespDroppedError extends Error {
  override readonly name = "RespDroppedError";
}

interface Waiting {
  settled: boolean;
  readonly resolve: (reply: RespReply) => void;
  readonly reject: (e: Error) => void;
  /** When it fails with RespTimeoutError unless answered (performance.now() ms), its deadline in ms and its command's name. */
  deadline?: number;
  timeoutMs?: number;
  command?: string | number;
  /** A handshake command's: checked here, handed to no one ("may fail": CLIENT SETNAME, which an ACL may deny). */
  readonly handshake?: "must succeed" | "may fail";
}

const HANDSHAKE: Waiting = { settled: true, resolve: () => undefined, reject: () => undefined, handshake: "must succeed" };
const NAMING: Waiting = { ...HANDSHAKE, handshake: "may fail" };
/** A lead command's place (callAfter): its reply is read and dropped, as a timed-out one's is. */
const DROPPED: Waiting = { settled: true, resolve: () => undefined, reject: () => undefined };

export class RespConnection {
  private socket: Socket<undefined> | undefined;
  private up = false;
  private closed = false;
  private tries = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private reader = new RespReader();
  /** Commands sent (handshake included), in the order their replies come. */
  private readonly waiting = new FifoQueue<Waiting>();
  /** Subscriptions confirmed since this connect (a subscriber is ready once all are). */
  private confirmed = 0;
  /** What a short write left unsent, in order. */
  private backlog: Uint8Array[] = [];
  private readonly readyWaiters = new Set<() => void>();
  /**
   * One timer for every command's deadline, armed for the earliest. A call does not clear it when
   * answered: it lapses, finds nothing due, and is armed again only for a command still waiting. A
   * timer set and cleared per call was two native calls on each of a lone task's few commands.
   */
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private watchAt = Number.POSITIVE_INFINITY;

  constructor(
    readonly target: RespTarget,
    private readonly o: RespConnectionOptions = {},
  ) {
    this.open();
  }

  /** Connected, the handshake done (and, for a subscriber, every channel subscribed). */
  get ready(): boolean {
    return this.up;
  }

  /** Closed for good (`close`). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** True once ready; false after `ms`, or when closed. */
  whenReady(ms: number): Promise<boolean> {
    if (this.up) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.readyWaiters.delete(done);
        resolve(this.up);
      };
      const timer = setTimeout(done, ms);
      this.readyWaiters.add(done);
    });
  }

  /** Sends a command; its reply, or the error reply thrown as RespReplyError. */
  call(args: readonly (string | number)[], timeoutMs: number | undefined = this.o.commandTimeoutMs): Promise<RespReply> {
    return this.send(undefined, args, timeoutMs);
  }

  /**
   * Sends `lead` and then `args` in one write; answers as `call(args)` does. `lead`'s reply (an error
   * too) is read and dropped: it is sent for what it does in Redis, such as giving this connection a
   * reply in Redis's turn before `args` runs (see LuaScript's `replyAfterMessages`).
   */
  callAfter(lead: readonly (string | number)[], args: readonly (string | number)[], timeoutMs: number | undefined = this.o.commandTimeoutMs): Promise<RespReply> {
    return this.send(lead, args, timeoutMs);
  }

  private send(lead: readonly (string | number)[] | undefined, args: readonly (string | number)[], timeoutMs: number | undefined): Promise<RespReply> {
    if (!this.up || this.socket === undefined) return Promise.reject(new RespNotConnectedError(this.closed ? "the connection is closed" : "not connected to Redis (reconnecting in the background)"));
    return new Promise<RespReply>((resolve, reject) => {
      const w: Waiting = { settled: false, resolve, reject };
      if (timeoutMs !== undefined) {
        w.deadline = performance.now() + timeoutMs;
        w.timeoutMs = timeoutMs;
        w.command = args[0];
        if (w.deadline < this.watchAt) this.watchUntil(w.deadline);
      }
      const [text, bytes] = encodeSized(args);
      if (lead === undefined) {
        this.waiting.push(w);
        this.write(text, bytes);
        return;
      }
      const [before, beforeBytes] = encodeSized(lead);
      this.waiting.push(DROPPED);
      this.waiting.push(w);
      this.write(before + text, beforeBytes + bytes);
    });
  }

  /** Closes for good: calls under way fail with RespDroppedError, later ones with RespNotConnectedError. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retry);
    const s = this.socket;
    this.down("closed");
    s?.end();
  }

  private open(): void {
    const handlers = {
      open: (s: Socket<undefined>) => this.opened(s),
      data: (_s: Socket<undefined>, piece: Buffer) => this.received(piece),
      drain: () => this.flush(),
      close: (s: Socket<undefined>) => {
        if (s === this.socket) this.lost("the connection closed");
      },
      error: (s: Socket<undefined>, e: Error) => {
        if (s === this.socket) this.lost(e.message);
      },
    };
    const t = this.target;
    const connecting = t.path !== undefined ? Bun.connect({ unix: t.path, socket: handlers }) : Bun.connect({ hostname: t.host ?? "127.0.0.1", port: t.port ?? 6379, socket: handlers });
    connecting.catch((e: Error) => this.lost(`connect: ${e.message}`));
  }

  private opened(s: Socket<undefined>): void {
    if (this.closed) {
      s.end();
      return;
    }
    this.socket = s;
    s.setNoDelay(true);
    const t = this.target;
    const hello: (string | number)[][] = [];
    if (t.password !== undefined) hello.push(t.username !== undefined ? ["AUTH", t.username, t.password] : ["AUTH", t.password]);
    if (t.db !== undefined && t.db !== 0) hello.push(["SELECT", t.db]);
    if (this.o.name !== undefined) hello.push(["CLIENT", "SETNAME", this.o.name]);
    this.handshakeLeft = hello.length;
    for (const c of hello) this.waiting.push(c[0] === "CLIENT" ? NAMING : HANDSHAKE);
    const channels = this.o.channels ?? [];
    if (channels.length > 0) hello.push(["SUBSCRIBE", ...channels]);
    if (hello.length === 0) this.becomeReady();
    else {
      const text = hello.map(encodeCommand).join("");
      this.write(text, Buffer.byteLength(text));
    }
  }

  /** Handshake replies still to come since this connect. */
  private handshakeLeft = 0;

  private received(piece: Buffer): void {
    this.reader.push(piece);
    for (;;) {
      let reply: RespReply | undefined;
      try {
        reply = this.reader.next();
      } catch (e) {
        this.drop(`not RESP2: ${(e as Error).message}`);
        return;
      }
      if (reply === undefined) break;
      const w = this.waiting.shift();
      if (w !== undefined) this.settle(w, reply);
      else if (!this.pushed(reply)) {
        this.drop(`a reply nobody asked for: ${JSON.stringify(reply).slice(0, 80)}`);
        return;
      }
    }
  }

  private settle(w: Waiting, reply: RespReply): void {
    if (w.handshake !== undefined) {
      if (reply instanceof RespReplyError && w.handshake === "must succeed") this.drop(`handshake refused: ${reply.message}`);
      else if (--this.handshakeLeft === 0 && (this.o.channels ?? []).length === 0) this.becomeReady();
      return;
    }
    if (w.settled) return; // timed out: its late reply is dropped
    w.settled = true;
    if (reply instanceof RespReplyError) w.reject(reply);
    else w.resolve(reply);
  }

  /** Arms the deadline timer for `at` (performance.now() ms). */
  private watchUntil(at: number): void {
    clearTimeout(this.watchdog);
    this.watchAt = at;
    // unref: a command waiting keeps the process alive through its socket, as a lapsed timer must not
    this.watchdog = setTimeout(() => this.expire(), Math.max(0, at - performance.now())).unref();
  }

  /** Fails the commands past their deadline (their replies, when they come, are read and dropped); arms the timer for the next. */
  private expire(): void {
    this.watchdog = undefined;
    this.watchAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    this.waiting.forEach((w) => {
      if (w.settled || w.deadline === undefined) return;
      if (w.deadline > now) next = Math.min(next, w.deadline);
      else {
        w.settled = true;
        w.reject(new RespTimeoutError(`Redis did not answer ${String(w.command)} within ${w.timeoutMs} ms`));
      }
    });
    if (next < Number.POSITIVE_INFINITY) this.watchUntil(next);
  }

  /** A subscriber's message or confirmation; false for anything else. */
  private pushed(reply: RespReply): boolean {
    if (!Array.isArray(reply) || this.o.channels === undefined) return false;
    const [kind, channel, body] = reply;
    if (kind === "message" && typeof channel === "string" && typeof body === "string") {
      this.o.onMessage?.(channel, body);
      return true;
    }
    if (kind === "subscribe") {
      if (++this.confirmed === this.o.channels.length) this.becomeReady();
      return true;
    }
    return false;
  }

  private becomeReady(): void {
    this.up = true;
    this.tries = 0;
    this.o.onState?.(true);
    for (const done of [...this.readyWaiters]) done();
  }

  /** Writes `data` (`bytes` long in UTF-8), keeping what a short write left for `drain`. */
  private write(data: string, bytes: number): void {
    const s = this.socket;
    if (s === undefined) return;
    if (this.backlog.length > 0) {
      this.backlog.push(Buffer.from(data));
      return;
    }
    const n = s.write(data);
    if (n < bytes) this.backlog.push(Buffer.from(data).subarray(Math.max(n, 0)));
  }

  private flush(): void {
    const s = this.socket;
    while (s !== undefined && this.backlog.length > 0) {
      const bytes = this.backlog[0] as Uint8Array;
      const n = s.write(bytes);
      if (n < bytes.length) {
        this.backlog[0] = bytes.subarray(Math.max(n, 0));
        return;
      }
      this.backlog.shift();
    }
  }

  /** Ends this socket as broken; the connection comes back later. */
  private drop(why: string): void {
    const s = this.socket;
    this.lost(why);
    s?.end();
  }

  private lost(why: string): void {
    if (this.socket === undefined && !this.up && this.retry !== undefined) return; // already down, retry set
    this.down(why);
    if (this.closed) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.closed) this.open();
    }, Math.min(50 * ++this.tries, 1000));
  }

  /** Forgets the socket; what was sent and not answered fails with RespDroppedError. */
  private down(why: string): void {
    const wasUp = this.up;
    this.up = false;
    this.socket = undefined;
    this.reader = new RespReader();
    this.backlog = [];
    this.confirmed = 0;
    this.handshakeLeft = 0;
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.watchAt = Number.POSITIVE_INFINITY;
    for (let w = this.waiting.shift(); w !== undefined; w = this.waiting.shift()) {
      if (w.settled) continue;
      w.settled = true;
      w.reject(new RespDroppedError(`the connection to Redis dropped before it answered (${why})`));
    }
    if (wasUp) this.o.onState?.(false, why);
    if (this.closed) for (const done of [...this.readyWaiters]) done();
  }
}
