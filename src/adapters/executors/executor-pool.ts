/**
 * An Executor over up to `executors` executors (threads, child processes or sandboxes: see
 * executor-host.ts), never shared between tenants. Executors start on demand for the tenant whose
 * jobs need one and stop when idle; at the global count, a tenant with work and no executor takes the
 * place of the least recently used idle executor of another tenant (a fresh one is started, never
 * reused across tenants), or waits while one is drained. Jobs wait inside the pool until an executor
 * of their tenant has a slot, offered round-robin between tenants; `freeSlots()` counts what the pool
 * accepts, wherever it waits.
 *
 * One ticker for the whole pool (no timer per job) enforces, from the pool's own records only:
 * deadlines (counted from the start model, start-model.ts), memory caps (over the executor's whole
 * process tree) and stalls (no heartbeat: its unstarted jobs are taken back to run elsewhere). A job
 * past its deadline fails TimeoutError and its executor is replaced; when other jobs ran in the same
 * stalled executor the blame is ambiguous and each started job re-runs alone in a fresh executor
 * (quarantine), where it is timed exactly. Jobs that lose their executor for another job's sake run
 * again elsewhere without spending an attempt (at most MAX_BOUNCES times).
 */
import type { Outcome } from "../../domain/outcome.ts";
import { every } from "../../domain/every.ts";
import { Prefetch, quickEnd } from "../../domain/prefetch.ts";
import type { Clock, Executor, Job, JobRef, Logger } from "../../domain/ports.ts";
import { systemClock } from "../system/clock.ts";
import { FreeSlotWaiters } from "../../lib/free-slot-waiters.ts";
import { TurnBatcher } from "../../lib/turn-batcher.ts";
import { hostsFor } from "./host-kinds.ts";
import type { HostFactory } from "./executor-host.ts";
import { ExecutorRecord, type Held } from "./executor-record.ts";
import type { ExecutorJob, ExecutorSpec } from "./protocol.ts";
import { drainVictim, place } from "./placement.ts";
import { MAX_BOUNCES, timings, type PoolOptions, type PoolTimings } from "./pool-options.ts";
import { checkMessage, toOutcome } from "./result-check.ts";
import { deadlineBlame, inspect } from "./watch.ts";
import { TenantQueues, tenantOf, type Pending } from "./tenant-queues.ts";
import { traceMark } from "../system/trace.ts";

type Verdict = "requeue" | "alone" | Outcome;

export class ExecutorPool implements Executor {
  private readonly records = new Set<ExecutorRecord>();
  private readonly queues = new TenantQueues();
  private readonly hosts: HostFactory;
  private readonly spec: ExecutorSpec;
  private readonly t: PoolTimings;
  private listener: (outcomes: readonly Outcome[]) => void = () => {};
  /** Told of the jobs whose clocks started (a remote worker reports them); none: they are not collected. */
  private startedListener: ((started: readonly JobRef[]) => void) | undefined;
  /** Jobs whose clocks started this turn, reported together. */
  private readonly starts = new TurnBatcher<JobRef>((batch) => this.startedListener?.(batch));
  private readonly freeWaiters = new FreeSlotWaiters(() => this.freeSlots() > 0);
  /** Jobs taken by run() and neither reported nor stopped yet. */
  private accepted = 0;
  /** Stops the ticker (a recurring timer on the pool's Clock), when one runs. */
  private ticker: (() => void) | undefined;
  private readonly clock: Clock;
  private readonly prefetch = new Prefetch();
  private lastTick = 0;
  private prepared = false;
  private broken: string | undefined;
  private closed = false;
  private pumping = false;
  private pumpAgain = false;
  private nextId = 0;
  /** Executors started over the pool's life, including replacements (for tests and metrics). */
  spawned = 0;
  /** `run` messages posted to executors (each carries a batch of jobs). */
  batchesPosted = 0;

