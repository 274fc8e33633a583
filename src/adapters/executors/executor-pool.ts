/**
 * An Executor over a fixed number of executors (Bun Worker threads or child processes, see
 * executor-host.ts). Each executor owns a fixed number of job slots; jobs are handed out in one message
 * per executor per batch, results come back in batches. One ticker for the whole pool scans the shared
 * start-time tables (no timer per job): a job past its deadline gets its executor terminated and
 * replaced, and the executor's other jobs are handed out again. An executor over the memory cap is
 * killed the same way, its newest running job FAILED ResourceLimit. An executor that dies on its own
 * reports its started jobs as lost (the dispatcher retries them) and re-runs its unstarted ones.
 */
import type { Outcome } from "../../domain/outcome.ts";
import type { Executor, Job, Logger } from "../../domain/ports.ts";
import type { ExecutorHost, HostFactory } from "./executor-host.ts";
import type { ExecutorJob, ExecutorResult, FromExecutor, ToExecutor } from "./protocol.ts";
import { processHost } from "./process-host.ts";
import { threadHost } from "./thread-host.ts";
import { FreeSlotWaiters } from "../../lib/free-slot-waiters.ts";

export interface PoolOptions {
  /** How many executors. */
  readonly executors: number;
  /**
   * Jobs one executor holds at once (default 128). Half of them (rounded up) run at once; the rest wait
   * inside the executor and start the moment a running one settles, so a slot never idles for a round
   * trip to the dispatcher. Deadlines count from a job's own start.
   */
  readonly slotsPerExecutor?: number;
  /** How often deadlines (and memory) are checked, in ms. */
  readonly tickMs?: number;
  readonly logger: Logger;
  /** Kill an executor whose resident memory passes this (process executors only). */
  readonly memoryLimitBytes?: number;
}

interface ExecutorState {
  readonly host: ExecutorHost;
  readonly jobs: (Job | undefined)[];
  readonly free: number[];
  readonly known: Set<string>;
  alive: boolean;
}

type Death = "exited" | "deadline" | "memory" | "cancelled";

export class ExecutorPool implements Executor {
  private readonly executors: ExecutorState[] = [];
  private readonly slots: number;
  private readonly tickMs: number;
  private listener: (outcomes: readonly Outcome[]) => void = () => {};
  private readonly freeWaiters = new FreeSlotWaiters(() => this.freeSlots() > 0);
  private inFlight = 0;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  /** Executors started over the pool's life, including replacements (for tests and metrics). */
  spawned = 0;
  /** `run` messages posted to executors (each carries a batch of jobs). */
  batchesPosted = 0;

  constructor(
    private readonly o: PoolOptions,
    private readonly host: HostFactory,
  ) {
    this.slots = o.slotsPerExecutor ?? 128;
    this.tickMs = o.tickMs ?? 20;
    for (let i = 0; i < o.executors; i++) this.executors.push(this.spawn());
  }

  freeSlots(): number {
    let n = 0;
    for (const t of this.executors) n += t.free.length;
    return n;
  }

  /** Live executors (the pool keeps this at its size). */
  size(): number {
    return this.executors.filter((t) => t.alive).length;
  }

  onOutcomes(listener: (outcomes: readonly Outcome[]) => void): void {
    this.listener = listener;
  }

  whenFree(): Promise<void> {
    return this.freeWaiters.whenFree();
  }

  run(jobs: readonly Job[]): void {
    let next = 0;
    let open = this.executors.filter((t) => t.free.length > 0);
    while (next < jobs.length && open.length > 0) {
      const share = Math.ceil((jobs.length - next) / open.length);
      for (const executor of open) {
        const batch: ExecutorJob[] = [];
        while (batch.length < share && next < jobs.length && executor.free.length > 0) {
          batch.push(this.assign(executor, jobs[next++] as Job));
        }
        if (batch.length > 0) {
          this.post(executor, { t: "run", jobs: batch });
          this.batchesPosted++;
        }
      }
      open = open.filter((t) => t.free.length > 0);
    }
    if (next < jobs.length) throw new Error(`ThreadPool.run got ${jobs.length} jobs with ${next} free slots`);
    this.armTicker();
  }

