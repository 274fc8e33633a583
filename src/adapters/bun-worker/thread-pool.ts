/**
 * An Executor on Bun Worker threads. Each thread owns a fixed number of job slots; jobs are handed out
 * in one message per thread per batch, results come back in batches. Deadlines are enforced by one
 * ticker for the whole pool that scans the shared start-time tables (no timer per job): a job past its
 * deadline gets its thread terminated and replaced, and the thread's other jobs are handed out again.
 * A thread that dies reports its started jobs as lost (the dispatcher retries them) and re-runs its
 * unstarted ones elsewhere.
 */
import type { Outcome } from "../../domain/outcome.ts";
import type { Executor, Job, Logger } from "../../domain/ports.ts";
import type { FromThread, ThreadJob, ThreadResult, ToThread } from "./protocol.ts";

export interface ThreadPoolOptions {
  readonly threads: number;
  /** Jobs one thread holds at once (handed out together). */
  readonly slotsPerThread?: number;
  /** How often deadlines are checked, in ms. */
  readonly tickMs?: number;
  readonly logger: Logger;
  /** Where the thread entry point lives (tests may substitute one). */
  readonly threadUrl?: URL;
}

interface ExecutorThread {
  readonly worker: Worker;
  readonly startedAt: Float64Array;
  readonly jobs: (Job | undefined)[];
  readonly free: number[];
  readonly known: Set<string>;
  alive: boolean;
}

const DEFAULT_THREAD_URL = new URL("./executor-thread.ts", import.meta.url);

export class ThreadPool implements Executor {
  private readonly threads: ExecutorThread[] = [];
  private readonly slots: number;
  private readonly tickMs: number;
  private listener: (outcomes: readonly Outcome[]) => void = () => {};
  private freeWaiters: (() => void)[] = [];
  private inFlight = 0;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  /** Threads started over the pool's life, including replacements (for tests and metrics). */
  spawned = 0;
  /** `run` messages posted to threads (each carries a batch of jobs). */
  batchesPosted = 0;

  constructor(private readonly o: ThreadPoolOptions) {
    this.slots = o.slotsPerThread ?? 64;
    this.tickMs = o.tickMs ?? 20;
    for (let i = 0; i < o.threads; i++) this.threads.push(this.spawn());
  }

  freeSlots(): number {
    let n = 0;
    for (const t of this.threads) n += t.free.length;
    return n;
  }

  /** Live threads (the pool keeps this at its size). */
  size(): number {
    return this.threads.filter((t) => t.alive).length;
  }

  onOutcomes(listener: (outcomes: readonly Outcome[]) => void): void {
    this.listener = listener;
  }

  whenFree(): Promise<void> {
    if (this.freeSlots() > 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.freeWaiters.push(resolve));
  }

  run(jobs: readonly Job[]): void {
    let next = 0;
    let open = this.threads.filter((t) => t.free.length > 0);
    while (next < jobs.length && open.length > 0) {
      const share = Math.ceil((jobs.length - next) / open.length);
      for (const thread of open) {
        const batch: ThreadJob[] = [];
        while (batch.length < share && next < jobs.length && thread.free.length > 0) {
          batch.push(this.assign(thread, jobs[next++] as Job));
        }
        if (batch.length > 0) {
          this.post(thread, { t: "run", jobs: batch });
          this.batchesPosted++;
        }
      }
      open = open.filter((t) => t.free.length > 0);
    }
    if (next < jobs.length) throw new Error(`ThreadPool.run got ${jobs.length} jobs with ${next} free slots`);
    this.armTicker();
  }

