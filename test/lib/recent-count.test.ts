import { describe, expect, test } from "bun:test";
import { RecentCount } from "../../src/lib/recent-count.ts";

describe("RecentCount", () => {
  test("counts what was added within the span and forgets it once the span has passed", () => {
    const c = new RecentCount(20, 4); // buckets of 5 ms
    c.add(3, 1000);
    c.add(2, 1004);
    c.add(4, 1012);
    expect(c.count(1012)).toBe(9);
    expect(c.count(1019)).toBe(9);
    expect(c.count(1020)).toBe(4); // the bucket of 1000-1004 is 4 buckets old
    expect(c.count(1029)).toBe(4); // the bucket of 1010-1014 is 3 buckets old
    expect(c.count(1030)).toBe(0);
  });

  test("a bucket reused for a later slice starts from zero", () => {
    const c = new RecentCount(20, 4);
    c.add(7, 1000);
    c.add(1, 1020); // same bucket index, four slices later
    expect(c.count(1020)).toBe(1);
  });

  test("time going back (another clock's reading) counts nothing from the future", () => {
    const c = new RecentCount(20, 4);
    c.add(5, 2000);
    expect(c.count(1990)).toBe(0);
    expect(c.count(2000)).toBe(5);
  });

  test("refuses a span or bucket count that cannot work, naming both", () => {
    expect(() => new RecentCount(0)).toThrow("span > 0 ms and at least 1 bucket, got 0 ms and 4");
    expect(() => new RecentCount(20, 0)).toThrow("got 20 ms and 0");
  });
});
