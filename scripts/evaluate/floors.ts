/**
 * The project's performance floors (set in issue 17), checked against measured figures. Pure: figures in, verdicts out.
 *
 * - every Redis-backed mode (local, push, pull; push and pull over NULL and over CURVE; thread
 *   isolation): throughput at least 2x BullMQ's, one-at-a-time p50 no higher than BullMQ's;
 * - embedded (thread isolation): throughput at least 10x BullMQ's, p50 under a quarter of BullMQ's;
 * - sandbox isolation within 1.5x of thread isolation, both figures, every mode;
 * - the cost of a task does not grow with the tasks retained: Redis with a local dispatcher keeps at
 *   least 0.9x its fresh throughput and at most 1.1x its fresh p50 with N finished tasks retained.
 */

import { median, percentile } from "./stats.ts";

/** Push and pull speak NULL security (no encryption) unless the name ends in `-curve` (ZMTP CURVE). */
export const MODES = ["embedded", "redis-local", "redis-push", "redis-pull", "redis-push-curve", "redis-pull-curve"] as const;
export type ModeName = (typeof MODES)[number];
export const ISOLATIONS = ["thread", "sandbox"] as const;
export type SeriesIsolation = (typeof ISOLATIONS)[number];

/**
 * Modes measured in the thread series only: CURVE changes the wire between dispatcher and workers, not
 * the executors, so their sandbox series would repeat redis-push's and redis-pull's.
 */
export const THREAD_ONLY_MODES: readonly ModeName[] = ["redis-push-curve", "redis-pull-curve"];

/**
 * The isolation series a mode is measured in, of those asked for.
 *
 * @example
 * seriesOf("redis-push-curve", ["thread", "sandbox"]); // ["thread"]
 * seriesOf("redis-push", ["thread", "sandbox"]);       // ["thread", "sandbox"]
 */
export function seriesOf(mode: ModeName, isolations: readonly SeriesIsolation[]): SeriesIsolation[] {
  return THREAD_ONLY_MODES.includes(mode) ? isolations.filter((i) => i === "thread") : [...isolations];
}

/** The two headline figures of one mode and isolation (throughput in tasks/s, p50 in ms). */
export interface HeadlineFigures {
  readonly mode: ModeName;
  readonly isolation: SeriesIsolation;
  readonly throughput: number;
  readonly p50: number;
  /** BullMQ measured beside this series (the sessions just before and after it): its ratios use these. */
  readonly bullmq?: BaselineFigures;
  /** Run-to-run noise of this series and BullMQ beside it (relative, see measurementNoise in stats.ts). */
  readonly noise?: { readonly throughput: number; readonly p50: number };
  /**
   * p50 in ms of the mode's bare hops measured beside this series: the same processes and transports
   * with nothing of ours in them (scripts/lib/bare-hops.ts), the least a lone task's trip through them
   * takes on this machine.
   */
  readonly bareP50?: number;
}

/** BullMQ's figures from the same run: jobs/s and one-at-a-time p50 in ms. */
export interface BaselineFigures {
  readonly throughput: number;
  readonly p50: number;
}

/** One floor and whether it was met. `value` is the measured ratio the floor is about. */
export interface FloorCheck {
  readonly mode: ModeName;
  /** "throughput vs BullMQ", "p50 vs BullMQ", "thread/sandbox throughput", "sandbox/thread p50", "throughput with 1,000,000 retained vs fresh", ... */
  readonly figure: string;
  readonly value: number;
  /** The floor as text, e.g. ">= 2x", "< 0.25x", "<= 1.5x". */
  readonly floor: string;
  readonly met: boolean;
  /** Said next to the verdict, e.g. that the ratio is within the run-to-run noise. */
  readonly note?: string;
}

/**
 * Ours over BullMQ: throughput ratio (higher is better) and p50 ratio (lower is better).
 *
 * @example
 * ratios({ throughput: 24000, p50: 0.5 }, { throughput: 12000, p50: 1 }); // { throughput: 2, p50: 0.5 }
 */
export function ratios(ours: { throughput: number; p50: number }, bull: BaselineFigures): { throughput: number; p50: number } {
  return { throughput: ours.throughput / bull.throughput, p50: ours.p50 / bull.p50 };
}

/**
 * BullMQ's figures from its rounds (jobs/s) and one-at-a-time samples (ms), e.g. those of the two
 * sessions around one of our series together: the median round and the p50.
 *
 * @example
 * baselineOf({ rounds: [10_000, 12_000, 14_000], samples: [0.5, 0.6, 0.7] }); // { throughput: 12_000, p50: 0.6 }
 */
export function baselineOf(m: { readonly rounds: readonly number[]; readonly samples: readonly number[] }): BaselineFigures {
  return { throughput: median(m.rounds), p50: percentile(m.samples, 50) };
}

/** The note a verdict gets when its ratio is no further from the line than the noise (relative). */
function nearLine(ratio: number, line: number, noise: number | undefined): { note?: string } {
  return noise !== undefined && Math.abs(ratio / line - 1) <= noise ? { note: `within the run-to-run noise (±${Math.round(noise * 100)}%)` } : {};
}

/**
 * A p50 verdict's note on the bare hops (`bare`: their p50 over BullMQ's): how much of the floor they
 * take, and when they alone miss it (`misses`), that no code in these processes can meet it here.
 */
