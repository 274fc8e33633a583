/**
 * The jobs a remote worker holds: received from its dispatcher and not answered yet, each running on
 * the worker's executor or waiting in arrival order for a free slot (a dispatcher may send beyond the
 * free slots: the prefetch, domain/prefetch.ts). Each job remembers the registration (session) it came
 * under, so that jobs from an earlier session count as busy slots, and when it arrived, so that quick
 * ones count toward the worker's pace. Keyed by task id and attempt: a cancelled or finished attempt
 * leaves, and a later outcome of it is not reported.
 *
 * @example
 * const held = new HeldJobs(executor);
 * held.add(jobs, session, clock.now()); // starts what fits now
 * const { mine, quick } = held.finished(outcomes, clock.now()); // report `mine`
 * held.startWaiting(); // slots freed: start the next ones
 */
import type { Outcome } from "../../domain/outcome.ts";
import type { Executor, Job } from "../../domain/ports.ts";
import { quickEnd } from "../../domain/prefetch.ts";
import { FifoQueue } from "../../lib/fifo-queue.ts";

interface Held {
  readonly job: Job;
  /** The registration it came under. */
  readonly session: number;
  /** When it arrived (quick jobs count toward the prefetch). */
  readonly at: number;
}

export class HeldJobs {
  /** Jobs received and not yet answered, by `taskId#attempt`. */
  private readonly held = new Map<string, Held>();
  /** Received jobs waiting for a free executor slot, in arrival order. */
  private readonly waiting = new FifoQueue<Job>();
  /** Most jobs held at once (for tests and metrics). */
  maxHeld = 0;
  /** Jobs received over the worker's life. */
  received = 0;

  constructor(private readonly executor: Executor) {}

  get size(): number {
    return this.held.size;
  }

  has(taskId: string, attempt: number): boolean {
    return this.held.has(key(taskId, attempt));
  }

  /** Holds `jobs` (received under `session` at `now`) and starts as many as the executor has slots for. */
  add(jobs: readonly Job[], session: number, now: number): void {
    this.received += jobs.length;
    for (const job of jobs) {
      this.held.set(key(job.taskId, job.attempt), { job, session, at: now });
      this.waiting.push(job);
    }
    if (this.held.size > this.maxHeld) this.maxHeld = this.held.size;
    this.startWaiting();
  }

  /** Hands waiting jobs to the executor while it has free slots (cancelled ones are skipped). */
  startWaiting(): void {
    const free = this.executor.freeSlots();
    if (free === 0 || this.waiting.length === 0) return;
    const batch: Job[] = [];
    while (batch.length < free && this.waiting.length > 0) {
      const job = this.waiting.shift() as Job;
      if (this.held.has(key(job.taskId, job.attempt))) batch.push(job); // else cancelled while waiting
    }
    if (batch.length > 0) this.executor.run(batch);
  }

  /** Stops holding an attempt (stopped on the executor if it runs there); false when it was not held. */
  cancel(taskId: string, attempt: number): boolean {
    if (!this.held.delete(key(taskId, attempt))) return false;
    this.executor.stop(taskId); // no-op when it was still waiting
    return true;
  }

  /**
   * Outcomes from the executor: those of held attempts (`mine`, to report; they are held no more), and
   * how many of them were quick (ended within the prefetch span of their arrival).
   */
  finished(outcomes: readonly Outcome[], now: number): { readonly mine: Outcome[]; readonly quick: number } {
    const mine: Outcome[] = [];
    let quick = 0;
    for (const out of outcomes) {
      const k = key(out.taskId, out.attempt);
      const held = this.held.get(k);
      if (held === undefined) continue; // cancelled
      this.held.delete(k);
      if (quickEnd(out.kind, held.at, now)) quick++;
      mine.push(out);
    }
    return { mine, quick };
  }

  /** Jobs held from registrations before `session` (their slots stay busy until they finish). */
  busyBefore(session: number): number {
    let n = 0;
    for (const h of this.held.values()) if (h.session !== session) n++;
    return n;
  }

  /** Stops holding the jobs not started yet and returns them (a drain hands them back). */
  takeWaiting(): Job[] {
    const taken: Job[] = [];
    for (let j = this.waiting.shift(); j !== undefined; j = this.waiting.shift()) if (this.held.delete(key(j.taskId, j.attempt))) taken.push(j);
    return taken;
  }

  /** Stops holding every job, stopping those that run, and returns them (a drain's grace ran out). */
  takeAll(): Job[] {
    const taken = [...this.held.values()].map((h) => h.job);
    this.held.clear();
    for (const j of taken) this.executor.stop(j.taskId);
    return taken;
  }
}

function key(taskId: string, attempt: number): string {
  return `${taskId}#${attempt}`;
}
