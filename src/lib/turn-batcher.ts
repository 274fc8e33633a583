/**
 * Collects items and hands them over in one batch per event-loop turn: everything added before the
 * next `setImmediate` goes out in one call. Executors use it for results (one message per turn, not
 * one per task), and remote workers for outcomes.
 *
 * @example
 * ```ts
 * const outbox = new TurnBatcher<Result>((batch) => port.post({ t: "done", results: batch }));
 * outbox.add(r1); outbox.add(r2); // one post with [r1, r2] on the next turn
 * outbox.flush();                 // or now
 * ```
 */
export class TurnBatcher<T> {
  private items: T[] = [];
  private scheduled = false;

  constructor(private readonly send: (batch: T[]) => void) {}

  /** Adds an item; the batch goes out on the next turn (or at an earlier `flush`). */
  add(item: T): void {
    this.items.push(item);
    this.schedule();
  }

  /**
   * Adds an item without scheduling a turn: for a caller that flushes before its own turn ends (an
   * executor answering the jobs of a message it is handling), where a turn scheduled per message
   * would only find the batch gone. An item added by `add` meanwhile still schedules one.
   */
  addBeforeFlush(item: T): void {
    this.items.push(item);
  }

  /** Makes sure a flush runs on the next turn even with nothing added (the sender may add on its own). */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Sends what has been collected now; nothing when empty. */
  flush(): void {
    this.scheduled = false;
    if (this.items.length === 0) return;
    const batch = this.items;
    this.items = [];
    this.send(batch);
  }

  get size(): number {
    return this.items.length;
  }
}
