/**
 * A map that forgets its oldest entries in bulk: entries go into the current generation; when it weighs
 * `limit` (by `weigh`, one per entry by default) it becomes the old generation and the one before is
 * dropped whole. It keeps between `limit` and twice that, and forgetting costs nothing per entry
 * (unlike evicting one at a time from the front of a big Map, which slows down as deleted entries pile
 * up there). A caller whose entries are worth something for a while only can also end generations by
 * age (`age`): then every entry is kept at least that long (unless the weight ends its generation
 * first), and none past the first call to `age` after twice that.
 *
 * Each `set` may carry a mark (a number that never decreases, e.g. a sequence number); `forgotten()`
 * is at least the highest mark of any entry dropped so far, so a caller can tell whether something it
 * set after a given mark may be gone.
 *
 * @example
 * const recent = new Generations<string, number>(100_000);
 * recent.set("a", 1);
 * recent.get("a"); // 1, until some 100,000 to 200,000 newer entries went in
 */
export class Generations<K, V> {
  private current = new Map<K, V>();
  private old = new Map<K, V>();
  private weight = 0;
  /** The mark of the last `set` (the current generation holds nothing marked higher). */
  private lastMark = 0;
  /** The highest mark the old generation may hold. */
  private oldMark = 0;
  private forgottenMark = 0;
  /** When the current generation was first seen by `age` (undefined: not yet). */
  private since: number | undefined;

  constructor(
    private readonly limit: number,
    private readonly weigh: (value: V) => number = () => 1,
  ) {}

  get(key: K): V | undefined {
    return this.current.get(key) ?? this.old.get(key);
  }

  set(key: K, value: V, mark = this.lastMark): void {
    // A key is in one generation at most: replaced in place in the current one, else moved out of the old.
    const before = this.current.get(key);
    if (before !== undefined) this.weight -= this.weigh(before);
    else if (this.old.size > 0) this.old.delete(key);
    this.current.set(key, value);
    this.weight += this.weigh(value);
    this.lastMark = mark;
    if (this.weight >= this.limit) this.seal();
  }

  /**
   * Ends the current generation once it is `maxAgeMs` old at `now` (its age counted from the first
   * call that saw it): call it before setting entries that should last `maxAgeMs`.
   */
  age(now: number, maxAgeMs: number): void {
    if (this.since === undefined) this.since = now;
    else if (now - this.since >= maxAgeMs) {
      this.seal();
      this.since = now;
    }
  }

  private seal(): void {
    if (this.old.size > 0) this.forgottenMark = this.oldMark;
    this.old = this.current;
    this.oldMark = this.lastMark;
    this.current = new Map();
    this.weight = 0;
    this.since = undefined;
  }

  delete(key: K): void {
    const v = this.current.get(key);
    if (v !== undefined) {
      this.weight -= this.weigh(v);
      this.current.delete(key);
    } else if (this.old.size > 0) this.old.delete(key);
  }

  /** At least the highest mark of any entry dropped so far (0 before any). */
  forgotten(): number {
    return this.forgottenMark;
  }

  get size(): number {
    return this.current.size + this.old.size;
  }

  /** The values held, newer generation first. */
  *values(): IterableIterator<V> {
    yield* this.current.values();
    yield* this.old.values();
  }
}
