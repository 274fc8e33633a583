import type { Clock, TaskEvents } from "./ports.ts";
import type { Task } from "./task.ts";

/** What woke a waiter: the ids reported terminal among its own (and the tasks, when the report carried them). */
export interface Fired {
  readonly ids: readonly string[];
  readonly tasks: ReadonlyMap<string, Task>;
}

interface Waiter {
  readonly ids: ReadonlySet<string>;
  fire(fired: Fired | undefined): void;
}

/**
 * Long-poll support: resolves waiters when their tasks are reported terminal, or when their time is up.
 * One subscription to TaskEvents serves every waiter; one timer per waiting request, none per task.
 * A waiter on one task is found by its id; a waiter on many (POST /wait) keeps its ids in a set that
 * each report is checked against, so registering thousands of ids costs one set, not an entry per id.
 */
export class TaskWaiters {
  private readonly single = new Map<string, Set<Waiter>>();
  private readonly multi = new Set<Waiter>();
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
      ids: new Set(list),
      fire: (fired) => {
        if (settled) return;
        settled = true;
        cancelTimer();
        this.remove(waiter, list);
        resolve(fired);
      },
    };
    if (list.length === 1) {
      const id = list[0] as string;
      let set = this.single.get(id);
      if (set === undefined) this.single.set(id, (set = new Set()));
      set.add(waiter);
    } else this.multi.add(waiter);
    const cancelTimer = this.clock.after(ms, () => waiter.fire(undefined));
    return { done, cancel: () => waiter.fire(undefined) };
  }

  private remove(w: Waiter, list: readonly string[]): void {
    if (list.length !== 1) {
      this.multi.delete(w);
      return;
    }
    const id = list[0] as string;
    const set = this.single.get(id);
    set?.delete(w);
    if (set?.size === 0) this.single.delete(id);
  }

  private wake(ids: readonly string[], finished?: ReadonlyMap<string, Task>): void {
    const tasks = finished ?? new Map<string, Task>();
    if (this.single.size > 0) {
      for (const id of ids) {
        const set = this.single.get(id);
        if (set !== undefined) for (const w of [...set]) w.fire({ ids: [id], tasks });
      }
    }
    for (const w of [...this.multi]) {
      const mine = ids.filter((id) => w.ids.has(id));
      if (mine.length > 0) w.fire({ ids: mine, tasks });
    }
  }

  /** How many requests are waiting (for metrics and tests). */
  size(): number {
    let n = this.multi.size;
    for (const s of this.single.values()) n += s.size;
    return n;
  }

  close(): void {
    this.unsubscribe();
    for (const set of [...this.single.values()]) for (const w of [...set]) w.fire(undefined);
    for (const w of [...this.multi]) w.fire(undefined);
  }
}