  constructor(private readonly o: PoolOptions) {
    this.clock = o.clock ?? systemClock;
    const slots = o.slotsPerExecutor ?? 128;
    this.t = timings(o);
    this.spec = { slots, concurrency: Math.ceil(slots / 2), beatMs: this.t.beatMs, maxResultBytes: o.maxResultBytes ?? 16 * 1024 * 1024 };
    this.hosts = o.hosts ?? hostsFor(o.isolation ?? "thread", { logger: o.logger, memoryLimitBytes: o.memoryLimitBytes, network: o.sandboxNetwork === true, clock: this.clock, ...(o.childEnv !== undefined && { env: o.childEnv }) });
    if (this.hosts.prepare === undefined) this.prepared = true;
    else {
      const failed = (e: unknown) => {
        this.broken = `${this.hosts.kind} executors cannot start: ${(e as Error).message}`;
        o.logger.log("error", "executors cannot start", { event: "executor.start-failed", error: this.broken });
        this.failQueued();
      };
      void this.hosts.prepare().then(() => ((this.prepared = true), this.pump()), failed);
    }
  }

  /** The kind cannot start executors at all: every job, now and later, is lost with the reason. */
  private failQueued(): void {
    const queued = this.queues.drain();
    this.accepted -= queued.length;
    this.emit(queued.map((p) => this.lost(p.job, this.broken as string)));
  }

  /** Room for more jobs: the executors' slots not taken, plus the prefetch (jobs that wait here meanwhile). */
  freeSlots(): number {
    if (this.closed) return 0;
    const slots = this.o.executors * this.spec.slots;
    return Math.max(0, slots + this.prefetch.extra(slots, this.clock.now()) - this.accepted);
  }

  /** Live executors (over all tenants). */
  size(): number {
    return this.records.size;
  }

  /** Live executors per tenant (for tests and metrics). */
  executorsByTenant(): Map<string, number> {
    return countBy(this.records, (e) => e.tenant);
  }

