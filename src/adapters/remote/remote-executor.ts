/**
 * The dispatcher side of pull and push modes: an Executor whose executors are remote worker processes.
 * It binds a ZMTP ROUTER; workers connect with a DEALER whose routing id is their worker id, register
 * with their capacity and heartbeat (see protocol.ts). Jobs go out in batches, one `jobs` message per
 * worker per `run`; outcomes come back in batches.
 *
 * - push: a worker is sent at most its free capacity (capacity + prefetch - in flight - busy: the
 *   prefetch is about PREFETCH_SPAN_MS of its work, domain/prefetch.ts), least-loaded first.
 * - pull: a worker is sent only what it asked for (credits), least-loaded first.
 *
 * Jobs that find no free capacity (a worker died between claim and `run`) wait in a backlog and go out
 * as soon as capacity appears; `freeSlots()` counts them, so the Dispatcher claims no more meanwhile.
 *
 * Liveness: one ticker (every `heartbeatMs`) heartbeats every worker and removes those silent for more
 * than `workerTimeoutMs` or whose connection is gone; their jobs are reported `lost` (the Dispatcher
 * retries them until max_attempts). A worker saying `bye` is removed at once, the same way. Outcomes of
 * an attempt the worker no longer holds (from before it registered again) are dropped.
 *
 * Deadlines are enforced here too, from this dispatcher's own clock: a job must be answered within its
 * deadline plus `deadlineGraceMs` (2 s) from the start its worker reports (`started`), or within twice
 * its deadline from the hand-out when no start was reported; past that it ends FAILED TimeoutError (the
 * attempt counted) and the worker is told to cancel it. A worker that heartbeats but never answers
 * cannot keep a task RUNNING.
 *
 * `stop(taskId)` forwards a `cancel` to the worker holding the task and forgets the task at once (its
 * slot counts as free); an outcome for it that was already on the way is dropped.
 *
 * @example
 * ```ts
 * const executor = await RemoteExecutor.bind({ policy: "push", endpoint: "tcp://127.0.0.1:5555", heartbeatMs: 1000, workerTimeoutMs: 3000, clock: systemClock, logger });
 * const dispatcher = new Dispatcher({ ..., executor });
 * ```
 */
import { every } from "../../domain/every.ts";
import type { Outcome } from "../../domain/outcome.ts";
import type { Clock, Executor, Job, JobRef, Logger } from "../../domain/ports.ts";
import { JobDeadlines } from "../../domain/job-deadlines.ts";
import type { WorkerReport } from "../../domain/worker-directory.ts";
import { WorkerRegistry, type HeldJob, type WorkerPolicy } from "../../domain/worker-registry.ts";
import { FifoQueue } from "../../lib/fifo-queue.ts";
import { FreeSlotWaiters } from "../../lib/free-slot-waiters.ts";
import { Router } from "../../lib/zmtp/index.ts";
import { chunksBySize } from "../../lib/size-chunks.ts";
import { HandshakeFailureLog, watchHandshakeFailures } from "./handshake-failures.ts";
import { CodeBook } from "./code-book.ts";
import { decodeFromWorker, DEFAULT_MAX_MESSAGE_BYTES, encode, ENVELOPE_BYTES, wireSize, type FromWorker, type ToWorker, type WireJob } from "./protocol.ts";
import { traceMark } from "../system/trace.ts";

export interface RemoteExecutorOptions {
  readonly policy: WorkerPolicy;
  /** Where to bind, e.g. tcp://0.0.0.0:5555 (port 0 picks one: read `endpoint`). */
  readonly endpoint: string;
  /** How often workers are heartbeated and checked, in ms. */
  readonly heartbeatMs: number;
  /** A worker silent this long is dead. */
  readonly workerTimeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Largest message accepted from a worker, and the budget jobs messages are split under (default 64 MiB). */
  readonly maxMessageBytes?: number;
  /** Most capacity one worker may claim (default 1024): a worker cannot take every task by claiming a huge one. */
  readonly maxWorkerCapacity?: number;
  /** Added to a job's deadline from the start its worker reports (default 2000 ms). */
  readonly deadlineGraceMs?: number;
  /**
   * ZMTP CURVE: this dispatcher's secret key (Z85) and the workers allowed (their public keys, Z85).
   * The set is read at every handshake: change it and call `recheckWorkers()` to drop removed ones.
   */
  readonly curve?: { readonly secretKey: string; readonly allowedWorkers: ReadonlySet<string> };
}

