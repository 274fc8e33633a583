import type { Clock } from "../../src/domain/ports.ts";

/** A clock that moves only when told to; timers (and sleeps) fire in order as time passes. */
export class FakeClock implements Clock {
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private seq = 0;

  constructor(private t = 1_700_000_000_000) {}

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): () => void {
    const id = ++this.seq;
    this.timers.push({ at: this.t + ms, fn, id });
    return () => {
      this.timers = this.timers.filter((x) => x.id !== id);
    };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  /** Moves time forward, firing every timer that falls due. */
  advance(ms: number): void {
    const target = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (next === undefined || next.at > target) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = target;
  }

  /**
   * The process was stalled for `ms`: time jumps forward, then every timer that fell due fires once,
   * late, with the clock already at the end (as timers do after a long GC or a starved CPU).
   */
  stall(ms: number): void {
    this.t += ms;
    this.advance(0);
  }

  pendingTimers(): number {
    return this.timers.length;
  }
}

/** Counter ids: "id-1", "id-2", ... */
export function counterIds(prefix = "id"): { next(): string } {
  let n = 0;
  return { next: () => `${prefix}-${++n}` };
}

/** Lets every pending promise callback run (one macrotask turn); no time passes on any clock. */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
