import type { Clock, TaskEvents } from "./ports.ts";
import type { Task } from "./task.ts";

/** What woke a waiter: the ids reported terminal among its own (and the tasks, when the report carried them). */
export interface Fired {
  readonly ids: readonly string[];
  readonly tasks: ReadonlyMap<string, Task>;
}

/** A watch on many tasks (TaskWaiters.watch). */
export interface TaskWatch {
  /** The reports heard since the last call, or undefined after `ms` without one (or once ended). */
  next(ms: number): Promise<Fired | undefined>;
  /** Ends the watch (its ids are no longer watched). */
  cancel(): void;
}

interface Waiter {
  readonly ids: readonly string[];
  fire(fired: Fired | undefined): void;
}

/**
 * Long-poll support: resolves waiters when their tasks are reported terminal, or when their time is up.
 * One subscription to TaskEvents serves every waiter; one timer per waiting request, none per task.
 * Waiters are found by task id (a request on many tasks, POST /wait, is listed under each of its ids),
 * so a report costs one lookup per task it names, however many requests are waiting.
 */
export class TaskWaiters {
  /** Task id -> the waiter on it, or the waiters when several are. */
  private readonly byId = new Map<string, Waiter | Set<Waiter>>();
  private waiting = 0;
  private readonly unsubscribe: () => void;

  constructor(events: TaskEvents, private readonly clock: Clock) {
    this.unsubscribe = events.subscribe((ids, finished) => this.wake(ids, finished));
  }

  /**
   * Resolves when any of `taskIds` is reported terminal (with which, and the finished tasks when the
   * report carried them), or after `ms` (undefined). Register before reading the tasks, so a
   * notification between the read and the registration is not missed.
   */
  waitFor(taskIds: string | readonly string[], ms: number): { done: Promise<Fired | undefined>; cancel: () => void } {
    const list = typeof taskIds === "string" ? [taskIds] : taskIds;
    let resolve!: (fired: Fired | undefined) => void;
    const done = new Promise<Fired | undefined>((r) => (resolve = r));
    let settled = false;
    const waiter: Waiter = {
      ids: list,
      fire: (fired) => {
        if (settled) return;
        settled = true;
        cancelTimer();
        this.remove(waiter);
        resolve(fired);
      },
    };
    this.register(waiter);
    const cancelTimer = this.clock.after(ms, () => waiter.fire(undefined));
    return { done, cancel: () => waiter.fire(undefined) };
  }

  /**
   * Watches `taskIds` until `cancel`: `next(ms)` resolves with the ids reported terminal since the
   * last `next` (and the finished tasks when the reports carried them), or undefined after `ms` with
   * none, or once the watch ended (`cancel`, `close`). One registration for the whole wait, however
   * many reports come: for a request waiting on every one of many tasks (POST /wait ALL_COMPLETED).
   * Register before reading the tasks, as with `waitFor`.
   */
  watch(taskIds: readonly string[]): TaskWatch {
    let heard: { ids: string[]; tasks: Map<string, Task> } | undefined;
    let handOver: ((fired: Fired | undefined) => void) | undefined;
    let stopTimer: () => void = () => {};
    let ended = false;
    const deliver = (fired: Fired | undefined): void => {
      const to = handOver;
      handOver = undefined;
      stopTimer();
      to?.(fired);
    };
    const end = (): void => {
      if (ended) return;
      ended = true;
      this.remove(waiter);
      deliver(undefined);
    };
    const waiter: Waiter = {
      ids: taskIds,
      fire: (fired) => {
        if (fired === undefined) return end(); // closing
        heard ??= { ids: [], tasks: new Map() };
        for (const id of fired.ids) {
          heard.ids.push(id);
          const t = fired.tasks.get(id);
          if (t !== undefined) heard.tasks.set(id, t);
        }
        if (handOver !== undefined) {
          const h = heard;
          heard = undefined;
          deliver(h);
        }
      },
    };
    this.register(waiter);
    return {
      next: (ms) => {
        if (heard !== undefined) {
          const h = heard;
          heard = undefined;
          return Promise.resolve(h);
        }
        if (ended) return Promise.resolve(undefined);
        return new Promise<Fired | undefined>((resolve) => {
          handOver = resolve;
          stopTimer = this.clock.after(ms, () => deliver(undefined));
        });
      },
      cancel: end,
    };
  }

  private register(waiter: Waiter): void {
    for (const id of waiter.ids) {
      const there = this.byId.get(id);
      if (there === undefined) this.byId.set(id, waiter);
      else if (there instanceof Set) there.add(waiter);
      else if (there !== waiter) this.byId.set(id, new Set([there, waiter]));
    }
    this.waiting++;
  }

  private remove(w: Waiter): void {
    this.waiting--;
    for (const id of w.ids) {
      const there = this.byId.get(id);
      if (there === w) this.byId.delete(id);
      else if (there instanceof Set) {
        there.delete(w);
        if (there.size === 1) this.byId.set(id, there.values().next().value as Waiter);
        else if (there.size === 0) this.byId.delete(id);
      }
    }
  }

  private wake(ids: readonly string[], finished?: ReadonlyMap<string, Task>): void {
    if (this.waiting === 0) return;
    const tasks = finished ?? new Map<string, Task>();
    const hit = new Map<Waiter, string[]>();
    for (const id of ids) {
      const there = this.byId.get(id);
      if (there === undefined) continue;
      for (const w of there instanceof Set ? there : [there]) {
        const mine = hit.get(w);
        if (mine === undefined) hit.set(w, [id]);
        else mine.push(id);
      }
    }
    for (const [w, mine] of hit) w.fire({ ids: mine, tasks });
  }

  /** How many requests are waiting (for metrics and tests). */
  size(): number {
    return this.waiting;
  }

  close(): void {
    this.unsubscribe();
    const all = new Set<Waiter>();
    for (const there of this.byId.values()) for (const w of there instanceof Set ? there : [there]) all.add(w);
    for (const w of all) w.fire(undefined);
  }
}