/** Most capacity one worker may claim unless told otherwise. */
export const DEFAULT_MAX_WORKER_CAPACITY = 1024;

interface Link {
  /** The worker's current registration. */
  readonly session: number;
  /** Last `jobs` message number sent in this session. */
  seq: number;
  /** The functions whose code it was sent in this session, when it keeps code (code-book.ts). */
  readonly codes: CodeBook | undefined;
}

/** Most functions a worker may keep the code of (a worker asking for more is sent code with every job). */
const MAX_WORKER_CODES = 10_000;

export class RemoteExecutor implements Executor {
  private readonly registry: WorkerRegistry;
  private readonly links = new Map<string, Link>();
  private readonly backlog = new FifoQueue<Job>();
  /** Task ids in the backlog, and those of them cancelled (skipped when they come up). */
  private readonly queued = new Set<string>();
  private readonly cancelled = new Set<string>();
  private listener: (outcomes: readonly Outcome[]) => void = () => {};
  private startedListener: (started: readonly JobRef[]) => void = () => {};
  /** When each job handed to a worker must be answered by (and when it was handed over). */
  private readonly deadlines: JobDeadlines;
  private readonly freeWaiters = new FreeSlotWaiters(() => this.freeSlots() > 0);
  private stopTicking: () => void = () => {};
  private readonly stopWatchingHandshakes: () => void;
  private closed = false;
  private readonly receiving: Promise<void>;
  /** When the liveness tick last ran: a tick that comes late means this process was stalled. */
  private lastTick: number;

  private constructor(
    private readonly o: RemoteExecutorOptions,
    private readonly router: Router,
  ) {
    this.registry = new WorkerRegistry({ policy: o.policy, timeoutMs: o.workerTimeoutMs, maxCapacity: o.maxWorkerCapacity ?? DEFAULT_MAX_WORKER_CAPACITY });
    this.deadlines = new JobDeadlines(o.deadlineGraceMs ?? 2000);
    this.lastTick = o.clock.now();
    this.receiving = this.receiveLoop();
    this.stopTicking = every(this.o.clock, this.o.heartbeatMs, () => this.tick());
    const failures = new HandshakeFailureLog({ logger: o.logger, clock: o.clock, event: "dispatcher.handshake_failed", message: "a worker's ZMTP handshake failed; the connection was dropped" });
    this.stopWatchingHandshakes = watchHandshakeFailures(router.events, (f) => failures.record(f));
  }

  /** Binds the ROUTER and starts listening for workers. */
  static async bind(o: RemoteExecutorOptions): Promise<RemoteExecutor> {
    const curve = o.curve === undefined ? {} : { curveServer: true, curveSecretKey: o.curve.secretKey, curveAllow: o.curve.allowedWorkers };
    const router = new Router({ maxMessageSize: o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, ...curve });
    await router.bind(o.endpoint);
    return new RemoteExecutor(o, router);
  }

  /** The bound endpoint, with the real port. */
  get endpoint(): string {
    return this.router.lastEndpoint ?? this.o.endpoint;
  }

  /**
   * Drops the live connections of workers no longer allowed (after the allow-list changed); their jobs
   * are reported lost at the next liveness tick. Returns how many were dropped.
   */
  recheckWorkers(): number {
    return this.router.recheckCurveAllow();
  }

  /** Registered, live workers. */
  workerCount(): number {
    return this.registry.size;
  }