  /** Host-side process ids of every live executor's tree ([] for threads): for tests and diagnostics. */
  pids(): number[] {
    return [...this.records].flatMap((e) => e.host.pids());
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

  /** Accepts any mix of tenants; what finds no executor yet waits here (never throws). */
  run(jobs: readonly Job[]): void {
    if (this.closed) return;
    traceMark("x.run");
    this.accepted += jobs.length;
    for (const job of jobs) this.queues.push(tenantOf(job), { job, alone: false, bounces: 0 });
    if (this.broken !== undefined) queueMicrotask(() => this.failQueued());
    else this.pump();
  }

  stop(taskId: string): void {
    if (this.queues.remove(taskId) !== undefined) {
      this.accepted--;
      this.freeWaiters.wake();
      return;
    }
    for (const e of this.records) {
      const h = e.find(taskId);
      if (h === undefined) continue;
      e.release(h, this.clock.now());
      this.accepted--;
      this.retire(e, "cancelled", `task ${taskId} cancelled`, () => "requeue");
      return;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ticker?.();
    this.ticker = undefined;
    const gone: Promise<unknown>[] = [];
    for (const e of this.records) {
      e.alive = false;
      e.host.terminate();
      gone.push(e.host.exited);
    }
    this.records.clear();
    this.queues.drain();
    await Promise.race([Promise.all(gone), this.clock.sleep(3000)]);
    await this.hosts.close();
    this.freeWaiters.closeAll();
  }

  /** Hands queued jobs to executors of their tenants, one job per tenant per round. */
  private pump(): void {
    if (!this.prepared || this.closed || this.queues.size === 0) return;
    if (this.pumping) {
      this.pumpAgain = true; // called back from inside (an executor retired to make room): go round again
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.pumpOnce();
      } while (this.pumpAgain && !this.closed);
    } finally {
      this.pumping = false;
    }
    this.armTicker();
  }

  private pumpOnce(): void {
    const now = this.clock.now();
    const batches = new Map<ExecutorRecord, ExecutorJob[]>();
    const blocked = new Set<string>();
    for (let progressed = true; progressed; ) {
      progressed = false;
      for (const tenant of this.queues.tenants()) {
        if (blocked.has(tenant)) continue;
        const p = this.queues.peek(tenant) as Pending;
        const e = this.placeFor(tenant, p.alone);
        if (e === undefined) {
          blocked.add(tenant);
          continue;
        }
        this.queues.shift(tenant);
        if (e === "failed") {
          this.runAgain(tenant, [p], (x) => x.alone, "could not start an executor");
          continue;
        }
        if (p.alone) e.alone = true;
        const batch = batches.get(e) ?? [];
        batch.push(e.assign(p, now));
        batches.set(e, batch);
        progressed = true;
      }
    }
    for (const [e, jobs] of batches) {
      e.host.post({ t: "run", jobs });
      this.batchesPosted++;
    }
    this.drainFor(blocked);
  }

  /** The executor a job of `tenant` goes to (started for it if need be), or undefined when it must wait. */
  private placeFor(tenant: string, alone: boolean): ExecutorRecord | "failed" | undefined {
    const p = place(this.records, this.o.executors, tenant, alone);
    if ("wait" in p) return undefined;
    if (!("start" in p)) return p;
    if (p.evict !== undefined) this.retire(p.evict, p.evict.tenant === tenant ? "recycled" : "evicted", `its place went to tenant ${tenant}`, () => "requeue");
    return this.spawn(tenant, alone) ?? p.fallback ?? "failed";
  }

  private spawn(tenant: string, alone: boolean): ExecutorRecord | undefined {
    const now = this.clock.now();
    const e = new ExecutorRecord(++this.nextId, tenant, this.spec.slots, this.spec.concurrency, now, (h) => {
      if (this.startedListener !== undefined) this.starts.add({ taskId: h.job.taskId, attempt: h.job.attempt });
    });
    try {
      e.host = this.hosts.start(this.spec, { message: (m) => this.receive(e, m), exit: (code) => this.exited(e, code) }, `e${e.id}`);
    } catch (err) {
      this.o.logger.log("error", "an executor could not start", { event: "executor.start-failed", tenant, error: (err as Error).message });
      return undefined;
    }
    this.records.add(e);
    this.spawned++;
    this.o.logger.log("debug", "executor started", { event: "executor.started", executor: e.id, tenant, kind: this.hosts.kind, alone });
    return e;
  }

  /** A tenant with work and no executor at the global count: one executor of another tenant drains. */
  private drainFor(blocked: ReadonlySet<string>): void {
    const starving = [...blocked].filter((t) => ![...this.records].some((e) => e.tenant === t));
    if (starving.length === 0) {
      for (const e of this.records) e.draining = false;
      return;
    }
    const victim = drainVictim(this.records, starving);
    if (victim === undefined) return;
    victim.draining = true;
    this.o.logger.log("debug", "executor drains for a waiting tenant", { event: "executor.draining", executor: victim.id, tenant: victim.tenant, for: starving[0] });
  }

  private receive(e: ExecutorRecord, raw: unknown): void {
    if (!e.alive) return;
    const now = this.clock.now();
    e.lastHeard = now;
    e.stalled = false;
    const msg = checkMessage(raw);
    if (msg === undefined) {
      this.o.logger.log("warn", "an executor sent a message that is not of the protocol; dropped", { event: "executor.bad-message", executor: e.id, tenant: e.tenant });
      return;
    }
    if (msg.t === "ready") {
      if (e.ready) return;
      e.ready = true;
      e.model.open(now);
      this.o.logger.log("debug", "executor ready", { event: "executor.ready", executor: e.id, kind: this.hosts.kind, startMs: now - e.spawnedAt, ...(msg.note ? { note: msg.note } : {}) });
    } else if (msg.t === "stray") {
      this.o.logger.log("warn", "user code raised an error after its task finished", { event: "executor.stray-error", tenant: e.tenant, error: msg.message.slice(0, 2000) });
    } else if (msg.t === "done") {
      const outcomes: Outcome[] = [];
      let quick = 0;
      for (const r of msg.results) {
        const h = e.at(r.slot, r.seq);
        if (h === undefined) continue; // taken back, timed out, or made up
        e.release(h, now);
        this.accepted--;
        const outcome = toOutcome(h.job, r, this.spec.maxResultBytes, this.placeOf(e));
        if (quickEnd(outcome.kind, h.handedAt, now)) quick++;
        outcomes.push(outcome);
      }
      this.prefetch.finished(quick, now);
      this.emit(outcomes);
      this.pump();
    }
  }

  private exited(e: ExecutorRecord, code: number | null): void {
    if (!e.alive || this.closed) return;
    if (!e.ready) {
      this.o.logger.log("error", "an executor exited before it was ready", { event: "executor.start-failed", executor: e.id, tenant: e.tenant, code });
      this.retire(e, "start-failed", `exited with code ${code} before it was ready`, () => "requeue");
    } else if (e.host.killedForMemory()) {
      this.memoryDeath(e, "the kernel killed a process of the executor at its memory limit");
    } else {
      const reason = `Executor exited while running the task (exit code ${code})`;
      this.retire(e, "exited", `executor exited with code ${code}`, (h) => (h.phase === "running" || e.startedPerTable(h) ? this.lost(h.job, reason) : "requeue"));
    }
  }

  private armTicker(): void {
    if (this.ticker !== undefined || this.closed || (this.records.size === 0 && this.queues.size === 0)) return;
    this.lastTick = this.clock.now();
    this.ticker = every(this.clock, this.t.tickMs, () => this.tick());
  }

  private tick(): void {
    if (this.records.size === 0 && this.queues.size === 0) {
      this.ticker?.();
      this.ticker = undefined;
      return;
    }
    const now = this.clock.now();
    const judge = now - this.lastTick < this.t.suspectMs;
    this.lastTick = now;
    for (const e of [...this.records]) {
      for (const f of inspect(e, now, judge, this.t, this.o.memoryLimitBytes)) {
        if (!e.alive) break;
        if (f.kind === "start-timeout") this.retire(e, "start-failed", "not ready in time", () => "requeue");
        else if (f.kind === "idle") this.retire(e, "idle", `idle for ${this.t.idleMs} ms`, () => "requeue");
        else if (f.kind === "memory") this.memoryDeath(e, `executor used ${Math.round((f.usedBytes ?? 0) / 1048576)} MB`);
        else if (f.kind === "stall") this.recallFromStalled(e, now);
        else this.deadline(e, f.job);
      }
    }
    this.pump();
  }

  /** The executor's event loop is blocked: jobs it has not started run elsewhere. */
  private recallFromStalled(e: ExecutorRecord, now: number): void {
    e.stalled = true;
    const recalled = e.jobs().filter((h) => e.recall(h));
    for (const h of recalled) e.release(h, now);
    this.runAgain(e.tenant, recalled, () => false, "its executor stalled");
    this.o.logger.log("info", "executor stalled; its unstarted jobs run elsewhere", { event: "executor.stalled", executor: e.id, tenant: e.tenant, recalled: recalled.length });
  }

  /** `h` passed its deadline: charged, unless others ran beside it in a stalled executor (then quarantine). */
  private deadline(e: ExecutorRecord, h: Held): void {
    const detail = `task ${h.job.taskId} passed its ${h.job.timeoutMs} ms deadline`;
    const { ambiguous, unstarted } = deadlineBlame(e, h);
    if (ambiguous) {
      this.o.logger.log("info", "a deadline passed in a stalled executor; its started jobs re-run alone", { event: "executor.quarantined", executor: e.id, tenant: e.tenant, jobs: e.count - unstarted.size });
      this.retire(e, "quarantine", detail, (x) => (unstarted.has(x) ? "requeue" : "alone"));
      return;
    }
    e.release(h, this.clock.now());
    this.accepted--;
    this.retire(e, "deadline", detail, () => "requeue");
    this.emit([{ taskId: h.job.taskId, attempt: h.job.attempt, kind: "timeout", timeoutMs: h.job.timeoutMs, ranOn: this.placeOf(e) }]);
  }

  private memoryDeath(e: ExecutorRecord, what: string): void {
    const cap = Math.round((this.o.memoryLimitBytes ?? 0) / 1048576);
    const newest = e.newestRunning();
    const message = `Executor memory over the ${cap} MB cap (--max-memory-mb): ${what}`;
    this.retire(e, "memory", `${what}, over its ${cap} MB cap`, (h) => (h === newest ? { taskId: h.job.taskId, attempt: h.job.attempt, kind: "resource-limit", message } : "requeue"));
  }

  /**
   * Terminates an executor (and its tree); each job it held gets a verdict: re-run (without an attempt
   * spent, at most MAX_BOUNCES times), re-run alone, or an outcome now.
   */
  private retire(e: ExecutorRecord, why: string, detail: string, verdict: (h: Held) => Verdict): void {
    if (!e.alive) return;
    e.alive = false;
    this.records.delete(e);
    e.host.terminate();
    const now = this.clock.now();
    const outcomes: Outcome[] = [];
    const again: Held[] = [];
    const alone = new Set<Held>();
    for (const h of e.jobs()) {
      const v = verdict(h);
      e.release(h, now);
      if (v === "requeue" || v === "alone") {
        again.push(h);
        if (v === "alone") alone.add(h);
      } else outcomes.push({ ...v, ranOn: this.placeOf(e) });
    }
    this.accepted -= outcomes.length;
    const rerun = this.runAgain(e.tenant, again, (h) => alone.has(h), detail);
    const quiet = why === "idle" || why === "evicted" || why === "recycled";
    const fields = { why, detail, executor: e.id, tenant: e.tenant, rerun, outcomes: outcomes.length };
    this.o.logger.log(quiet ? "debug" : "warn", quiet ? "executor stopped" : "executor replaced", { event: quiet ? "executor.stopped" : "executor.replaced", ...fields });
    this.emit(outcomes);
    this.pump();
  }

  /**
   * Puts jobs back in front of their tenant's queue without an attempt spent; one handed back more than
   * MAX_BOUNCES times is reported lost instead (a task must not loop for ever). Returns how many went back.
   */
  private runAgain<T extends { readonly job: Job; readonly bounces: number; readonly alone: boolean }>(tenant: string, jobs: readonly T[], alone: (x: T) => boolean, why: string): number {
    const again: Pending[] = [];
    const lost: Outcome[] = [];
    for (const x of jobs) {
      if (x.bounces + 1 > MAX_BOUNCES) lost.push(this.lost(x.job, `Executor replaced ${MAX_BOUNCES} times while holding the task (last: ${why})`));
      else again.push({ job: x.job, alone: alone(x), bounces: x.bounces + 1 });
    }
    this.queues.requeue(tenant, again);
    this.accepted -= lost.length;
    this.emit(lost);
    return again.length;
  }

  /**
   * Where a job ran, for the task's attempt record: "thread executor 3". Made once per executor: a
   * finished task keeps it, and one made per task was kept with every finished task (see
   * scripts/profile-allocations.ts).
   */
  private placeOf(e: ExecutorRecord): string {
    return (e.place ??= `${this.hosts.kind} executor ${e.id}`);
  }

  private lost(job: Job, reason: string): Outcome {
    return { taskId: job.taskId, attempt: job.attempt, kind: "lost", reason };
  }

  private emit(outcomes: readonly Outcome[]): void {
    if (outcomes.length === 0) return;
    traceMark("x.outcome");
    this.listener(outcomes);
    this.freeWaiters.wake();
  }
}

function countBy<T>(items: Iterable<T>, key: (x: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const x of items) out.set(key(x), (out.get(key(x)) ?? 0) + 1);
  return out;
}
