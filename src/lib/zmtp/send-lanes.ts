import type { ZmtpError } from "./errors.ts";

/** `true`: queued; `false`: no room yet (wait); an error: the send fails. */
export type RouteResult = boolean | ZmtpError;

interface Waiter {
  readonly lane: string;
  readonly route: () => RouteResult;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Sends waiting for queue space. A send runs at once unless an earlier send in the same lane
 * is waiting; waiting sends are retried in order by {@link wake}. A lane is a destination:
 * DEALER/REQ/REP use a single lane, ROUTER one per routing id, so one slow peer does not hold
 * up messages to the others while order per peer is kept.
 */
export class SendLanes {
  private waiters: Waiter[] = [];

  /** Number of sends waiting. */
  get length(): number {
    return this.waiters.length;
  }

  /**
   * Runs `route` now (returning a shared resolved promise when it queues, so the common case
   * allocates nothing) or parks it until {@link wake} can run it.
   */
  submit(route: () => RouteResult, lane: string): Promise<void> {
    if (this.waiters.length === 0 || !this.waiters.some((w) => w.lane === lane)) {
      const result = route();
      if (result === true) return RESOLVED;
      if (result !== false) return Promise.reject(result);
    }
    return new Promise((resolve, reject) => this.waiters.push({ lane, route, resolve, reject }));
  }

  /** Retries waiting sends in order; stops retrying a lane at its first send that still waits. */
  wake(): void {
    if (this.waiters.length === 0) return;
    const blocked = new Set<string>();
    const still: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (blocked.has(waiter.lane)) {
        still.push(waiter);
        continue;
      }
      const result = waiter.route();
      if (result === false) {
        blocked.add(waiter.lane);
        still.push(waiter);
      } else if (result === true) {
        waiter.resolve();
      } else {
        waiter.reject(result);
      }
    }
    this.waiters = still;
  }

  /** Rejects every waiting send. */
  rejectAll(error: () => Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error());
  }
}