  stop(taskId: string): void {
    for (const thread of this.threads) {
      const slot = thread.jobs.findIndex((j) => j?.taskId === taskId);
      if (slot >= 0) {
        this.release(thread, slot);
        this.replace(thread, "job cancelled");
        return;
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    for (const t of this.threads) {
      t.alive = false;
      t.worker.terminate();
    }
    this.wakeFreeWaiters();
  }

  private spawn(): ExecutorThread {
    const worker = new Worker(this.o.threadUrl ?? DEFAULT_THREAD_URL, { env: {} });
    const sab = new SharedArrayBuffer(this.slots * Float64Array.BYTES_PER_ELEMENT);
    const thread: ExecutorThread = {
      worker,
      startedAt: new Float64Array(sab),
      jobs: new Array(this.slots).fill(undefined),
      free: Array.from({ length: this.slots }, (_, i) => this.slots - 1 - i),
      known: new Set(),
      alive: true,
    };
    worker.onmessage = (e: MessageEvent<FromThread>) => this.receive(thread, e.data.results);
    worker.addEventListener("error", (e) => {
      this.o.logger.log("warn", "executor thread error", { error: String((e as ErrorEvent).message ?? e) });
    });
    worker.addEventListener("close", () => {
      if (thread.alive && !this.closed) this.replace(thread, "executor thread exited");
    });
    this.post(thread, { t: "init", startedAt: sab });
    this.spawned++;
    return thread;
  }

  private assign(thread: ExecutorThread, job: Job): ThreadJob {
    const slot = thread.free.pop() as number;
    thread.jobs[slot] = job;
    thread.startedAt[slot] = 0;
    this.inFlight++;
    if (thread.known.has(job.functionId)) return { slot, fid: job.functionId, args: job.args };
    thread.known.add(job.functionId);
    return { slot, fid: job.functionId, code: job.code, args: job.args };
  }

  private release(thread: ExecutorThread, slot: number): Job | undefined {
    const job = thread.jobs[slot];
    if (job === undefined) return undefined;
    thread.jobs[slot] = undefined;
    thread.free.push(slot);
    this.inFlight--;
    return job;
  }

  private post(thread: ExecutorThread, msg: ToThread): void {
    thread.worker.postMessage(msg);
  }

  private receive(thread: ExecutorThread, results: readonly ThreadResult[]): void {
    if (!thread.alive) return;
    const outcomes: Outcome[] = [];
    for (const r of results) {
      const job = this.release(thread, r.slot);
      if (job !== undefined) outcomes.push(toOutcome(job, r));
    }
    this.emit(outcomes);
  }

  private emit(outcomes: readonly Outcome[]): void {
    if (outcomes.length > 0) this.listener(outcomes);
    this.wakeFreeWaiters();
  }

  private wakeFreeWaiters(): void {
    if (this.freeWaiters.length === 0 || (this.freeSlots() === 0 && !this.closed)) return;
    const waiters = this.freeWaiters;
    this.freeWaiters = [];
    for (const w of waiters) w();
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
    for (const thread of [...this.threads]) {
      for (let slot = 0; slot < this.slots; slot++) {
        const job = thread.jobs[slot];
        const started = thread.startedAt[slot] as number;
        if (job === undefined || started <= 0 || now - started < job.timeoutMs) continue;
        this.release(thread, slot);
        this.replace(thread, "deadline");
        this.emit([{ taskId: job.taskId, attempt: job.attempt, kind: "timeout", timeoutMs: job.timeoutMs }]);
        break;
      }
    }
  }

  /**
   * Terminates a thread and starts its replacement. Jobs that had started are reported lost when the
   * thread died on its own, and re-run when the pool killed it for another job's sake.
   */
  private replace(thread: ExecutorThread, reason: string): void {
    if (!thread.alive) return;
    thread.alive = false;
    thread.worker.terminate();
    const index = this.threads.indexOf(thread);
    const fresh = this.spawn();
    this.threads[index] = fresh;
    const rerun: Job[] = [];
    const lost: Outcome[] = [];
    const diedOnItsOwn = reason === "executor thread exited";
    for (let slot = 0; slot < this.slots; slot++) {
      const started = thread.startedAt[slot] as number;
      const job = this.release(thread, slot);
      if (job === undefined) continue;
      if (diedOnItsOwn && started > 0) lost.push({ taskId: job.taskId, attempt: job.attempt, kind: "lost", reason: "Executor thread exited while running the task" });
      else rerun.push(job);
    }
    this.o.logger.log("warn", "executor thread replaced", { reason, rerun: rerun.length, lost: lost.length });
    if (rerun.length > 0) this.run(rerun);
    this.emit(lost);
  }
}

function toOutcome(job: Job, r: ThreadResult): Outcome {
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