  /** The registered workers, for operators (GET /workers). */
  workers(): WorkerReport[] {
    return this.registry.views().map((w) => ({ id: printable(w.id), host: w.host, mode: this.o.policy, capacity: w.capacity, inFlight: w.inFlight, connectedSince: w.registeredAt, lastHeartbeat: w.lastSeen, tasksDone: w.done, draining: w.draining }));
  }

  freeSlots(): number {
    return Math.max(0, this.registry.totalFree(this.o.clock.now()) - this.backlog.length);
  }

  run(jobs: readonly Job[]): void {
    traceMark("d.send");
    for (const job of jobs) {
      this.backlog.push(job);
      this.queued.add(job.taskId);
    }
    this.pump();
  }

  stop(taskId: string): void {
    this.deadlines.forget(taskId);
    const held = this.registry.release(taskId);
    if (held === undefined) {
      if (this.queued.has(taskId)) this.cancelled.add(taskId); // skipped when it comes up
      return;
    }
    const link = this.links.get(held.workerId);
    if (link !== undefined) this.send(held.workerId, { v: 1, t: "cancel", session: link.session, taskId, attempt: held.attempt });
    this.pump();
    this.wake();
  }

  onOutcomes(listener: (outcomes: readonly Outcome[]) => void): void {
    this.listener = listener;
  }

  onStarted(listener: (started: readonly JobRef[]) => void): void {
    this.startedListener = listener;
  }

  whenFree(): Promise<void> {
    return this.freeWaiters.whenFree();
  }

