import { describe, expect, test } from "bun:test";
import { CodeBook } from "../../src/adapters/remote/code-book.ts";

describe("CodeBook", () => {
  test("the dispatcher's side sends a function's code once, and again when the code changed", () => {
    const sent = new CodeBook(10);
    expect(sent.mustSend("f1", "() => 1")).toBe(true);
    expect(sent.mustSend("f1", "() => 1")).toBe(false);
    expect(sent.mustSend("f2", "() => 2")).toBe(true);
    expect(sent.mustSend("f1", "() => 3")).toBe(true);
    expect(sent.mustSend("f1", "() => 3")).toBe(false);
  });

  test("the worker's side gives a job's code as it came or as remembered, undefined for a function it was never sent", () => {
    const kept = new CodeBook(10);
    expect(kept.codeFor("f1", undefined)).toBeUndefined();
    expect(kept.codeFor("f1", "() => 1")).toBe("() => 1");
    expect(kept.codeFor("f1", undefined)).toBe("() => 1");
  });

  test("two books of one size fed the same jobs in the same order never disagree, however many functions pass a small book", () => {
    const sent = new CodeBook(3);
    const kept = new CodeBook(3);
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
    let left = 0;
    for (let i = 0; i < 2000; i++) {
      const fid = `f${next() % 7}`;
      const code = `() => "${fid} v${next() % 2}"`; // now and then a function's code changes
      const carried = sent.mustSend(fid, code) ? code : undefined;
      if (carried === undefined) left++;
      expect(kept.codeFor(fid, carried)).toBe(code);
    }
    expect(left).toBeGreaterThan(100); // the book does save sending code
  });

  test("refuses a size that cannot hold a function", () => {
    expect(() => new CodeBook(0)).toThrow("at least 1 function, got 0");
  });
});
