/**
 * The worker side of pull and push modes: connects a ZMTP DEALER (routing id = worker id) to the
 * dispatcher, registers with its capacity, heartbeats, runs the jobs it receives on its own Executor
 * (an ExecutorPool: deadlines, process.exit and memory caps behave as in local mode) and sends outcomes
 * back in batches (everything that finished in one event-loop turn goes in one message). In pull mode
 * it asks for work (credits) whenever slots free up. It never touches Redis.
 *
 * Registration is renewed (a new session) when the dispatcher asks (`reregister`: it restarted or took
 * this worker for dead), when the dispatcher has been silent for `dispatcherTimeoutMs`, when the
 * connection was seen down, or when a `jobs` message is missing (a sequence gap). Jobs held from an
 * earlier session keep running; their slots are announced as `busy` until they finish.
 *
 * @example
 * ```ts
 * const agent = new WorkerAgent({ url: "tcp://127.0.0.1:5555", id: crypto.randomUUID(), mode: "push", executor: pool, capacity: pool.freeSlots(), heartbeatMs: 1000, dispatcherTimeoutMs: 3000, clock: systemClock, logger });
 * agent.start();
 * // ... on SIGTERM:
 * await agent.close(); // says bye
 * ```
 */
import { every } from "../../domain/every.ts";
import type { Outcome } from "../../domain/outcome.ts";
import { Prefetch } from "../../domain/prefetch.ts";
import type { Clock, Executor, Job, Logger } from "../../domain/ports.ts";
import { TurnBatcher } from "../../lib/turn-batcher.ts";
import { Dealer } from "../../lib/zmtp/index.ts";
import { chunksBySize } from "../../lib/size-chunks.ts";
import { HandshakeFailureLog, watchHandshakeFailures, workerHandshakeHint } from "./handshake-failures.ts";
import { CodeBook } from "./code-book.ts";
import { HeldJobs } from "./held-jobs.ts";
import { decodeToWorker, DEFAULT_MAX_MESSAGE_BYTES, encode, ENVELOPE_BYTES, wireSize, type FromWorker, type ToWorker, type WireJob } from "./protocol.ts";

/** Functions whose code a worker keeps in a session (it says so at registration). */
const WORKER_CODES = 1000;

export interface WorkerAgentOptions {
  /** The dispatcher, e.g. tcp://127.0.0.1:5555. */
  readonly url: string;
  /** This worker's id (a UUID); also its ZMTP routing id. */
  readonly id: string;
  readonly mode: "push" | "pull";
  readonly executor: Executor;
  /** Jobs it holds at once: executors x slots. */
  readonly capacity: number;
  readonly heartbeatMs: number;
  /** Silent this long, the dispatcher is taken for gone: register again (once it answers). */
  readonly dispatcherTimeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Largest message accepted from the dispatcher, and the budget outcomes messages are split under (default 64 MiB). */
  readonly maxMessageBytes?: number;
  /** ZMTP CURVE: the dispatcher's public key and this worker's key pair (Z85). */
  readonly curve?: { readonly serverKey: string; readonly publicKey: string; readonly secretKey: string };
  /** The host name sent when it registers (operators see where a task ran). */
  readonly host?: string;
}

/** How often a condition that lasts (no dispatcher, a refusal) is logged again. */
const REPEAT_LOG_MS = 5000;

export class WorkerAgent {
  private readonly dealer: Dealer;
  /** Jobs received and not yet answered: running, or waiting for a slot (held-jobs.ts). */
  private readonly held: HeldJobs;
  private session = 0;
  private registered = false;
  private needsRegister = true;
  /** Whether a connection was up since the current registration was sent (its loss may lose messages). */
  private connectedSinceRegister = false;
  private lastSeq = 0;
  private lastHeard = 0;
  /** When the tick last ran: a late tick means this process was stalled (its reads were late too). */
  private lastTick = 0;
  /** Pull: credits granted in this session and not yet used by jobs. */
  private granted = 0;
  /** The functions whose code the dispatcher sent in this session (code-book.ts). */
  private codes = new CodeBook(WORKER_CODES);
  /** Pull: its pace, for credit beyond its capacity (prefetch.ts). */
  private readonly prefetch = new Prefetch();
  /** Outcomes finished this turn: one message per turn, with the credit their slots give back (pull). */
  private readonly outbox = new TurnBatcher<Outcome>((outcomes) => {
    // One message per turn, unless that would pass the message size: then several, the credit on the last.
    const chunks = chunksBySize(outcomes, wireSize, (this.o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES) - ENVELOPE_BYTES);
    chunks.forEach((chunk, i) => this.post({ v: 1, t: "outcomes", session: this.session, outcomes: chunk, credit: i === chunks.length - 1 ? this.creditToOffer() : 0 }));
  });
  private stopTicking: () => void = () => {};
  private stopWatchingHandshakes: () => void = () => {};
  /** Why the last handshake with the dispatcher failed, until one succeeds (said again in `worker.unreachable`). */
  private handshakeFailure: string | undefined;
  private closed = false;
  /** Shutting down gracefully: accepts no new jobs, offers no credit. */
  private draining = false;
  private heldChanged: (() => void) | undefined;
  /** Why the dispatcher refused the last registration, until one is welcomed. */
  private refused: string | undefined;
  private lastRefusalLog = Number.NEGATIVE_INFINITY;
  private lastUnreachableLog = Number.NEGATIVE_INFINITY;
  private startedAt = 0;
  private receiving: Promise<void> = Promise.resolve();

