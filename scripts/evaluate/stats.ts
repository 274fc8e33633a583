/**
 * Summaries of measured samples: percentiles (nearest rank), the latency summary the report prints,
 * an empirical CDF thinned to a few hundred points for plotting, and the median of repeated rounds.
 * Pure functions: no I/O, no clock.
 */

/** The figures the report shows for one set of latency samples, in ms. */
export interface LatencySummary {
  readonly n: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * The `p`th percentile (0 < p <= 100) of `samples` by the nearest-rank method: the smallest sample with
 * at least p% of the samples at or below it. Throws on an empty list or a p outside (0, 100].
 *
 * @example
 * percentile([5, 1, 4, 2, 3], 50); // 3
 * percentile([1, 2, 3, 4], 100); // 4
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error("percentile needs at least one sample, got none");
  if (!(p > 0 && p <= 100)) throw new Error(`percentile p must be in (0, 100], got ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)] as number;
}

/**
 * Count, mean, p50, p95, p99 and max of latency samples (ms).
 *
 * @example
 * summarize([1, 2, 3, 4]).p50; // 2
 */
export function summarize(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) throw new Error("summarize needs at least one sample, got none");
  const sum = samples.reduce((a, b) => a + b, 0);
  return {
    n: samples.length,
    mean: sum / samples.length,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    max: Math.max(...samples),
  };
}

/** One point of an empirical CDF: `fraction` of the samples are <= `value`. */
export interface CdfPoint {
  readonly value: number;
  readonly fraction: number;
}

/**
 * The empirical CDF of `samples`: for each distinct sorted value, the fraction of samples at or below
 * it. With more than `maxPoints` samples, keeps evenly spaced ranks (always the first and the last),
 * so a plot of 20,000 samples stays small.
 *
 * @example
 * cdf([3, 1, 2, 2]); // [{value: 1, fraction: 0.25}, {value: 2, fraction: 0.75}, {value: 3, fraction: 1}]
 */
export function cdf(samples: readonly number[], maxPoints = 200): CdfPoint[] {
  if (samples.length === 0) return [];
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const full: CdfPoint[] = [];
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && sorted[i + 1] === sorted[i]) continue; // the last of equal values carries their fraction
    full.push({ value: sorted[i] as number, fraction: (i + 1) / n });
  }
  if (full.length <= maxPoints) return full;
  const out: CdfPoint[] = [];
  const step = (full.length - 1) / (maxPoints - 1);
  for (let k = 0; k < maxPoints; k++) out.push(full[Math.round(k * step)] as CdfPoint);
  return out;
}

/**
 * The median of a list of figures (e.g. throughput of repeated rounds); the mean of the middle two
 * for an even count.
 *
 * @example
 * median([3, 1, 2]); // 2
 * median([4, 1, 3, 2]); // 2.5
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median needs at least one value, got none");
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * How far a set of repeated figures strays from its median: the largest |value / median - 1|
 * (0 for a single value). The run-to-run noise a ratio between two runs is read against.
 *
 * @example
 * spread([90, 100, 105]); // 0.1
 */
export function spread(values: readonly number[]): number {
  const m = median(values);
  return Math.max(...values.map((v) => Math.abs(v / m - 1)));
}

/**
 * The `p`th percentile of each of `blocks` consecutive, equal slices of `samples` (the last slice
 * takes the remainder), e.g. the p50 of each fifth of a one-at-a-time run, to see how much it moves.
 *
 * @example
 * blockPercentiles([1, 2, 3, 10, 20, 30], 2, 50); // [2, 20]
 */
export function blockPercentiles(samples: readonly number[], blocks: number, p: number): number[] {
  const size = Math.floor(samples.length / blocks);
  if (size < 1) throw new Error(`blockPercentiles needs at least ${blocks} samples for ${blocks} blocks, got ${samples.length}`);
  return Array.from({ length: blocks }, (_, b) => percentile(samples.slice(b * size, b === blocks - 1 ? samples.length : (b + 1) * size), p));
}

/** Slices of the one-at-a-time samples whose p50s give the p50's run-to-run noise. */
const P50_BLOCKS = 5;

/**
 * Run-to-run noise of two measurements (ours and BullMQ's beside it, or one stack fresh and again):
 * the larger spread of their throughput rounds, and of the p50s of fifths of their one-at-a-time
 * samples.
 *
 * @example
 * measurementNoise({ rounds: [90, 100, 110], samples }, { rounds: [100], samples }).throughput; // 0.1
 */
export function measurementNoise(a: { readonly rounds: readonly number[]; readonly samples: readonly number[] }, b: { readonly rounds: readonly number[]; readonly samples: readonly number[] }): { throughput: number; p50: number } {
  const p50Spread = (samples: readonly number[]): number => spread(blockPercentiles(samples, Math.min(P50_BLOCKS, samples.length), 50));
  return { throughput: Math.max(spread(a.rounds), spread(b.rounds)), p50: Math.max(p50Spread(a.samples), p50Spread(b.samples)) };
}
