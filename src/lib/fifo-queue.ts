/**
 * A first-in first-out queue with O(1) push and shift. (src/lib holds plain data structures that any
 * layer may use: no I/O, no domain concepts.)
 *
 * `Array.prototype.shift` is O(n); queues of thousands of messages would pay for
 * it on every receive. This keeps a head index and compacts occasionally.
 *
 * @example
 * ```ts
 * const q = new FifoQueue<number>();
 * q.push(1); q.push(2);
 * q.shift(); // 1
 * ```
 */
export class FifoQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** Number of queued items. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Appends an item at the tail. */
  push(item: T): void {
    this.items.push(item);
  }

  /** Removes and returns the head item, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Returns the head item without removing it. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Calls `fn` with each queued item, head first. */
  forEach(fn: (item: T) => void): void {
    for (let i = this.head; i < this.items.length; i++) fn(this.items[i] as T);
  }

  /** Replaces the head item (used to keep the unwritten rest of a chunk). */
  replaceHead(item: T): void {
    if (this.head < this.items.length) this.items[this.head] = item;
  }

  /** Removes every item. */
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
