/**
 * Prefetch: jobs an executor pool or a remote worker may hold beyond its slots, waiting ahead of its
 * executors. The dispatcher claims and settles in batches as large as the room it has, and with short
 * tasks the few hundred slots of a pool are done before the next claim comes back: the executors wait
 * on Redis and Redis on the executors. Long tasks need no such room, and a deep queue of them behind
 * one worker would leave another idle at the end. So the extra room is the count of quick jobs (handed
 * over and ended within PREFETCH_SPAN_MS, see quickEnd) the pool finished in the last
 * PREFETCH_SPAN_MS: about that long's work queued ahead, none while jobs take longer or wait longer
 * behind others, and never more than PREFETCH_MAX_EXTRA times its slots. The room lapses with time
 * alone: whoever asks for it must not wait on it shrinking by an event (see the Dispatcher's loop).
 *
 * @example
 * const p = new Prefetch();
 * if (quickEnd("returned", handedAt, now)) p.finished(1, now);
 * p.finished(900, now);
 * p.extra(256, now); // 768: three times the slots at most
 * p.extra(256, now + PREFETCH_SPAN_MS); // 0: nothing finished lately
 */
import { RecentCount } from "../lib/recent-count.ts";
import type { Outcome } from "./outcome.ts";

export const PREFETCH_SPAN_MS = 20;
export const PREFETCH_MAX_EXTRA = 3;

export class Prefetch {
  private readonly done = new RecentCount(PREFETCH_SPAN_MS);

  /** Notes `n` jobs finished at `now`. */
  finished(n: number, now: number): void {
    this.done.add(n, now);
  }

  /** Jobs that may wait beyond `slots` now. */
  extra(slots: number, now: number): number {
    return Math.min(this.done.count(now), slots * PREFETCH_MAX_EXTRA);
  }
}

/**
 * Whether a job that ended `kind` at `now`, handed over at `handedAt`, counts toward the pace: it ran
 * to an end (not lost with its executor, not handed back unstarted) within PREFETCH_SPAN_MS.
 *
 * @example
 * quickEnd("returned", 1000, 1005); // true
 * quickEnd("returned", 1000, 1000 + PREFETCH_SPAN_MS); // false: a long job (or one that waited)
 * quickEnd("lost", 1000, 1001); // false
 */
export function quickEnd(kind: Outcome["kind"], handedAt: number, now: number): boolean {
  return kind !== "lost" && kind !== "handed-back" && now - handedAt < PREFETCH_SPAN_MS;
}
