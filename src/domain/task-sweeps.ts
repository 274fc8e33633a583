/**
 * Waiting on many tasks at once (POST /wait): every listed task that is terminal as soon as one is
 * (FIRST_COMPLETED, `awaitAny`), or all of them once all are (ALL_COMPLETED, `awaitAll`), each within a
 * time limit. What a long-poll in this process already knows comes from TaskPeeks; ends come from
 * TaskWaiters' reports, and a read after each registration catches an end reported in between.
 *
 * @example
 * const sweeps = new TaskSweeps({ maxIds: 10_000, tasks, peeks, waiters, clock, recheckMs: 1000, closed: () => false });
 * const r = await sweeps.awaitAll("alice", ids, 10_000); // ok({ done, pending, unknown })
 */
import { invalid, type DomainError } from "./errors.ts";
import type { Clock, TaskStore, Unfinished } from "./ports.ts";
import { err, ok, type Result } from "./result.ts";
import { isTerminal, type Task } from "./task.ts";
import type { TaskPeeks } from "./task-peeks.ts";
import type { TaskWaiters } from "./task-waiters.ts";
import { visibleTo } from "./tenant.ts";

export interface TaskSweepsDeps {
  /** Most ids one call waits on. */
  readonly maxIds: number;
  readonly tasks: Pick<TaskStore, "getMany">;
  readonly peeks: TaskPeeks;
  readonly waiters: TaskWaiters;
  readonly clock: Clock;
  /** Read again after this long without a report (a report may be lost); default never. */
  readonly recheckMs?: number;
  /** True once the service shuts down: waits answer at once with what they have. */
  readonly closed: () => boolean;
}

export class TaskSweeps {
  constructor(private readonly d: TaskSweepsDeps) {}

  /** A wait's first look: its deadline and recheck period, what the viewer may see, the tasks as they stand. */
  private async start(viewer: string, ids: readonly string[], waitMs: number): Promise<Result<WaitStart, DomainError>> {
    if (ids.length > this.d.maxIds) return err(invalid(`At most ${this.d.maxIds} task ids per call, got ${ids.length}`, { name: "taskIds" }));
    const deadline = this.d.clock.now() + waitMs;
    const visible = seenBy(viewer);
    const first = sweepTasks(ids, (await this.d.peeks.read(ids)).map(visible));
    return ok({ deadline, recheck: this.d.recheckMs ?? Number.POSITIVE_INFINITY, visible, first });
  }

  /**
   * Every listed task that is terminal, waiting up to `waitMs` until at least one is. Unknown (or
   * expired) ids are listed apart rather than failing the whole call.
   */
  async awaitAny(viewer: string, ids: readonly string[], waitMs: number): Promise<Result<TaskSweep, DomainError>> {
    const started = await this.start(viewer, ids, waitMs);
    if (!started.ok) return started;
    const { deadline, recheck, visible } = started.value;
    let sweep = started.value.first;
    let left = deadline - this.d.clock.now();
    if (sweep.done.length > 0 || sweep.pending.length === 0 || left <= 0 || this.d.closed()) return ok(sweep);
    // Nothing ended yet: wait on the pending ones, and read them again once registered, since one may
    // have ended between the read and the registration (its report then found no waiter). Reading
    // first spares registering every id of a call answered at once, as most are.
    let w: ReturnType<TaskWaiters["waitFor"]> | undefined = this.d.waiters.waitFor(sweep.pending, Math.min(left, recheck));
    const again = sweepTasks(sweep.pending, (await this.d.peeks.read(sweep.pending)).map(visible));
    sweep = { ...again, unknown: [...sweep.unknown, ...again.unknown] };
    for (;;) {
      if (sweep.done.length > 0 || sweep.pending.length === 0 || w === undefined) {
        w?.cancel();
        return ok(sweep);
      }
      const fired = await w.done; // the waiter is gone now, fired or timed out
      left = deadline - this.d.clock.now();
      const pending = sweep.pending;
      const waitAgain = (on: readonly string[]): ReturnType<TaskWaiters["waitFor"]> | undefined => (left > 0 && !this.d.closed() ? this.d.waiters.waitFor(on, Math.min(left, recheck)) : undefined);
      if (fired === undefined) {
        w = waitAgain(pending); // registered before the re-check's read, as above
        sweep = { ...sweepTasks(pending, (await this.d.peeks.read(pending, { fresh: true })).map(visible)), unknown: [...sweep.unknown] };
        continue;
      }
      // Only the tasks reported terminal are read again (or taken from the report): the rest were pending.
      const missing = fired.ids.filter((id) => !fired.tasks.has(id));
      const read = new Map(missing.length === 0 ? [] : (await this.d.tasks.getMany(missing)).map((t, i) => [missing[i] as string, t] as const));
      const done: Task[] = [];
      const still: string[] = [];
      const firedSet = new Set(fired.ids);
      for (const id of pending) {
        const t = firedSet.has(id) ? visible(fired.tasks.get(id) ?? read.get(id)) : undefined;
        if (t !== undefined && isTerminal(t.status)) done.push(t);
        else still.push(id);
      }
      sweep = { done, pending: still, unknown: [...sweep.unknown] };
      // The answer, as a rule. Only when none of the reported tasks is one to answer with (another
      // tenant's, say) does the call wait on: registered, then the pending ones read again, since one
      // may have ended since the report (its own report then found no waiter).
      w = done.length === 0 ? waitAgain(still) : undefined;
      if (w !== undefined) sweep = { ...sweepTasks(still, (await this.d.peeks.read(still)).map(visible)), unknown: [...sweep.unknown] };
    }
  }

