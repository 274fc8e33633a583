import { describe, expect, test } from "bun:test";
import { queryValue } from "../../src/adapters/http/query.ts";

describe("queryValue", () => {
  test("answers as url.searchParams.get would, for queries with and without anything to decode", () => {
    const queries = ["", "?", "?wait=10", "?wait", "?wait=", "?a=1&wait=2&wait=3", "?waitx=1&wait=4", "?xwait=1", "?&&wait=5&", "?wai=1",
      "?wait=a=b", "?wait=%31", "?w%61it=7", "?wait=1+2", "?a&b=&wait", "?=1&wait=9", "?wait=%E2%82%AC", "?;wait=1", "?wait=10#frag"];
    for (const q of queries) {
      const url = new URL(`http://h/x${q}`);
      expect([q, queryValue(url, "wait")]).toEqual([q, url.searchParams.get("wait")]);
    }
  });

  test("agrees with searchParams on random queries over the characters that matter", () => {
    const parts = ["w", "a", "i", "t", "wait", "=", "&", "1", "%", "+", "%41", "%7", "#"];
    let seed = 7;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let i = 0; i < 20_000; i++) {
      let q = "?";
      for (let j = next(10); j > 0; j--) q += parts[next(parts.length)];
      const url = new URL(`http://h/x${q}`);
      expect([q, queryValue(url, "wait")]).toEqual([q, url.searchParams.get("wait")]);
    }
  });
});
