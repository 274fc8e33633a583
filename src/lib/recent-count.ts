/**
 * How many events happened lately: a count over the last `spanMs`, kept in `buckets` buckets of
 * `spanMs / buckets` each, so it covers between one bucket less than the span and the span. Time
 * comes in as `now` (ms); nothing is timed here.
 *
 * @example
 * const done = new RecentCount(20);
 * done.add(5, 1000);
 * done.count(1010); // 5
 * done.count(1030); // 0: older than the span
 */
export class RecentCount {
  private readonly counts: number[];
  /** Index of the time slice each bucket holds (floor(now / width)). */
  private readonly slices: number[];
  private readonly width: number;

  constructor(spanMs: number, private readonly buckets = 4) {
    if (!(spanMs > 0) || !Number.isInteger(buckets) || buckets < 1) throw new Error(`a recent count needs a span > 0 ms and at least 1 bucket, got ${spanMs} ms and ${buckets}`);
    this.width = spanMs / buckets;
    this.counts = new Array<number>(buckets).fill(0);
    this.slices = new Array<number>(buckets).fill(Number.NEGATIVE_INFINITY);
  }

  add(n: number, now: number): void {
    const slice = Math.floor(now / this.width);
    const i = slice % this.buckets;
    if (this.slices[i] !== slice) {
      this.slices[i] = slice;
      this.counts[i] = 0;
    }
    (this.counts[i] as number) += n;
  }

  count(now: number): number {
    const slice = Math.floor(now / this.width);
    let n = 0;
    for (let i = 0; i < this.buckets; i++) {
      const age = slice - (this.slices[i] as number);
      if (age >= 0 && age < this.buckets) n += this.counts[i] as number;
    }
    return n;
  }
}
