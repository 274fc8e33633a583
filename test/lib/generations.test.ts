import { describe, expect, test } from "bun:test";
import { Generations } from "../../src/lib/generations.ts";

describe("Generations", () => {
  test("keeps the newest entries, between the limit and twice it, forgetting the oldest generation whole", () => {
    const g = new Generations<number, string>(3);
    for (let i = 1; i <= 7; i++) g.set(i, `v${i}`, i);
    // generations: [1,2,3] dropped when [4,5,6] filled; [7] is current
    expect([1, 2, 3].map((k) => g.get(k))).toEqual([undefined, undefined, undefined]);
    expect([4, 5, 6, 7].map((k) => g.get(k))).toEqual(["v4", "v5", "v6", "v7"]);
    expect(g.size).toBe(4);
    expect(g.forgotten()).toBe(3); // marks up to 3 may be gone
  });

  test("values: what is held, the newer generation first; a key set again is listed once, with its new value", () => {
    const g = new Generations<string, number>(2);
    g.set("a", 1);
    g.set("b", 2); // [a, b] becomes old
    g.set("c", 3);
    g.set("a", 10); // a moves to the current generation, which fills: [c, a] becomes old, b (left in the old one) is dropped
    expect([...g.values()]).toEqual([3, 10]);
    g.set("d", 4);
    expect([...g.values()]).toEqual([4, 3, 10]);
  });

  test("a set moves an old entry into the current generation; a delete takes it from either", () => {
    const g = new Generations<string, number>(2);
    g.set("a", 1);
    g.set("b", 2); // [a, b] becomes old
    g.set("a", 10); // a moves to the current generation
    g.set("c", 3); // [a, c] becomes old: b is dropped
    expect([g.get("a"), g.get("b"), g.get("c")]).toEqual([10, undefined, 3]);
    g.delete("a");
    expect(g.get("a")).toBeUndefined();
    expect(g.forgotten()).toBe(0); // no marks given
  });

  test("entries weigh what `weigh` says: a generation ends when its weight reaches the limit", () => {
    const g = new Generations<string, string>(10, (v) => v.length);
    g.set("x", "123456");
    g.set("y", "1234"); // 10: sealed
    g.set("z", "1234567890"); // 10: sealed, x and y dropped
    expect([g.get("x"), g.get("y"), g.get("z")]).toEqual([undefined, undefined, "1234567890"]);
  });

  test("age ends a generation once it is that old: every entry is kept at least that long, and dropped by the call after twice that", () => {
    const g = new Generations<string, number>(1_000_000);
    g.age(0, 100);
    g.set("a", 1, 1);
    g.age(99, 100); // not yet 100 old
    g.set("b", 2, 2);
    g.age(100, 100); // [a, b] ends
    g.set("c", 3, 3);
    expect([g.get("a"), g.get("b"), g.get("c")]).toEqual([1, 2, 3]);
    expect(g.forgotten()).toBe(0);
    g.age(199, 100);
    expect(g.get("a")).toBe(1); // set at 0, now 199: still kept
    g.age(200, 100); // [c] ends: [a, b] is dropped whole
    expect([g.get("a"), g.get("b"), g.get("c")]).toEqual([undefined, undefined, 3]);
    expect(g.forgotten()).toBe(2);
  });

  test("a generation the weight ended starts its age again from the next call", () => {
    const g = new Generations<string, number>(2);
    g.age(0, 100);
    g.set("a", 1);
    g.set("b", 2); // full: [a, b] ends by weight
    g.age(90, 100); // the new generation is first seen at 90
    g.set("c", 3);
    g.age(150, 100); // 60 old: kept
    expect([g.get("a"), g.get("c")]).toEqual([1, 3]);
    g.age(190, 100); // 100 old: [c] ends, [a, b] dropped
    expect([g.get("a"), g.get("c")]).toEqual([undefined, 3]);
  });
});
