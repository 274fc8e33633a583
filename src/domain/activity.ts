/**
 * What the deployment did second by second, for the dashboard's charts: tasks finished per second (by
 * status) and a histogram of their submit-to-finish times, per tenant. The stores count a task when it
 * becomes terminal, in the step that finishes it, and keep about ACTIVITY_KEEP_MS of seconds (Redis: a
 * hash per tenant and minute with a TTL; memory: a map). The histogram has fine buckets (LATENCY_BOUNDS_MS,
 * about 19% apart), so p50/p95/p99 per second are read within that error; histograms add up, so
 * several shards, tenants or seconds merge exactly.
 *
 * @example
 * latencyBucket(7)                      // the first bucket whose bound is >= 7 ms
 * quantileMs({ [latencyBucket(7)]: 10 }, 0.5) // LATENCY_BOUNDS_MS[latencyBucket(7)]
 */

/** Upper bounds (ms) of the latency buckets: 1 ms up to 24 h, a factor 2^(1/4) apart, rounded up and without repeats; one more bucket (+Inf) follows. */
export const LATENCY_BOUNDS_MS: readonly number[] = (() => {
  const out: number[] = [];
  for (let i = 0; ; i++) {
    const b = Math.ceil(2 ** (i / 4));
    if (out.at(-1) !== b) out.push(b);
    if (b >= 86_400_000) return out;
  }
})();

/** How long the stores keep per-second counts. */
export const ACTIVITY_KEEP_MS = 17 * 60_000;
/** The seconds the dashboard charts (15 minutes). */
export const ACTIVITY_WINDOW_S = 900;

/** Tasks that finished in one second, and their submit-to-finish times (bucket index -> count, COMPLETED and FAILED only). */
export interface SecondCounts {
  /** Seconds since the epoch. */
  readonly second: number;
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly latency: Readonly<Record<number, number>>;
}

/** Where the per-second counts are kept (the store, beside the tasks). */
export interface ActivityHistory {
  /** The seconds from `fromSecond` to `toSecond` (inclusive) that saw a task finish, of `tenant` (all tenants added up when undefined), in order. */
  activity(tenant: string | undefined, fromSecond: number, toSecond: number): Promise<SecondCounts[]>;
}

/**
 * The bucket of a duration: the first bound >= ms (0 for 1 ms or less), or LATENCY_BOUNDS_MS.length
 * past 24 h. The Lua scripts use the same bounds.
 *
 * @example
 * latencyBucket(0) // 0; latencyBucket(1) // 0; latencyBucket(2) // 1
 */
export function latencyBucket(ms: number): number {
  let lo = 0;
  let hi = LATENCY_BOUNDS_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((LATENCY_BOUNDS_MS[mid] as number) >= ms) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The upper bound of a bucket in ms (the +Inf bucket answers the last bound). */
export function bucketBoundMs(bucket: number): number {
  return LATENCY_BOUNDS_MS[Math.min(bucket, LATENCY_BOUNDS_MS.length - 1)] as number;
}

/**
 * The q-quantile (0 < q <= 1) of a histogram as the bound of the bucket it falls in; undefined when empty.
 *
 * @example
 * quantileMs({ 0: 1, 10: 1 }, 0.5) // 1 (the first of the two)
 */
export function quantileMs(hist: Readonly<Record<number, number>>, q: number): number | undefined {
  const buckets = Object.entries(hist)
    .map(([b, n]) => [Number(b), n] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return undefined;
  const target = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [b, n] of buckets) {
    seen += n;
    if (seen >= target) return bucketBoundMs(b);
  }
  return bucketBoundMs((buckets.at(-1) as readonly [number, number])[0]);
}

/** Adds histogram `b` into `a`. */
export function addHistogram(a: Record<number, number>, b: Readonly<Record<number, number>>): void {
  for (const [k, n] of Object.entries(b)) a[Number(k)] = (a[Number(k)] ?? 0) + n;
}

/**
 * The counts of several sources (shards, tenants) added up per second, in order.
 *
 * @example
 * sumSeconds([[{ second: 5, completed: 1, ... }], [{ second: 5, completed: 2, ... }]]) // [{ second: 5, completed: 3, ... }]
 */
export function sumSeconds(parts: readonly (readonly SecondCounts[])[]): SecondCounts[] {
  const by = new Map<number, { second: number; completed: number; failed: number; cancelled: number; latency: Record<number, number> }>();
  for (const part of parts) {
    for (const s of part) {
      let acc = by.get(s.second);
      if (acc === undefined) by.set(s.second, (acc = { second: s.second, completed: 0, failed: 0, cancelled: 0, latency: {} }));
      acc.completed += s.completed;
      acc.failed += s.failed;
      acc.cancelled += s.cancelled;
      addHistogram(acc.latency, s.latency);
    }
  }
  return [...by.values()].sort((a, b) => a.second - b.second);
}

/** The charts' series: one value per second from `fromSecond`, `toSecond - fromSecond + 1` of them. */
export interface ActivitySeries {
  readonly fromSecond: number;
  readonly completed: number[];
  readonly failed: number[];
  readonly cancelled: number[];
  /** Per second; null where no task finished. */
  readonly p50: (number | null)[];
  readonly p95: (number | null)[];
  readonly p99: (number | null)[];
}

/**
 * Dense series for the charts from sparse per-second counts.
 *
 * @example
 * activitySeries([{ second: 11, completed: 2, failed: 0, cancelled: 0, latency: { 3: 2 } }], 10, 12).completed // [0, 2, 0]
 */
export function activitySeries(seconds: readonly SecondCounts[], fromSecond: number, toSecond: number): ActivitySeries {
  const n = Math.max(0, toSecond - fromSecond + 1);
  const zeros = (): number[] => new Array<number>(n).fill(0);
  const nulls = (): (number | null)[] => new Array<number | null>(n).fill(null);
  const out = { fromSecond, completed: zeros(), failed: zeros(), cancelled: zeros(), p50: nulls(), p95: nulls(), p99: nulls() };
  for (const s of seconds) {
    const i = s.second - fromSecond;
    if (i < 0 || i >= n) continue;
    out.completed[i] = s.completed;
    out.failed[i] = s.failed;
    out.cancelled[i] = s.cancelled;
    out.p50[i] = quantileMs(s.latency, 0.5) ?? null;
    out.p95[i] = quantileMs(s.latency, 0.95) ?? null;
    out.p99[i] = quantileMs(s.latency, 0.99) ?? null;
  }
  return out;
}
