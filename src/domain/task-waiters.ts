import type { Clock, TaskEvents } from "./ports.ts";

/**
 * Long-poll support: resolves waiters when their task is reported terminal, or when their time is up.
 * One subscription to TaskEvents serves every waiter; one timer per waiting request, none per task.
 */
export class TaskWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();
  private readonly unsubscribe: () => void;

  constructor(events: TaskEvents, private readonly clock: Clock) {
    this.unsubscribe = events.subscribe((ids) => this.wake(ids));
  }

  /**
   * Resolves when any of `taskIds` is reported terminal, or after `ms`. Register before re-reading the
   * tasks, so a notification between the read and the registration is not missed.
   */
  waitFor(taskIds: string | readonly string[], ms: number): { done: Promise<void>; cancel: () => void } {
    const ids = typeof taskIds === "string" ? [taskIds] : taskIds;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      for (const id of ids) {
        const set = this.waiting.get(id);
        if (set === undefined) continue;
        set.delete(finish);
        if (set.size === 0) this.waiting.delete(id);
      }
      cancelTimer();
      resolve();
    };
    for (const id of ids) {
      let set = this.waiting.get(id);
      if (set === undefined) this.waiting.set(id, (set = new Set()));
      set.add(finish);
    }
    const cancelTimer = this.clock.after(ms, finish);
    return { done, cancel: finish };
  }

  private wake(ids: readonly string[]): void {
    if (this.waiting.size === 0) return;
    for (const id of ids) {
      const set = this.waiting.get(id);
      if (set !== undefined) for (const finish of [...set]) finish();
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