  /**
   * Every listed task once all of them are terminal (concurrent.futures' ALL_COMPLETED), waiting up to
   * `waitMs`: at the deadline, those terminal by then, the rest pending. Unknown (or expired) ids are
   * listed apart. One watch covers the pending ids for the whole wait, so a report costs a lookup per
   * task it names, not a new registration and a read of everything still pending. `done` follows the
   * order of `ids`.
   */
  async awaitAll(viewer: string, ids: readonly string[], waitMs: number): Promise<Result<TaskSweep, DomainError>> {
    const started = await this.start(viewer, ids, waitMs);
    if (!started.ok) return started;
    const { deadline, recheck, visible, first } = started.value;
    if (first.pending.length === 0 || deadline <= this.d.clock.now() || this.d.closed()) return ok(first);
    const done = new Map<string, Task>(first.done.map((t) => [t.id, t]));
    const unknown = [...first.unknown];
    const pending = new Set(first.pending);
    /** Moves what a read found ended (or gone: expired meanwhile) out of `pending`. */
    const take = (list: readonly string[], found: readonly (Task | Unfinished | undefined)[]): void => {
      const s = sweepTasks(list, found.map(visible));
      for (const t of s.done) {
        done.set(t.id, t);
        pending.delete(t.id);
      }
      for (const id of s.unknown) {
        unknown.push(id);
        pending.delete(id);
      }
    };
    const watch = this.d.waiters.watch(first.pending);
    try {
      // read again once watched: one may have ended between the read and the registration
      take(first.pending, await this.d.peeks.read(first.pending));
      for (;;) {
        const left = deadline - this.d.clock.now();
        if (pending.size === 0 || left <= 0 || this.d.closed()) break;
        const fired = await watch.next(Math.min(left, recheck));
        if (this.d.closed()) break;
        if (fired === undefined) {
          const still = [...pending];
          take(still, await this.d.peeks.read(still, { fresh: true }));
          continue;
        }
        const mine = fired.ids.filter((id) => pending.has(id) && !fired.tasks.has(id));
        const read = mine.length === 0 ? [] : await this.d.tasks.getMany(mine);
        const found = new Map<string, Task | undefined>(mine.map((id, i) => [id, read[i]]));
        for (const id of fired.ids) {
          if (!pending.has(id)) continue;
          const t = visible(fired.tasks.get(id) ?? found.get(id));
          if (t === undefined || !isTerminal(t.status)) continue; // a report of a task not ended (or gone): the recheck sees it
          done.set(id, t);
          pending.delete(id);
        }
      }
    } finally {
      watch.cancel();
    }
    const inOrder: Task[] = [];
    for (const id of ids) {
      const t = done.get(id);
      if (t === undefined) continue;
      inOrder.push(t);
      done.delete(id); // an id listed twice is answered once
    }
    return ok({ done: inOrder, pending: [...pending], unknown });
  }
}

interface WaitStart {
  readonly deadline: number;
  readonly recheck: number;
  readonly visible: ReturnType<typeof seenBy>;
  readonly first: TaskSweep;
}

/** The task as `viewer` may see it: undefined when it is another tenant's. */
function seenBy(viewer: string): <T extends Task | Unfinished>(t: T | undefined) => T | undefined {
  return (t) => (t !== undefined && visibleTo(viewer, t.tenant) ? t : undefined);
}

/** What a wait found: terminal tasks, ids still running or queued, ids unknown. */
export interface TaskSweep {
  readonly done: Task[];
  readonly pending: string[];
  readonly unknown: string[];
}

function sweepTasks(ids: readonly string[], found: readonly (Task | Unfinished | undefined)[]): TaskSweep {
  const sweep: TaskSweep = { done: [], pending: [], unknown: [] };
  for (let i = 0; i < ids.length; i++) {
    const t = found[i];
    if (t === undefined) sweep.unknown.push(ids[i] as string);
    else if ("unfinished" in t || !isTerminal(t.status)) sweep.pending.push(t.id);
    else sweep.done.push(t);
  }
  return sweep;
}