  stop(taskId: string): void {
    for (const executor of this.executors) {
      const slot = executor.jobs.findIndex((j) => j?.taskId === taskId);
      if (slot >= 0) {
        this.release(executor, slot);
        this.replace(executor, "cancelled", `task ${taskId} cancelled`);
        return;
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    for (const t of this.executors) {
      t.alive = false;
      t.host.terminate();
    }
    this.freeWaiters.closeAll();
  }

  private spawn(): ExecutorState {
    const state: ExecutorState = {
      host: undefined as unknown as ExecutorHost,
      jobs: new Array(this.slots).fill(undefined),
      free: Array.from({ length: this.slots }, (_, i) => this.slots - 1 - i),
      known: new Set(),
      alive: true,
    };
    (state as { host: ExecutorHost }).host = this.host(this.slots, Math.ceil(this.slots / 2), {
      message: (msg) => this.receive(state, msg),
      exit: (code) => {
        if (state.alive && !this.closed) this.replace(state, "exited", `executor exited with code ${code}`);
      },
    });
    this.spawned++;
    return state;
  }

  private assign(executor: ExecutorState, job: Job): ExecutorJob {
    const slot = executor.free.pop() as number;
    executor.jobs[slot] = job;
    executor.host.startedAt[slot] = 0;
    this.inFlight++;
    if (executor.known.has(job.functionId)) return { slot, fid: job.functionId, args: job.args };
    executor.known.add(job.functionId);
    return { slot, fid: job.functionId, code: job.code, args: job.args };
  }

  private release(executor: ExecutorState, slot: number): Job | undefined {
    const job = executor.jobs[slot];
    if (job === undefined) return undefined;
    executor.jobs[slot] = undefined;
    executor.free.push(slot);
    this.inFlight--;
    return job;
  }

  private post(executor: ExecutorState, msg: ToExecutor): void {
    executor.host.post(msg);
  }

  private receive(executor: ExecutorState, msg: FromExecutor): void {
    if (!executor.alive) return;
    if (msg.t === "stray") {
      this.o.logger.log("warn", "user code raised an error after its task finished", { error: msg.message });
      return;
    }
    const results = msg.results;
    const outcomes: Outcome[] = [];
    for (const r of results) {
      const job = this.release(executor, r.slot);
      if (job !== undefined) outcomes.push(toOutcome(job, r));
    }
    this.emit(outcomes);
  }

  private emit(outcomes: readonly Outcome[]): void {
    if (outcomes.length > 0) this.listener(outcomes);
    this.freeWaiters.wake();
  }

  private armTicker(): void {
    if (this.ticker === undefined && this.inFlight > 0) this.ticker = setInterval(() => this.checkDeadlines(), this.tickMs);
  }

  private checkDeadlines(): void {
    if (this.inFlight === 0) {
      clearInterval(this.ticker);
      this.ticker = undefined;
      return;
    }
    const now = Date.now();
    for (const executor of [...this.executors]) {
      if (this.overMemory(executor)) continue;
      for (let slot = 0; slot < this.slots; slot++) {
        const job = executor.jobs[slot];
        const started = executor.host.startedAt[slot] as number;
        if (job === undefined || started <= 0 || now - started < job.timeoutMs) continue;
        this.release(executor, slot);
        this.replace(executor, "deadline", `task ${job.taskId} passed its ${job.timeoutMs} ms deadline`);
        this.emit([{ taskId: job.taskId, attempt: job.attempt, kind: "timeout", timeoutMs: job.timeoutMs }]);
        break;
      }
    }
  }

  /** Kills an executor over the memory cap; its newest running job fails ResourceLimit. */
  private overMemory(executor: ExecutorState): boolean {
    const limit = this.o.memoryLimitBytes;
    if (limit === undefined) return false;
    const used = executor.host.memoryBytes();
    if (used === undefined || used <= limit) return false;
    let newest = -1;
    for (let slot = 0; slot < this.slots; slot++) {
      const started = executor.host.startedAt[slot] as number;
      if (executor.jobs[slot] !== undefined && started > 0 && (newest < 0 || started >= (executor.host.startedAt[newest] as number))) newest = slot;
    }
    const job = newest < 0 ? undefined : this.release(executor, newest);
    const mb = Math.round(used / 1048576);
    this.replace(executor, "memory", `executor used ${mb} MB, over its ${Math.round(limit / 1048576)} MB cap`);
    if (job !== undefined) {
      this.emit([{ taskId: job.taskId, attempt: job.attempt, kind: "resource-limit", message: `Executor memory reached ${mb} MB, over the ${Math.round(limit / 1048576)} MB cap (--max-memory-mb)` }]);
    }
    return true;
  }

  /**
   * Terminates an executor and starts its replacement. Jobs that had started are reported lost when it
   * died on its own, and re-run when the pool killed it for another job's sake.
   */
  private replace(executor: ExecutorState, why: Death, detail: string): void {
    if (!executor.alive) return;
    executor.alive = false;
    executor.host.terminate();
    const index = this.executors.indexOf(executor);
    this.executors[index] = this.spawn();
    const rerun: Job[] = [];
    const lost: Outcome[] = [];
    for (let slot = 0; slot < this.slots; slot++) {
      const started = executor.host.startedAt[slot] as number;
      const job = this.release(executor, slot);
      if (job === undefined) continue;
      if (why === "exited" && started > 0) lost.push({ taskId: job.taskId, attempt: job.attempt, kind: "lost", reason: `Executor exited while running the task (${detail})` });
      else rerun.push(job);
    }
    this.o.logger.log("warn", "executor replaced", { why, detail, rerun: rerun.length, lost: lost.length });
    if (rerun.length > 0) this.run(rerun);
    this.emit(lost);
  }
}

/** An ExecutorPool of Bun Worker threads: the fast default. */
export class ThreadPool extends ExecutorPool {
  constructor(o: PoolOptions) {
    super(o, threadHost);
  }
}

/** An ExecutorPool of child processes, each under a memory cap: the safe choice for untrusted code. */
export class ProcessPool extends ExecutorPool {
  constructor(o: PoolOptions & { readonly memoryLimitBytes: number }) {
    super(o, processHost);
  }
}

function toOutcome(job: Job, r: ExecutorResult): Outcome {
  const base = { taskId: job.taskId, attempt: job.attempt };
  switch (r.k) {
    case "ok":
      return { ...base, kind: "returned", value: r.v };
    case "threw":
      return { ...base, kind: "threw", error: r.e };
    case "unserializable":
      return { ...base, kind: "unserializable", message: r.m };
  }
}