  constructor(private readonly o: WorkerAgentOptions) {
    this.held = new HeldJobs(o.executor);
    const curve = o.curve === undefined ? {} : { curveServerKey: o.curve.serverKey, curvePublicKey: o.curve.publicKey, curveSecretKey: o.curve.secretKey };
    this.dealer = new Dealer({ routingId: o.id, maxMessageSize: o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, ...curve });
    o.executor.onOutcomes((outcomes) => this.finished(outcomes));
    o.executor.onStarted((refs) => {
      const mine = refs.filter((r) => this.held.has(r.taskId, r.attempt));
      if (mine.length > 0 && !this.closed) this.post({ v: 1, t: "started", session: this.session, jobs: mine.map((r) => ({ taskId: r.taskId, attempt: r.attempt })) });
    });
  }

  /** Connects, registers and starts heartbeating (the dispatcher may come up later). */
  start(): void {
    this.dealer.connect(this.o.url);
    this.lastHeard = this.o.clock.now();
    this.lastTick = this.lastHeard;
    this.startedAt = this.lastHeard;
    this.watchHandshakes();
    this.register();
    this.receiving = this.receiveLoop();
    this.stopTicking = every(this.o.clock, this.o.heartbeatMs, () => this.tick());
  }

  /** Whether the dispatcher acknowledged the current registration. */
  get isRegistered(): boolean {
    return this.registered;
  }

  /** Jobs received and not yet answered. */
  heldCount(): number {
    return this.held.size;
  }

  /** Most jobs held at once (for tests and metrics). */
  get maxHeld(): number {
    return this.held.maxHeld;
  }

  /** Jobs received over the agent's life. */
  get received(): number {
    return this.held.received;
  }

  /**
   * A graceful stop: tells the dispatcher to send nothing more, lets the jobs held finish for up to
   * `graceMs` (their outcomes go back as usual), hands back the rest (they run elsewhere, the attempt
   * not counted), then says bye and disconnects. Returns how many were handed back.
   */
  async drain(graceMs: number): Promise<number> {
    if (this.closed) return 0;
    this.draining = true;
    if (this.dealer.peerCount > 0) this.post({ v: 1, t: "drain", session: this.session });
    // Jobs not started yet go back at once; the running ones get the grace.
    let handedBack = this.handBack(this.held.takeWaiting());
    const deadline = this.o.clock.now() + graceMs;
    while (this.held.size > 0 && this.o.clock.now() < deadline && this.dealer.peerCount > 0) {
      await new Promise<void>((resolve) => {
        const cancel = this.o.clock.after(Math.max(1, deadline - this.o.clock.now()), resolve);
        this.heldChanged = () => {
          cancel();
          resolve();
        };
      });
      this.heldChanged = undefined;
    }
    this.outbox.flush();
    handedBack += this.handBack(this.held.takeAll());
    await this.close();
    return handedBack;
  }

  /** Tells the dispatcher these jobs will not finish here (they run elsewhere, the attempt not counted). */
  private handBack(jobs: readonly Job[]): number {
    if (jobs.length === 0 || this.dealer.peerCount === 0) return 0;
    this.post({ v: 1, t: "handback", session: this.session, jobs: jobs.map((j) => ({ taskId: j.taskId, attempt: j.attempt })) });
    this.o.logger.log("info", "unfinished jobs handed back to the dispatcher", { event: "worker.handed_back", jobs: jobs.length });
    return jobs.length;
  }

