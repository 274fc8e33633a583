/**
 * Which ticks of a schedule fire now, and where its next tick is: the rule that keeps a scheduler that
 * was down (or cut off from its store) from firing a burst of missed ticks.
 *
 * The ticks due are those from the schedule's `nextAt` up to `now`. The latest of them is on time when
 * it is at most `onTimeMs` old (a timer that fired a little late, a short outage): it fires. Older
 * ones, and the latest when it is older than that, were missed: at most `catchUp` fire (the most
 * recent ones), counting the on-time tick among them. The next tick is the first one after `now`.
 *
 * - catchUp 0: only a tick reached on time fires; missed ones are skipped.
 * - catchUp 1 (the default): one task however long the gap was.
 * - catchUp N: the N most recent ticks.
 *
 * @example
 * // every 60 s, due since an hour ago, 2 minutes past the latest tick:
 * planTicks({ kind: "every", everyMs: 60_000 }, now - 3_600_000, now, { catchUp: 1, onTimeMs: 60_000 })
 *   // { fire: [latest], nextAt: latest + 60_000 }
 */
import { nextCronTime, type Cron } from "./cron.ts";
import type { Timing } from "./schedule.ts";

export interface TickPlan {
  /** Ticks to fire, oldest first. */
  readonly fire: readonly number[];
  /** The schedule's next tick once these fired. */
  readonly nextAt: number;
}

export interface CatchUpRule {
  /** Most ticks fired at once after a gap (0: only a tick reached on time). */
  readonly catchUp: number;
  /** A tick at most this late is on time. */
  readonly onTimeMs: number;
}

/** The ticks to fire at `now` for a schedule whose next tick is `nextAt`. */
export function planTicks(t: Timing, nextAt: number, now: number, rule: CatchUpRule): TickPlan {
  if (nextAt > now) return { fire: [], nextAt };
  const next = nextTick(t, nextAt, now);
  const [latest] = lastTicks(t, nextAt, now, 1);
  if (latest === undefined) return { fire: [], nextAt: next };
  const keep = Math.max(rule.catchUp, now - latest <= rule.onTimeMs ? 1 : 0);
  return { fire: keep === 0 ? [] : keep === 1 ? [latest] : lastTicks(t, nextAt, now, keep), nextAt: next };
}

/** The first tick strictly after `after`; `anchor` is a tick (for a period, ticks are anchor + k * period). */
export function nextTick(t: Timing, anchor: number, after: number): number {
  if (t.kind === "cron") return nextCronTime(t.cron, after);
  return anchor + (Math.floor((after - anchor) / t.everyMs) + 1) * t.everyMs;
}

/** The last `k` ticks within [from, to] (`from` a tick), oldest first. */
export function lastTicks(t: Timing, from: number, to: number, k: number): number[] {
  if (to < from || k <= 0) return [];
  if (t.kind === "every") {
    const latest = from + Math.floor((to - from) / t.everyMs) * t.everyMs;
    const out: number[] = [];
    for (let tick = latest; tick >= from && out.length < k; tick -= t.everyMs) out.unshift(tick);
    return out;
  }
  return lastCronTicks(t.cron, from, to, k);
}

/**
 * Cron ticks have no closed form backwards: look in a window before `to`, doubling it until it holds
 * `k` ticks or reaches `from`, so a long gap costs a few passes over its last ticks, not over all.
 */
function lastCronTicks(c: Cron, from: number, to: number, k: number): number[] {
  for (let span = 120_000 * k; ; span *= 2) {
    const start = Math.max(from, to - span);
    const found: number[] = [];
    for (let tick = nextCronTime(c, start - 1); tick <= to; tick = nextCronTime(c, tick)) {
      found.push(tick);
      if (found.length > k) found.shift();
    }
    if (found.length >= k || start === from) return found;
  }
}
