import { describe, expect, test } from "bun:test";
import { PREFETCH_MAX_EXTRA, PREFETCH_SPAN_MS, Prefetch, quickEnd } from "../../src/domain/prefetch.ts";

describe("Prefetch", () => {
  test("room beyond the slots is what finished within the span, capped at PREFETCH_MAX_EXTRA times the slots", () => {
    const p = new Prefetch();
    const t = 1_700_000_000_000;
    expect(p.extra(256, t)).toBe(0);
    p.finished(100, t);
    expect(p.extra(256, t + 1)).toBe(100);
    p.finished(5_000, t + 2);
    expect(p.extra(256, t + 2)).toBe(256 * PREFETCH_MAX_EXTRA);
    expect(p.extra(256, t + 2 + PREFETCH_SPAN_MS)).toBe(0);
  });

  test("a quick job ran to an end within the span of its hand-out; lost, handed-back and long ones say nothing of the pace", () => {
    expect(quickEnd("returned", 1000, 1000 + PREFETCH_SPAN_MS - 1)).toBe(true);
    expect(quickEnd("threw", 1000, 1001)).toBe(true);
    expect(quickEnd("timeout", 1000, 1001)).toBe(true);
    expect(quickEnd("returned", 1000, 1000 + PREFETCH_SPAN_MS)).toBe(false);
    expect(quickEnd("lost", 1000, 1001)).toBe(false);
    expect(quickEnd("handed-back", 1000, 1001)).toBe(false);
  });
});
