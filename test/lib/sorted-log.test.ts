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

  test("insertMany appends a newer batch and merges an older one into the tail, ids in order within a score", () => {
    const log = new SortedLog();
    log.insertMany(10, []);
    expect(log.size).toBe(0);
    log.insertMany(20, ["c", "b"]);
    log.insertMany(30, ["z", "x"]); // newer than the log: appended
    log.insertMany(20, ["d", "a"]); // older than the last: merged around (20, b) and (20, c)
    log.insertMany(10, ["q"]);
    expect([...log.descending()]).toEqual([[30, "z"], [30, "x"], [20, "d"], [20, "c"], [20, "b"], [20, "a"], [10, "q"]]);
    expect([...log.descending({ score: 20, id: "c" })]).toEqual([[20, "b"], [20, "a"], [10, "q"]]);
    expect(log.size).toBe(7);
  });

  test("insertMany keeps the same order as inserting one by one: appended batches, batches merged into the tail, equal scores, after shifts", () => {
    const random = rng(7);
    const one = new SortedLog();
    const many = new SortedLog();
    let clock = 1000;
    for (let round = 0; round < 300; round++) {
      clock += Math.floor(random() * 3); // often the same ms as the batch before
      const score = clock - Math.floor(random() * 3); // sometimes older than the last batch
      const ids = Array.from({ length: 1 + Math.floor(random() * 20) }, () => Math.floor(random() * 1e9).toString(36));
      for (const id of ids) one.insert(score, id);
      many.insertMany(score, ids);
      if (round % 50 === 49) {
        for (let k = 0; k < 30; k++) {
          one.shift();
          many.shift();
        }
      }
    }
    expect(many.size).toBe(one.size);
    expect([...many.descending()]).toEqual([...one.descending()]);
    expect(many.first()).toEqual(one.first());
    expect(many.firstId()).toBe(many.first()?.id as string);
  });

  test("firstId is the oldest entry's id, after shifts and compactions too, and undefined when empty", () => {
    const log = new SortedLog();
    expect(log.firstId()).toBeUndefined();
    for (let i = 0; i < 3000; i++) log.insert(i, `id-${i}`);
    for (let i = 0; i < 2000; i++) log.shift(); // past the compaction threshold
    expect([log.firstId(), log.first()?.id, log.size]).toEqual(["id-2000", "id-2000", 1000]);
    for (let i = 0; i < 1000; i++) log.shift();
    expect(log.firstId()).toBeUndefined();
  });
});
