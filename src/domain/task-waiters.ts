import type { Clock, TaskEvents } from "./ports.ts";
import type { Task } from "./task.ts";

/**
 * Long-poll support: resolves waiters when their task is reported terminal, or when their time is up.
 * One subscription to TaskEvents serves every waiter; one timer per waiting request, none per task.
 */
export class TaskWaiters {
  private readonly waiting = new Map<string, Set<(task?: Task) => void>>();
  private readonly unsubscribe: () => void;

  constructor(events: TaskEvents, private readonly clock: Clock) {
    this.unsubscribe = events.subscribe((ids, finished) => this.wake(ids, finished));
  }

  /**
   * Resolves when any of `taskIds` is reported terminal (with the finished task when the report carried
   * it), or after `ms` (undefined). Register before reading the tasks, so a notification between the
   * read and the registration is not missed.
   */
  waitFor(taskIds: string | readonly string[], ms: number): { done: Promise<Task | undefined>; cancel: () => void } {
    const ids = typeof taskIds === "string" ? [taskIds] : taskIds;
    let resolve!: (task: Task | undefined) => void;
    const done = new Promise<Task | undefined>((r) => (resolve = r));
    let finished = false;
    const finish = (task?: Task): void => {
      if (finished) return;
      finished = true;
      for (const id of ids) {
        const set = this.waiting.get(id);
        if (set === undefined) continue;
        set.delete(finish);
        if (set.size === 0) this.waiting.delete(id);
      }
      cancelTimer();
      resolve(task);
    };
    for (const id of ids) {
      let set = this.waiting.get(id);
      if (set === undefined) this.waiting.set(id, (set = new Set()));
      set.add(finish);
    }
    const cancelTimer = this.clock.after(ms, () => finish());
    return { done, cancel: () => finish() };
  }

  private wake(ids: readonly string[], finished?: ReadonlyMap<string, Task>): void {
    if (this.waiting.size === 0) return;
    for (const id of ids) {
      const set = this.waiting.get(id);
      if (set !== undefined) for (const finish of [...set]) finish(finished?.get(id));
    }
  }

  /** How many requests are waiting (for metrics and tests). */
  size(): number {
    let n = 0;
    for (const s of this.waiting.values()) n += s.size;
    return n;
  }

  close(): void {
    this.unsubscribe();
    for (const set of this.waiting.values()) for (const finish of [...set]) finish();
  }
}
