/** Splitting work into chunks and running them with a bounded number in flight. */

/**
 * Splits `items` into consecutive chunks of at most `maxItems` items and, when `sizeOf` is given, at
 * most `maxBytes` bytes (an item larger than `maxBytes` gets a chunk of its own).
 *
 * @example
 * ```ts
 * chunk([1, 2, 3, 4, 5], 2);                               // [[1, 2], [3, 4], [5]]
 * chunk(["aa", "bb", "cc"], 10, 4, (s) => s.length);       // [["aa", "bb"], ["cc"]]
 * ```
 */
export function chunk<T>(items: readonly T[], maxItems: number, maxBytes = Infinity, sizeOf?: (item: T) => number): T[][] {
  if (!(maxItems >= 1)) throw new RangeError(`maxItems must be at least 1, got ${maxItems}`);
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf === undefined ? 0 : sizeOf(item);
    if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Runs `work` on every item with at most `concurrency` calls in flight and returns the results in
 * the order of `items`. After the first failure no new call starts; the calls in flight are awaited,
 * then the first error is thrown together with what succeeded (`settled`).
 *
 * @example
 * ```ts
 * const lengths = await mapBounded(["a", "bb"], 2, async (s) => s.length); // [1, 2]
 * ```
 */
export async function mapBounded<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  const done = new Array<boolean>(items.length).fill(false);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i] as T, i);
        done[i] = true;
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
  if (failure !== undefined) throw new PartialFailure(failure.error, results, done);
  return results;
}

/** What {@link mapBounded} throws: the first error, and the results of the calls that succeeded. */
export class PartialFailure<R> extends Error {
  constructor(
    readonly error: unknown,
    readonly results: readonly R[],
    readonly done: readonly boolean[],
  ) {
    super(error instanceof Error ? error.message : String(error), { cause: error });
  }
}
