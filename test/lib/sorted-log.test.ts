import { describe, expect, test } from "bun:test";
import { SortedLog } from "../../src/lib/sorted-log.ts";

/** A small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

describe("SortedLog", () => {
  test("entries come out newest first, ties by id; after a position, only older ones", () => {
    const log = new SortedLog();
    log.insert(20, "b");
    log.insert(10, "a");
    log.insert(20, "c");
    expect([...log.descending()]).toEqual([[20, "c"], [20, "b"], [10, "a"]]);
    expect([...log.descending({ score: 20, id: "c" })]).toEqual([[20, "b"], [10, "a"]]);
  });

  test("insertAll keeps the same order as inserting one by one: appended batches, batches merged into the tail, equal scores", () => {
    const random = rng(7);
    const one = new SortedLog();
    const many = new SortedLog();
    let clock = 1000;
    for (let round = 0; round < 200; round++) {
      clock += Math.floor(random() * 3); // often the same ms as the batch before
      const batch: [number, string][] = Array.from({ length: 1 + Math.floor(random() * 20) }, () => [clock - Math.floor(random() * 2), Math.floor(random() * 1e9).toString(36)]);
      for (const [score, id] of batch) one.insert(score, id);
      many.insertAll(batch);
      if (round % 50 === 49) {
        one.shift();
        many.shift();
      }
    }
    expect([...many.descending()]).toEqual([...one.descending()]);
    expect(many.size).toBe(one.size);
  });
});
