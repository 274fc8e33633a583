/**
 * Promises that resolve when capacity frees up: what an executor's `whenFree()` hands out. The owner
 * says how to tell whether a slot is free and calls `wake()` whenever one may have freed; `closeAll()`
 * resolves every waiter for good (the executor closed).
 *
 * @example
 * ```ts
 * const waiters = new FreeSlotWaiters(() => pool.freeSlots() > 0);
 * await waiters.whenFree();   // resolves at once, or at the first wake() that finds a free slot
 * waiters.wake();             // after a job settled
 * ```
 */
export class FreeSlotWaiters {
  private waiting: (() => void)[] = [];
  private closed = false;

  constructor(private readonly hasFree: () => boolean) {}

  /** Resolves at once when a slot is free (or after closeAll), else at the first wake() that finds one. */
  whenFree(): Promise<void> {
    if (this.closed || this.hasFree()) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Resolves the waiters if a slot is free now. */
  wake(): void {
    if (this.waiting.length === 0 || (!this.closed && !this.hasFree())) return;
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w();
  }

  /** Resolves every waiter now and every later whenFree() at once. */
  closeAll(): void {
    this.closed = true;
    this.wake();
  }
}
