/**
 * Splits a list into consecutive chunks whose summed sizes stay within a byte budget, so a batch that
 * would make one oversized message goes out as several (an item bigger than the budget on its own
 * gets a chunk to itself: the caller decides what to do with it).
 *
 * @example
 * ```ts
 * chunksBySize(["aaaa", "bb", "cccc"], (s) => s.length, 6) // [["aaaa", "bb"], ["cccc"]]
 * ```
 */
export function chunksBySize<T>(items: readonly T[], sizeOf: (item: T) => number, budget: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    const s = sizeOf(item);
    if (current.length > 0 && size + s > budget) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += s;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