  /** Stops listening and heartbeating. Jobs in flight are not reported (their tasks stay RUNNING). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTicking();
    this.stopWatchingHandshakes();
    this.router.close();
    await this.receiving;
    this.freeWaiters.closeAll();
  }

  private async receiveLoop(): Promise<void> {
    for await (const [idFrame, ...frames] of this.router) {
      const id = (idFrame as Buffer).toString("latin1");
      if (frames.length !== 1) {
        this.o.logger.log("warn", "dropped a worker message: expected one frame", { event: "worker.bad_message", worker: printable(id), frames: frames.length });
        continue;
      }
      const msg = decodeFromWorker(frames[0] as Buffer);
      if (!msg.ok) {
        this.o.logger.log("warn", "dropped a worker message", { event: "worker.bad_message", worker: printable(id), error: msg.error });
        continue;
      }
      try {
        this.handle(id, msg.value);
      } catch (e) {
        this.o.logger.log("error", "handling a worker message failed", { worker: printable(id), t: msg.value.t, error: String(e) });
      }
    }
  }

  private handle(id: string, msg: FromWorker): void {
    const now = this.o.clock.now();
    if (msg.t === "register") {
      if (msg.mode !== undefined && msg.mode !== this.o.policy) {
        const reason = `this dispatcher runs --mode ${this.o.policy}, the worker --mode ${msg.mode}: start the worker with --mode ${this.o.policy}`;
        this.o.logger.log("warn", "refused a worker of another mode", { event: "worker.refused", worker: printable(id), reason });
        this.send(id, { v: 1, t: "refused", reason });
        return;
      }
      const lost = this.registry.register(id, { capacity: msg.capacity, busy: msg.busy, credit: this.o.policy === "pull" ? msg.credit : 0, ...(msg.host !== undefined && { host: msg.host }) }, now);
      const codes = msg.codes !== undefined && msg.codes > 0 && msg.codes <= MAX_WORKER_CODES ? new CodeBook(msg.codes) : undefined;
      this.links.set(id, { session: msg.session, seq: 0, codes });
      this.send(id, { v: 1, t: "welcome", session: msg.session });
      const cap = this.o.maxWorkerCapacity ?? DEFAULT_MAX_WORKER_CAPACITY;
      if (msg.capacity > cap) this.o.logger.log("warn", "a worker claimed more capacity than allowed; it gets the cap", { event: "worker.capacity_capped", worker: printable(id), claimed: msg.capacity, cap });
      this.o.logger.log("info", "worker registered", { event: "worker.registered", worker: printable(id), capacity: Math.min(msg.capacity, cap), busy: msg.busy, session: msg.session, workers: this.registry.size });
      this.reportLost(lost, `worker ${printable(id)} registered again`);
      this.pump();
      this.wake();
      return;
    }
    if (msg.t === "bye") {
      this.dead(id, "said bye");
      return;
    }
    const link = this.links.get(id);
    const current = link !== undefined && link.session === msg.session;
    if (!this.registry.heartbeat(id, now, current && msg.t === "heartbeat" ? msg.busy : undefined)) {
      this.send(id, { v: 1, t: "reregister" });
      return;
    }
    if (msg.t === "outcomes") {
      const fresh: Outcome[] = [];
      for (const out of msg.outcomes) {
        const handedAt = this.deadlines.handedAt(out.taskId);
        if (!this.registry.complete(id, out.taskId, out.attempt, handedAt === undefined ? undefined : { kind: out.kind, handedAt, now })) continue;
        this.deadlines.forget(out.taskId);
        fresh.push({ ...out, ranOn: this.placeOf(id, out.ranOn) });
      }
      if (current && this.o.policy === "pull" && msg.credit > 0) this.registry.grant(id, msg.credit);
      if (fresh.length > 0) {
        traceMark("d.heard");
        this.listener(fresh);
      }
    } else if (msg.t === "credit" && current && this.o.policy === "pull") {
      this.registry.grant(id, msg.n);
    } else if (msg.t === "drain") {
      this.registry.drain(id);
      this.o.logger.log("info", "a worker is shutting down: it gets no more jobs", { event: "worker.draining", worker: printable(id), holds: this.registry.view(id)?.inFlight ?? 0 });
    } else if (msg.t === "handback") {
      const back: Outcome[] = [];
      for (const j of msg.jobs) {
        if (!this.registry.complete(id, j.taskId, j.attempt)) continue;
        this.deadlines.forget(j.taskId);
        back.push({ taskId: j.taskId, attempt: j.attempt, kind: "handed-back" });
      }
      if (back.length > 0) this.listener(back);
    } else if (msg.t === "started") {
      const started = this.deadlines.started(id, msg.jobs, now);
      if (started.length > 0) this.startedListener(started);
    }
    this.pump();
    this.wake();
  }

  /** Hands backlog jobs to workers with free capacity, one message per worker. */
  private pump(): void {
    while (this.backlog.length > 0 && !this.closed) {
      const plan = this.registry.allocate(this.backlog.length, this.o.clock.now());
      if (plan.length === 0) return;
      for (const [workerId, count] of plan) {
        const link = this.links.get(workerId) as Link;
        const jobs: WireJob[] = [];
        while (jobs.length < count && this.backlog.length > 0) {
          const job = this.backlog.shift() as Job;
          this.queued.delete(job.taskId);
          if (this.cancelled.delete(job.taskId)) continue;
          this.registry.assign(workerId, job.taskId, job.attempt);
          this.deadlines.handed(job.taskId, workerId, job.attempt, job.timeoutMs, this.o.clock.now());
          jobs.push(link.codes === undefined || link.codes.mustSend(job.functionId, job.code) ? job : withoutCode(job));
        }
        if (jobs.length === 0) continue;
        // One message per worker, unless that would pass the message size: then several, in order.
        for (const chunk of chunksBySize(jobs, wireSize, (this.o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES) - ENVELOPE_BYTES)) {
          link.seq++;
          this.send(workerId, { v: 1, t: "jobs", session: link.session, seq: link.seq, jobs: chunk });
        }
      }
    }
  }

  private send(id: string, msg: ToWorker): void {
    const session = this.links.get(id)?.session;
    this.router.send([Buffer.from(id, "latin1"), encode(msg)]).catch((e: unknown) => {
      if (this.closed) return;
      // no connection to it any more: what it holds is lost (unless it registered again meanwhile)
      if (session !== undefined && this.links.get(id)?.session === session) this.dead(id, `is unreachable (${(e as Error).message})`);
    });
  }