  /** Says bye (the dispatcher reports what this held as lost at once), then disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTicking();
    this.stopWatchingHandshakes();
    if (this.dealer.peerCount > 0) {
      await Promise.race([this.dealer.send(encode({ v: 1, t: "bye" })).catch(() => {}), this.o.clock.sleep(500)]);
      await new Promise((r) => setImmediate(r)); // writes go to the kernel on the next turn
    }
    this.dealer.close();
    await this.receiving;
  }

  /**
   * Logs why handshakes with the dispatcher fail (`worker.handshake_failed`, once per reason per
   * minute, with a hint when the reason tells one) and remembers it for `worker.unreachable`.
   */
  private watchHandshakes(): void {
    const curve = this.o.curve !== undefined;
    const log = new HandshakeFailureLog({
      logger: this.o.logger,
      clock: this.o.clock,
      event: "worker.handshake_failed",
      message: "the ZMTP handshake with the dispatcher failed; retrying",
      groupOf: (f) => f.reason,
      fields: (f) => {
        const hint = workerHandshakeHint(f, curve);
        return { worker: this.o.id, url: this.o.url, ...(hint !== undefined && { hint }), ...(curve && { publicKey: this.o.curve?.publicKey }) };
      },
    });
    const stopFailures = watchHandshakeFailures(this.dealer.events, (f) => {
      this.handshakeFailure = workerHandshakeHint(f, curve) ?? f.reason;
      log.record(f);
    });
    const stopHandshakes = this.dealer.events.on("handshake", () => (this.handshakeFailure = undefined));
    this.stopWatchingHandshakes = () => (stopFailures(), stopHandshakes());
  }

  private async receiveLoop(): Promise<void> {
    for await (const frames of this.dealer) {
      if (frames.length !== 1) {
        this.o.logger.log("warn", "dropped a dispatcher message: expected one frame", { frames: frames.length });
        continue;
      }
      const msg = decodeToWorker(frames[0] as Buffer);
      if (!msg.ok) {
        this.o.logger.log("warn", "dropped a dispatcher message", { error: msg.error });
        continue;
      }
      this.lastHeard = this.o.clock.now();
      try {
        this.handle(msg.value);
      } catch (e) {
        this.o.logger.log("error", "handling a dispatcher message failed", { t: msg.value.t, error: String(e) });
      }
    }
  }

  private handle(msg: ToWorker): void {
    if (msg.t === "refused") {
      this.refused = msg.reason;
      this.registered = false;
      this.needsRegister = true; // try again later: the dispatcher may come back in the right mode
      if (this.o.clock.now() - this.lastRefusalLog >= REPEAT_LOG_MS) {
        this.lastRefusalLog = this.o.clock.now();
        this.o.logger.log("error", "the dispatcher refused this worker", { event: "worker.refused", worker: this.o.id, url: this.o.url, reason: msg.reason });
      }
      return;
    }
    if (msg.t === "reregister") {
      this.o.logger.log("info", "the dispatcher does not know this worker; registering again", { event: "worker.reregister", worker: this.o.id });
      this.register();
      return;
    }
    if (msg.session !== this.session) return; // about an earlier registration
    switch (msg.t) {
      case "welcome":
        this.refused = undefined;
        if (!this.registered) this.o.logger.log("info", "registered with the dispatcher", { event: "worker.welcomed", worker: this.o.id, session: this.session, url: this.o.url });
        this.registered = true;
        return;
      case "heartbeat":
        if (msg.seq > this.lastSeq) this.gap(msg.seq);
        return;
      case "jobs": {
        if (msg.seq !== this.lastSeq + 1) return this.gap(msg.seq);
        this.lastSeq = msg.seq;
        const jobs = this.withCode(msg.jobs);
        if (jobs === undefined) return;
        this.accept(jobs);
        return;
      }
      case "cancel":
        this.cancel(msg.taskId, msg.attempt);
        return;
    }
  }

  /**
   * The jobs with their functions' code: as they came, or from this session's book (code-book.ts). Every
   * job goes through the book, those handed straight back too, so it stays the dispatcher's twin. A job
   * without code the book does not have means the books disagree: register again (a new session starts
   * both afresh; the dispatcher reports what it sent under this one as lost, to run again).
   */
  private withCode(wire: readonly WireJob[]): Job[] | undefined {
    const jobs: Job[] = [];
    let missing: string | undefined;
    for (const j of wire) {
      const code = this.codes.codeFor(j.functionId, j.code);
      if (code === undefined) missing ??= j.functionId;
      else jobs.push(j.code === undefined ? { ...j, code } : (j as Job));
    }
    if (missing === undefined) return jobs;
    this.o.logger.log("warn", "a job came without its function's code, which this worker was not sent in this session; registering again", { event: "worker.code_missing", worker: this.o.id, functionId: missing.slice(0, 100) });
    this.register();
    return undefined;
  }

