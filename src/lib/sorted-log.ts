/**
 * Entries `(score, id)` kept in ascending order (score, then id), read newest first (descending) from
 * any position. Built for logs that mostly grow at the end (times from a clock): appending is O(1), an
 * entry older than the last is inserted in place. Entries are not removed one by one: the owner drops
 * them from the front (`shift`, the oldest) or rebuilds the log without dead ones (`compact`).
 *
 * @example
 * const log = new SortedLog();
 * log.insert(10, "a"); log.insert(20, "b"); log.insert(20, "c");
 * [...log.descending()]                        // [[20, "c"], [20, "b"], [10, "a"]]
 * [...log.descending({ score: 20, id: "c" })]  // [[20, "b"], [10, "a"]]: after ("older than") c
 */
export interface LogPosition {
  readonly score: number;
  readonly id: string;
}

function less(aScore: number, aId: string, bScore: number, bId: string): boolean {
  return aScore < bScore || (aScore === bScore && aId < bId);
}

export class SortedLog {
  private scores: number[] = [];
  private ids: string[] = [];
  /** Index of the first live entry (entries before it were shifted out). */
  private head = 0;

  get size(): number {
    return this.ids.length - this.head;
  }

  /** Adds an entry at its place in the order. */
  insert(score: number, id: string): void {
    const n = this.ids.length;
    if (n === this.head || !less(score, id, this.scores[n - 1] as number, this.ids[n - 1] as string)) {
      this.scores.push(score);
      this.ids.push(id);
      return;
    }
    const at = this.firstNotLess(score, id);
    this.scores.splice(at, 0, score);
    this.ids.splice(at, 0, id);
  }

  /**
   * Adds many entries of one score (a batch queued or settled together): ids sorted by the engine's own
   * sort (unless the caller says they are: `idsSorted`, in ascending string order), then appended (the
   * common case: newer than the log) or merged into the tail they belong in, so a batch costs
   * O(k log k + tail), not one splice each.
   *
   * @example
   * log.insertMany(30, ["z", "x"]); // after (20, "c"): appended as (30, "x"), (30, "z")
   * log.insertMany(20, ["a", "d"]); // merged: (20, "a") before (20, "b"), (20, "d") after (20, "c")
   */
  insertMany(score: number, ids: readonly string[], idsSorted = false): void {
    if (ids.length === 0) return;
    const sorted = idsSorted ? ids : [...ids].sort();
    const n = this.ids.length;
    if (n === this.head || !less(score, sorted[0] as string, this.scores[n - 1] as number, this.ids[n - 1] as string)) {
      for (const id of sorted) {
        this.scores.push(score);
        this.ids.push(id);
      }
      return;
    }
    this.merge(sorted.map((id) => [score, id] as const));
  }

  /** Merges sorted entries into the log. */
  private merge(batch: readonly (readonly [number, string])[]): void {
    const [s0, id0] = batch[0] as readonly [number, string];
    const n = this.ids.length;
    const at = n === this.head || !less(s0, id0, this.scores[n - 1] as number, this.ids[n - 1] as string) ? n : this.firstNotLess(s0, id0);
    const tailScores = this.scores.splice(at);
    const tailIds = this.ids.splice(at);
    let i = 0;
    let j = 0;
    while (i < batch.length || j < tailIds.length) {
      const b = batch[i];
      if (b !== undefined && (j >= tailIds.length || less(b[0], b[1], tailScores[j] as number, tailIds[j] as string))) {
        this.scores.push(b[0]);
        this.ids.push(b[1]);
        i++;
      } else {
        this.scores.push(tailScores[j] as number);
        this.ids.push(tailIds[j] as string);
        j++;
      }
    }
  }

  /** The oldest entry, if any. */
  first(): LogPosition | undefined {
    return this.head < this.ids.length ? { score: this.scores[this.head] as number, id: this.ids[this.head] as string } : undefined;
  }

  /** The oldest entry's id, if any (`first` without making a position). */
  firstId(): string | undefined {
    return this.ids[this.head];
  }

  /** Drops the oldest entry. */
  shift(): void {
    if (this.head >= this.ids.length) return;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.ids.length) this.compact(() => true);
  }

  /** Entries newest first, starting after (older than) `after` when given. */
  *descending(after?: LogPosition): Generator<[number, string]> {
    let i = after === undefined ? this.ids.length : this.firstNotLess(after.score, after.id);
    for (i--; i >= this.head; i--) yield [this.scores[i] as number, this.ids[i] as string];
  }

  /** Keeps only the entries `keep` accepts. */
  compact(keep: (score: number, id: string) => boolean): void {
    const scores: number[] = [];
    const ids: string[] = [];
    for (let i = this.head; i < this.ids.length; i++) {
      if (!keep(this.scores[i] as number, this.ids[i] as string)) continue;
      scores.push(this.scores[i] as number);
      ids.push(this.ids[i] as string);
    }
    this.scores = scores;
    this.ids = ids;
    this.head = 0;
  }

  /** Index of the first entry not less than (score, id), from the head. */
  private firstNotLess(score: number, id: string): number {
    let lo = this.head;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (less(this.scores[mid] as number, this.ids[mid] as string, score, id)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