  /**
   * The one liveness timer: drop silent or disconnected workers, heartbeat the others. When the tick
   * itself comes late, this process was stalled (busy CPU, GC) and may not have read what workers sent
   * meanwhile: the stall is forgiven rather than counted as their silence.
   */
  private tick(): void {
    const now = this.o.clock.now();
    const late = now - this.lastTick - this.o.heartbeatMs;
    this.lastTick = now;
    if (late > this.o.heartbeatMs) {
      this.registry.forgive(late);
      this.o.logger.log("warn", "the dispatcher was stalled; worker silence during the stall is not counted", { event: "dispatcher.stalled", stalledMs: late });
    }
    this.enforceDeadlines(now);
    const connected = new Set(this.router.routingIds.map((b) => b.toString("latin1")));
    for (const id of this.registry.expired(now)) this.dead(id, `was silent for more than ${this.o.workerTimeoutMs} ms`);
    for (const id of this.registry.ids()) if (!connected.has(id)) this.dead(id, "lost its connection");
    for (const [id, link] of this.links) this.send(id, { v: 1, t: "heartbeat", session: link.session, seq: link.seq });
  }

  /** Jobs past the time their worker had to answer: FAILED TimeoutError here, and a cancel to the worker. */
  private enforceDeadlines(now: number): void {
    const late: Outcome[] = [];
    for (const { taskId, timeoutMs, started } of this.deadlines.overdue(now)) {
      const held = this.registry.release(taskId);
      if (held === undefined) continue;
      const link = this.links.get(held.workerId);
      if (link !== undefined) this.send(held.workerId, { v: 1, t: "cancel", session: link.session, taskId, attempt: held.attempt });
      this.o.logger.log("warn", "a worker did not answer a job in time; it fails TimeoutError here", { event: "job.deadline_enforced", worker: printable(held.workerId), task: taskId, started });
      late.push({ taskId, attempt: held.attempt, kind: "timeout", timeoutMs, ranOn: this.placeOf(held.workerId) });
    }
    if (late.length > 0) {
      this.listener(late);
      this.pump();
      this.wake();
    }
  }

  private dead(id: string, why: string): void {
    const known = this.registry.has(id);
    const place = this.placeOf(id);
    const lost = this.registry.remove(id);
    for (const h of lost) this.deadlines.forget(h.taskId);
    this.links.delete(id);
    if (known) this.o.logger.log(lost.length > 0 ? "warn" : "info", `worker ${why}; its jobs are reported lost`, { event: "worker.gone", reason: why, worker: printable(id), lost: lost.length, workers: this.registry.size });
    this.reportLost(lost, `worker ${printable(id)} ${why}`, place);
    this.wake();
  }

  private reportLost(held: readonly HeldJob[], reason: string, ranOn?: string): void {
    if (held.length === 0) return;
    this.listener(held.map((h) => ({ taskId: h.taskId, attempt: h.attempt, kind: "lost", reason: `Worker lost: ${reason}`, ...(ranOn !== undefined && { ranOn }) })));
  }

  /**
   * Where a job ran, for the task's attempt record: the worker, its host, and the executor it names
   * (a short printable text, else left out).
   */
  private placeOf(id: string, detail?: unknown): string {
    const host = this.registry.view(id)?.host ?? "";
    const executor = typeof detail === "string" && /^[\x20-\x7e]{1,80}$/.test(detail) ? `, ${detail}` : "";
    return `worker ${printable(id)}${host === "" ? "" : ` on ${host}`}${executor}`;
  }

  private wake(): void {
    this.freeWaiters.wake();
  }
}

/** A routing id for logs: the worker's UUID, or hex when it is not printable. */
function printable(id: string): string {
  return /^[\x20-\x7e]*$/.test(id) ? id : `0x${Buffer.from(id, "latin1").toString("hex")}`;
}

/** A job as it travels to a worker that was sent its function's code already in this session. */
function withoutCode(job: Job): WireJob {
  return { taskId: job.taskId, tenant: job.tenant, attempt: job.attempt, functionId: job.functionId, args: job.args, timeoutMs: job.timeoutMs };
}
