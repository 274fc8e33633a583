import type { Outcome } from "../../src/domain/outcome.ts";
import type { Executor, Job } from "../../src/domain/ports.ts";

/** An Executor that records jobs and reports whatever outcomes the test tells it to. */
export class FakeExecutor implements Executor {
  readonly received: Job[] = [];
  readonly running = new Map<string, Job>();
  readonly stopped: string[] = [];
  private listener: (o: readonly Outcome[]) => void = () => {};
  private waiters: (() => void)[] = [];

  constructor(private slots: number) {}

  freeSlots(): number {
    return this.slots - this.running.size;
  }

  run(jobs: readonly Job[]): void {
    if (jobs.length > this.freeSlots()) throw new Error(`got ${jobs.length} jobs for ${this.freeSlots()} slots`);
    for (const j of jobs) {
      this.received.push(j);
      this.running.set(j.taskId, j);
    }
  }

  /** Records the stop and frees the job's slot, as a real executor would (its outcome is never reported). */
  stop(taskId: string): void {
    this.stopped.push(taskId);
    if (this.running.delete(taskId)) this.wakeWaiters();
  }

  onOutcomes(listener: (o: readonly Outcome[]) => void): void {
    this.listener = listener;
  }

  onStarted(): void {}

  whenFree(): Promise<void> {
    if (this.freeSlots() > 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** Reports outcomes as a real executor would, freeing their slots. */
  report(outcomes: Outcome[]): void {
    for (const o of outcomes) this.running.delete(o.taskId);
    this.listener(outcomes);
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async close(): Promise<void> {}
}
