/**
 * The pool's own model of when each job handed to one executor starts, so that deadlines never depend
 * on anything the executor writes. The pool knows the executor's concurrency, the order it posted jobs
 * in and the results that came back: a job handed over while fewer than `concurrency` run starts at
 * hand-out (or when the executor reports ready, if later); a waiting one starts when a running one
 * settles. Results arrive after the fact, so the model starts waiting jobs late, never early: an
 * executor that withholds results only makes its own jobs look longer-running.
 */
import { FifoQueue } from "../../lib/fifo-queue.ts";

/** What the model keeps on each job. */
export interface Modelled {
  /** When the job is taken to have started (ms); undefined while it waits or the executor boots. */
  startedAt: number | undefined;
  phase: "running" | "waiting" | "done";
}

/**
 * @example
 * const model = new StartModel<Held>(64);
 * model.open(now);          // the executor said "ready"
 * model.handOut(job, now);  // job.startedAt === now while fewer than 64 run
 * model.remove(job, later); // its result came back: the oldest waiting job starts at `later`
 */
export class StartModel<T extends Modelled> {
  private readonly running = new Set<T>();
  private readonly waiting = new FifoQueue<T>();
  private waitingCount = 0;
  private readyAt: number | undefined;

  /** `onStart` hears of every job whose clock starts (for those who report starts, e.g. remote workers). */
  constructor(
    readonly concurrency: number,
    private readonly onStart: (job: T) => void = () => {},
  ) {}

  get runningCount(): number {
    return this.running.size;
  }

  /** Jobs taken to be running now. */
  runningJobs(): T[] {
    return [...this.running];
  }

  /** The executor is ready at `now`: jobs handed over while it booted start their clocks now. */
  open(now: number): void {
    if (this.readyAt !== undefined) return;
    this.readyAt = now;
    for (const job of this.running) {
      if (job.startedAt !== undefined) continue;
      job.startedAt = now;
      this.onStart(job);
    }
  }

  handOut(job: T, now: number): void {
    if (this.running.size < this.concurrency) this.start(job, now);
    else {
      job.phase = "waiting";
      job.startedAt = undefined;
      this.waiting.push(job);
      this.waitingCount++;
    }
  }

  /** The job settled, or was taken back, at `now`: waiting jobs start in its place. */
  remove(job: T, now: number): void {
    if (job.phase === "running") this.running.delete(job);
    else if (job.phase === "waiting") this.waitingCount--;
    job.phase = "done";
    while (this.running.size < this.concurrency && this.waitingCount > 0) {
      const next = this.waiting.shift() as T;
      if (next.phase !== "waiting") continue; // taken back while it waited
      this.waitingCount--;
      this.start(next, now);
    }
  }

  private start(job: T, now: number): void {
    job.phase = "running";
    job.startedAt = this.readyAt === undefined ? undefined : now;
    this.running.add(job);
    if (job.startedAt !== undefined) this.onStart(job);
  }
}