function bareNote(bare: number | undefined, misses: (ratio: number) => boolean): string | undefined {
  if (bare === undefined) return undefined;
  const text = `the bare hops alone ${bare.toFixed(2)}x`;
  return misses(bare) ? `${text}: out of reach for these processes on this machine` : text;
}

/** Notes joined into one, or none. */
function notes(...parts: (string | undefined)[]): { note?: string } {
  const kept = parts.filter((p): p is string => p !== undefined);
  return kept.length === 0 ? {} : { note: kept.join("; ") };
}

/**
 * Checks every floor that the given figures allow: the BullMQ floors on the thread series (against
 * the BullMQ figures measured beside it, else `bull`; a ratio no further from its line than the
 * series' noise says so), the sandbox-vs-thread floors where both series of a mode were measured.
 * With the bare hops' p50 (`bareP50`), a p50 verdict says what share of BullMQ's they alone take, and
 * when that already misses the floor, that nothing in those processes can meet it on this machine.
 *
 * @example
 * const checks = checkFloors(
 *   [{ mode: "redis-local", isolation: "thread", throughput: 30000, p50: 0.6 }],
 *   { throughput: 12000, p50: 0.7 },
 * );
 * checks.every((c) => c.met); // true: 2.5x >= 2x and 0.86x <= 1x
 */
export function checkFloors(figures: readonly HeadlineFigures[], bull: BaselineFigures | undefined): FloorCheck[] {
  const out: FloorCheck[] = [];
  for (const mode of MODES) {
    const thread = figures.find((f) => f.mode === mode && f.isolation === "thread");
    const sandbox = figures.find((f) => f.mode === mode && f.isolation === "sandbox");
    const beside = thread?.bullmq ?? bull;
    if (thread !== undefined && beside !== undefined) {
      const r = ratios(thread, beside);
      const embedded = mode === "embedded";
      const minThroughput = embedded ? 10 : 2;
      // embedded's p50 must be under a quarter (strictly), the Redis modes' no higher than BullMQ's
      const maxP50 = embedded ? 0.25 : 1;
      const p50Meets = (ratio: number): boolean => (embedded ? ratio < maxP50 : ratio <= maxP50);
      const bare = thread.bareP50 === undefined ? undefined : thread.bareP50 / beside.p50;
      out.push({ mode, figure: "throughput vs BullMQ", value: r.throughput, floor: `>= ${minThroughput}x`, met: r.throughput >= minThroughput, ...nearLine(r.throughput, minThroughput, thread.noise?.throughput) });
      out.push({
        mode,
        figure: "p50 vs BullMQ",
        value: r.p50,
        floor: embedded ? "< 0.25x" : "<= 1x",
        met: p50Meets(r.p50),
        ...notes(nearLine(r.p50, maxP50, thread.noise?.p50).note, bareNote(bare, (x) => !p50Meets(x))),
      });
    }
    if (thread !== undefined && sandbox !== undefined) {
      const slower = thread.throughput / sandbox.throughput;
      const later = sandbox.p50 / thread.p50;
      out.push({ mode, figure: "thread/sandbox throughput", value: slower, floor: "<= 1.5x", met: slower <= 1.5 });
      out.push({ mode, figure: "sandbox/thread p50", value: later, floor: "<= 1.5x", met: later <= 1.5 });
    }
  }
  return out;
}

/** One stack's figures measured fresh and again with `retained` finished tasks kept in Redis. */
export interface RetainedComparison {
  readonly retained: number;
  readonly fresh: BaselineFigures;
  readonly filled: BaselineFigures;
  /** Run-to-run noise as a relative spread (0.08 = ±8%): of the throughput rounds, and of the p50 of slices of the one-at-a-time samples. */
  readonly noise: { readonly throughput: number; readonly p50: number };
}

/**
 * The floors on retained tasks: throughput with them at least 0.9x the fresh figure, p50 at most
 * 1.1x. A ratio no further from 1 than the noise gets a note saying so (met or not).
 *
 * @example
 * const [tp, p50] = checkRetainedFloors({ retained: 1e6, fresh: { throughput: 20000, p50: 0.8 }, filled: { throughput: 17000, p50: 0.84 }, noise: { throughput: 0.2, p50: 0.03 } });
 * tp.met; // false (0.85x < 0.9x), tp.note: "within the run-to-run noise (±20%)"
 * p50.met; // true (1.05x <= 1.1x), no note: 5% is more than the p50's 3% noise
 */
export function checkRetainedFloors(c: RetainedComparison): FloorCheck[] {
  const n = c.retained.toLocaleString("en-US");
  const throughput = c.filled.throughput / c.fresh.throughput;
  const p50 = c.filled.p50 / c.fresh.p50;
  return [
    { mode: "redis-local", figure: `throughput with ${n} retained vs fresh`, value: throughput, floor: ">= 0.9x", met: throughput >= 0.9, ...nearLine(throughput, 1, c.noise.throughput) },
    { mode: "redis-local", figure: `p50 with ${n} retained vs fresh`, value: p50, floor: "<= 1.1x", met: p50 <= 1.1, ...nearLine(p50, 1, c.noise.p50) },
  ];
}
