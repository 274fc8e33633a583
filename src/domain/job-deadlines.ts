/**
 * Deadlines of jobs handed to remote workers, as their dispatcher enforces them on its own clock (a
 * worker that heartbeats but never answers cannot keep a task RUNNING): a job must be answered within
 * its timeout plus `graceMs` from the start its worker reports, or within twice its timeout from the
 * hand-out when no start was reported. Pure: time comes in as `now`; the caller fails what `overdue`
 * returns and tells the workers.
 *
 * @example
 * ```ts
 * const deadlines = new JobDeadlines(2000);
 * deadlines.handed("t-1", "w1", 1, 1000, now);
 * deadlines.started("w1", [{ taskId: "t-1", attempt: 1 }], now + 5); // [{ taskId: "t-1", attempt: 1 }]
 * deadlines.overdue(now + 3006); // [{ taskId: "t-1", workerId: "w1", attempt: 1, timeoutMs: 1000, started: true }]
 * ```
 */
import type { JobRef } from "./ports.ts";

interface Timing {
  readonly workerId: string;
  readonly attempt: number;
  readonly handedAt: number;
  readonly timeoutMs: number;
  startedAt: number | undefined;
}

/** A job past its deadline: which attempt, on which worker, and whether its start was reported. */
export interface OverdueJob extends JobRef {
  readonly workerId: string;
  readonly timeoutMs: number;
  readonly started: boolean;
}

export class JobDeadlines {
  private readonly timings = new Map<string, Timing>();

  constructor(private readonly graceMs: number) {}

  /** A job handed to `workerId` at `now` (replaces what was kept for the task). */
  handed(taskId: string, workerId: string, attempt: number, timeoutMs: number, now: number): void {
    this.timings.set(taskId, { workerId, attempt, handedAt: now, timeoutMs, startedAt: undefined });
  }

  /** When the task's job was handed over, if it is kept. */
  handedAt(taskId: string): number | undefined {
    return this.timings.get(taskId)?.handedAt;
  }

  /** The job ended, was taken back or lost: no deadline any more. */
  forget(taskId: string): void {
    this.timings.delete(taskId);
  }

  /**
   * A worker's report that jobs started, heard at `now`: returns those it counts for (the attempts that
   * worker holds, whose start was not reported before); their deadline runs from `now`.
   */
  started(workerId: string, jobs: readonly JobRef[], now: number): JobRef[] {
    const counted: JobRef[] = [];
    for (const j of jobs) {
      const t = this.timings.get(j.taskId);
      if (t === undefined || t.workerId !== workerId || t.attempt !== j.attempt || t.startedAt !== undefined) continue;
      t.startedAt = now;
      counted.push(j);
    }
    return counted;
  }

  /** The jobs past their deadline at `now`, forgotten here as they are returned. */
  overdue(now: number): OverdueJob[] {
    const late: OverdueJob[] = [];
    for (const [taskId, t] of this.timings) {
      const by = t.startedAt !== undefined ? t.startedAt + t.timeoutMs + this.graceMs : t.handedAt + 2 * t.timeoutMs;
      if (now <= by) continue;
      this.timings.delete(taskId);
      late.push({ taskId, workerId: t.workerId, attempt: t.attempt, timeoutMs: t.timeoutMs, started: t.startedAt !== undefined });
    }
    return late;
  }
}