  private accept(jobs: readonly Job[]): void {
    if (this.draining) {
      this.handBack(jobs); // sent before the dispatcher heard of the drain: give them straight back
      return;
    }
    this.granted = Math.max(0, this.granted - jobs.length);
    this.held.add(jobs, this.session, this.o.clock.now());
  }

  private cancel(taskId: string, attempt: number): void {
    if (!this.held.cancel(taskId, attempt)) return;
    this.held.startWaiting();
    this.offerCredit();
  }

  private finished(outcomes: readonly Outcome[]): void {
    const now = this.o.clock.now();
    const { mine, quick } = this.held.finished(outcomes, now);
    if (!this.closed) for (const out of mine) this.outbox.add(out);
    this.prefetch.finished(quick, now);
    this.held.startWaiting();
    this.heldChanged?.();
  }

  private offerCredit(): void {
    const n = this.creditToOffer();
    if (n > 0) this.post({ v: 1, t: "credit", session: this.session, n });
  }

  /** Pull: free slots (and prefetch) not yet offered in this session (0 in push mode, and before registration). */
  private creditToOffer(): number {
    if (this.o.mode !== "pull" || this.needsRegister || this.draining) return 0;
    const room = this.o.capacity + this.prefetch.extra(this.o.capacity, this.o.clock.now());
    const n = room - this.held.size - this.granted;
    if (n <= 0) return 0;
    this.granted += n;
    return n;
  }

  /** Starts a new session: everything held so far counts as busy until it finishes. */
  private register(): void {
    if (this.closed) return;
    if (this.dealer.peerCount === 0 && this.session > 0) {
      this.needsRegister = true; // not connected: register once the connection is back (next tick)
      return;
    }
    this.session++;
    this.codes = new CodeBook(WORKER_CODES);
    this.registered = false;
    this.needsRegister = false;
    this.lastSeq = 0;
    const free = Math.max(0, this.o.capacity - this.held.size);
    this.granted = this.o.mode === "pull" ? free : 0;
    this.connectedSinceRegister = this.dealer.peerCount > 0;
    this.post({ v: 1, t: "register", session: this.session, capacity: this.o.capacity, busy: this.held.size, credit: this.granted, mode: this.o.mode, codes: WORKER_CODES, ...(this.o.host !== undefined && { host: this.o.host }) });
  }

  private gap(seq: number): void {
    this.o.logger.log("warn", "jobs from the dispatcher went missing (connection lost); registering again", { event: "worker.gap", worker: this.o.id, expected: this.lastSeq + 1, got: seq });
    this.register();
  }

  private tick(): void {
    const now = this.o.clock.now();
    const late = now - this.lastTick - this.o.heartbeatMs;
    this.lastTick = now;
    if (late > this.o.heartbeatMs) this.lastHeard += late; // stalled here: the dispatcher's silence is not proven
    if (this.dealer.peerCount === 0) {
      if (now - this.lastUnreachableLog >= REPEAT_LOG_MS && now - this.startedAt >= REPEAT_LOG_MS) {
        this.lastUnreachableLog = now;
        this.o.logger.log("warn", "cannot reach the dispatcher; retrying", { event: "worker.unreachable", worker: this.o.id, url: this.o.url, ...(this.handshakeFailure !== undefined && { reason: this.handshakeFailure }) });
      }
      // A connection that carried this session went down: whatever was in flight may be lost. (A
      // registration sent before any connection waits in the socket and goes out on the first one.)
      if (this.connectedSinceRegister) this.needsRegister = true;
      this.lastHeard = now; // nothing can be heard while disconnected: silence counts only while connected
      return;
    }
    this.connectedSinceRegister = true;
    const silent = this.o.clock.now() - this.lastHeard > this.o.dispatcherTimeoutMs;
    if (this.refused !== undefined && now - this.lastRefusalLog < REPEAT_LOG_MS) return; // refused: ask again every few seconds
    if (this.needsRegister || silent) {
      if (silent) this.o.logger.log("warn", "the dispatcher is silent; registering again", { event: "worker.dispatcher_silent", worker: this.o.id, silentMs: this.o.clock.now() - this.lastHeard });
      this.lastHeard = this.o.clock.now(); // one registration per timeout while it stays silent
      this.register();
      return;
    }
    this.post({ v: 1, t: "heartbeat", session: this.session, busy: this.held.busyBefore(this.session) });
    this.offerCredit();
  }

  private post(msg: FromWorker): void {
    this.dealer.send(encode(msg)).catch((e: unknown) => {
      if (!this.closed) this.o.logger.log("warn", "sending to the dispatcher failed", { t: msg.t, error: String(e) });
    });
  }
}
