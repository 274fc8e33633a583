/**
 * At most `size` calls under way at once; later ones wait their turn, first come first served, and
 * start (their own clocks with them) only when an earlier one has ended, whether it resolved or threw.
 *
 * @example
 * const writes = new Window(8);
 * await writes.run(() => redis.call("EVALSHA", sha, 0)); // the ninth concurrent call waits for a slot
 */
import { FifoQueue } from "./fifo-queue.ts";

export class Window {
  private running = 0;
  private readonly waiting = new FifoQueue<() => void>();

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`a window holds at least 1 call, got ${size}`);
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.running < this.size) this.running++;
    else await new Promise<void>((turn) => this.waiting.push(turn)); // the slot is handed over, still counted
    try {
      return await call();
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.running--;
      else next();
    }
  }

  /** Calls under way now. */
  get active(): number {
    return this.running;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }
}
