/**
 * The pure parts of `npm run evaluate` (scripts/evaluate/): the SVG charts (parsed back and their
 * points checked), percentiles and the CDF, the floor checks, scaling efficiencies, the
 * uneven mix, options and plain progress lines. Fixed inputs only; nothing here measures speed.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { checkFloors, type HeadlineFigures } from "../../scripts/evaluate/floors.ts";
import { parseCpuinfo } from "../../scripts/evaluate/machine.ts";
import { parseOptions } from "../../scripts/evaluate/options.ts";
import { Progress } from "../../scripts/evaluate/progress.ts";
import { thin } from "../../scripts/evaluate/recovery.ts";
import { efficiencies } from "../../scripts/evaluate/scaling.ts";
import { cdf, median, percentile, summarize } from "../../scripts/evaluate/stats.ts";
import { barChart, escapeXml, lineChart, logTicks, niceTicks } from "../../scripts/evaluate/svg.ts";
import { loads, unevenMix } from "../../scripts/evaluate/uneven.ts";

setDefaultTimeout(10_000);

interface Element {
  readonly name: string;
  readonly attrs: Record<string, string>;
  text: string;
}

/** A strict little XML reader: throws on unbalanced tags, unquoted attributes or a bare & or <. */
function parseXml(xml: string): Element[] {
  const elements: Element[] = [];
  const open: Element[] = [];
  const tokens = xml.trim().split(/(<[^>]*>)/).filter((t) => t !== "");
  for (const token of tokens) {
    if (!token.startsWith("<")) {
      if (/<|&(?!(amp|lt|gt|quot|apos);)/.test(token)) throw new Error(`bad text: ${token}`);
      if (open.length === 0) {
        if (token.trim() !== "") throw new Error(`text outside the root: ${token}`);
        continue;
      }
      (open.at(-1) as Element).text += token;
      continue;
    }
    if (token.startsWith("</")) {
      const name = token.slice(2, -1).trim();
      const top = open.pop();
      if (top?.name !== name) throw new Error(`</${name}> closes <${top?.name}>`);
      continue;
    }
    const m = /^<([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>$/.exec(token);
    if (m === null) throw new Error(`malformed tag: ${token}`);
    if (open.length === 0 && elements.length > 0) throw new Error("a second root element");
    const attrs: Record<string, string> = {};
    for (const a of (m[2] as string).matchAll(/([\w:-]+)="([^"]*)"/g)) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(a[2] as string)) throw new Error(`bad attribute value: ${a[2]}`);
      attrs[a[1] as string] = a[2] as string;
    }
    const el: Element = { name: m[1] as string, attrs, text: "" };
    elements.push(el);
    if (m[3] !== "/") open.push(el);
  }
  if (open.length > 0) throw new Error(`unclosed <${open.map((e) => e.name).join("> <")}>`);
  return elements;
}

/** The points of a path's `d` ("M x y L x y ..."). */
function pathPoints(d: string): [number, number][] {
  return [...d.matchAll(/[ML]([\d.-]+) ([\d.-]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

describe("percentiles and CDF", () => {
  test("percentile uses the nearest rank", () => {
    const xs = [15, 20, 35, 40, 50];
    expect(percentile(xs, 30)).toBe(20);
    expect(percentile(xs, 40)).toBe(20);
    expect(percentile(xs, 50)).toBe(35);
    expect(percentile(xs, 100)).toBe(50);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99)).toBe(99);
    expect(() => percentile([], 50)).toThrow("at least one sample");
    expect(() => percentile([1], 0)).toThrow("(0, 100]");
  });

  test("summarize gives n, mean, p50, p95, p99 and max", () => {
    const xs = Array.from({ length: 200 }, (_, i) => 200 - i); // 200 .. 1, unsorted input
    expect(summarize(xs)).toEqual({ n: 200, mean: 100.5, p50: 100, p95: 190, p99: 198, max: 200 });
  });

  test("the CDF is monotone, ends at 1 and merges equal values", () => {
    expect(cdf([3, 1, 2, 2])).toEqual([
      { value: 1, fraction: 0.25 },
      { value: 2, fraction: 0.75 },
      { value: 3, fraction: 1 },
    ]);
    const big = cdf(Array.from({ length: 10_000 }, (_, i) => i), 50);
    expect(big).toHaveLength(50);
    expect(big[0]).toEqual({ value: 0, fraction: 1 / 10_000 });
    expect(big.at(-1)).toEqual({ value: 9999, fraction: 1 });
    for (let i = 1; i < big.length; i++) expect((big[i] as { fraction: number }).fraction).toBeGreaterThan((big[i - 1] as { fraction: number }).fraction);
    expect(cdf([])).toEqual([]);
  });

  test("median of odd and even counts", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe("floors", () => {
  const bull = { throughput: 10_000, p50: 1 };
  const fig = (mode: HeadlineFigures["mode"], isolation: HeadlineFigures["isolation"], throughput: number, p50: number): HeadlineFigures => ({ mode, isolation, throughput, p50 });

  test("Redis modes need 2x BullMQ's throughput and a p50 no higher than its", () => {
    const checks = checkFloors([fig("redis-push", "thread", 20_000, 1), fig("redis-pull", "thread", 19_999, 1.01)], bull);
    const verdict = (mode: string, figure: string) => checks.find((c) => c.mode === mode && c.figure === figure)?.met;
    expect(verdict("redis-push", "throughput vs BullMQ")).toBe(true);
    expect(verdict("redis-push", "p50 vs BullMQ")).toBe(true);
    expect(verdict("redis-pull", "throughput vs BullMQ")).toBe(false);
    expect(verdict("redis-pull", "p50 vs BullMQ")).toBe(false);
    expect(checks.find((c) => c.mode === "redis-pull" && c.figure === "throughput vs BullMQ")?.value).toBeCloseTo(1.9999, 4);
  });

  test("embedded needs 10x and under a quarter", () => {
    const met = checkFloors([fig("embedded", "thread", 100_000, 0.24)], bull);
    expect(met.map((c) => c.met)).toEqual([true, true]);
    const missed = checkFloors([fig("embedded", "thread", 99_000, 0.25)], bull);
    expect(missed.map((c) => c.met)).toEqual([false, false]);
    expect(missed.map((c) => c.floor)).toEqual([">= 10x", "< 0.25x"]);
  });

  test("sandbox within 1.5x of thread, both figures; BullMQ floors only on the thread series", () => {
    const checks = checkFloors([fig("redis-local", "thread", 30_000, 0.5), fig("redis-local", "sandbox", 20_000, 0.8)], bull);
    expect(checks.map((c) => [c.figure, c.met])).toEqual([
      ["throughput vs BullMQ", true],
      ["p50 vs BullMQ", true],
      ["thread/sandbox throughput", true],
      ["sandbox/thread p50", false],
    ]);
    expect(checkFloors([fig("redis-local", "sandbox", 1, 1)], bull)).toEqual([]);
    expect(checkFloors([fig("redis-local", "thread", 1, 1)], undefined)).toEqual([]);
  });
});

describe("SVG charts", () => {
  test("a line chart is valid SVG with one path per series through its points", () => {
    const svg = lineChart({
      title: "latency <CDF> & more",
      xLabel: "ms",
      yLabel: "fraction",
      xMin: 0,
      xMax: 10,
      yMin: 0,
      yMax: 1,
      width: 600,
      height: 400,
      series: [
        { name: "ours", points: [{ x: 0, y: 0 }, { x: 5, y: 0.5 }, { x: 10, y: 1 }] },
        { name: "BullMQ & co", dashed: true, points: [{ x: 2, y: 0.2 }, { x: 8, y: 0.9 }] },
      ],
      markers: [{ x: 5, label: "kill" }],
    });
    const els = parseXml(svg);
    expect(els[0]?.name).toBe("svg");
    expect(els.some((e) => e.name === "text" && e.text === "latency &lt;CDF&gt; &amp; more")).toBe(true);
    const paths = els.filter((e) => e.name === "path" && e.attrs.class === "series");
    expect(paths.map((p) => p.attrs["data-series"])).toEqual(["ours", "BullMQ &amp; co"]);
    const ours = pathPoints(paths[0]?.attrs.d ?? "");
    // plot area: x 70..580 (600 wide, margins 70 and 20), y 350 (bottom) .. 36 (top)
    expect(ours).toEqual([[70, 350], [325, 193], [580, 36]]);
    expect(paths[1]?.attrs["stroke-dasharray"]).toBe("6 4");
    expect(pathPoints(paths[1]?.attrs.d ?? "")).toEqual([[172, 287.2], [478, 67.4]]);
    expect(els.filter((e) => e.name === "line" && e.attrs.class === "marker").map((e) => e.attrs.x1)).toEqual(["325"]);
  });

  test("a log x axis spaces decades evenly and skips points it cannot show", () => {
    const svg = lineChart({ title: "t", xLabel: "x", yLabel: "y", xLog: true, yMin: 0, yMax: 3, width: 600, height: 400, series: [{ name: "s", points: [{ x: 0, y: 0 }, { x: 1, y: 1 }, { x: 10, y: 2 }, { x: 100, y: 3 }] }] });
    const pts = pathPoints(parseXml(svg).find((e) => e.name === "path")?.attrs.d ?? "");
    expect(pts.map(([x]) => x)).toEqual([70, 325, 580]);
    expect(logTicks(0.3, 20)).toEqual([0.5, 1, 2, 5, 10, 20]);
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 110_000, 5)).toEqual([0, 25_000, 50_000, 75_000, 100_000]);
  });

  test("a bar chart has one bar per finite value, as tall as its value", () => {
    const svg = barChart({
      title: "throughput",
      yLabel: "tasks/s",
      seriesNames: ["thread", "sandbox"],
      groups: [{ label: "embedded", values: [100, 50] }, { label: "redis-push", values: [20, Number.NaN] }],
      reference: { y: 10, label: "BullMQ" },
      height: 400,
    });
    const bars = parseXml(svg).filter((e) => e.name === "rect" && e.attrs.class === "bar");
    expect(bars.map((b) => [b.attrs["data-group"], b.attrs["data-series"], b.attrs["data-value"]])).toEqual([
      ["embedded", "thread", "100"],
      ["embedded", "sandbox", "50"],
      ["redis-push", "thread", "20"],
    ]);
    const heights = bars.map((b) => Number(b.attrs.height));
    expect(heights[0] as number).toBeCloseTo(2 * (heights[1] as number), 1);
    expect(heights[0] as number).toBeCloseTo(5 * (heights[2] as number), 1);
    for (const b of bars) expect(Number(b.attrs.y) + Number(b.attrs.height)).toBeCloseTo(350, 1);
    expect(parseXml(svg).filter((e) => e.attrs.class === "reference")).toHaveLength(1);
  });

  test("escapeXml", () => {
    expect(escapeXml(`a < b & "c" > d`)).toBe("a &lt; b &amp; &quot;c&quot; &gt; d");
  });
});

describe("section helpers", () => {
  test("weak and strong scaling efficiency against one executor", () => {
    const points = [{ executors: 1, ms: 100 }, { executors: 2, ms: 125 }, { executors: 4, ms: 200 }];
    expect(efficiencies(points, "weak")).toEqual([1, 0.8, 0.5]);
    expect(efficiencies(points, "strong")).toEqual([1, 0.4, 0.125]);
  });

  test("the uneven mix has the asked share of long tasks, in an order set by the seed", () => {
    const mix = unevenMix(1000, 10, 500, 0.1, 7);
    expect(mix.filter((m) => m === 500)).toHaveLength(100);
    expect(mix).toEqual(unevenMix(1000, 10, 500, 0.1, 7));
    expect(mix.slice(0, 100).filter((m) => m === 500).length).toBeLessThan(100);
  });

  test("per-worker loads from [pid, finished-at] results", () => {
    const names = new Map([[11, "worker 1"], [22, "worker 2"]]);
    expect(loads([[11, 1010], [22, 1500], [11, 1200]], [10, 500, 10], names, 1000)).toEqual([
      { worker: "worker 1", tasks: 2, busyMs: 20, lastMs: 200 },
      { worker: "worker 2", tasks: 1, busyMs: 500, lastMs: 500 },
    ]);
  });

  test("thin keeps evenly spaced items and the last", () => {
    expect(thin([1, 2, 3, 4, 5], 3)).toEqual([1, 3, 5]);
    expect(thin([1, 2], 3)).toEqual([1, 2]);
  });

  test("options: quick sizes, --only, size flags, and errors that say what was expected", () => {
    const quick = parseOptions(["--quick", "--only", "scaling,uneven", "--tasks=500"]);
    expect(quick.sections).toEqual(["scaling", "uneven"]);
    expect(quick.sizes.tasks).toBe(500);
    expect(quick.sizes.rounds).toBe(1);
    expect(quick.full).toBe(false);
    expect(quick.out).toBe(".evaluation");
    const full = parseOptions([]);
    expect(full.full).toBe(true);
    expect(full.out).toBe("docs/evaluation");
    expect(() => parseOptions(["--only", "speed"])).toThrow('--only must be among modes, scaling, uneven, recovery, got "speed"');
    expect(() => parseOptions(["--tasks", "-3"])).toThrow('--tasks must be a positive number, got "-3"');
    expect(() => parseOptions(["--fast"])).toThrow("unknown flag --fast");
    expect(parseOptions(["--from", "docs/evaluation/results.json"])).toMatchObject({ from: "docs/evaluation/results.json", out: "docs/evaluation" });
  });

  test("cpuinfo: model and logical cores", () => {
    expect(parseCpuinfo("processor\t: 0\nmodel name\t: Some CPU\n\nprocessor\t: 1\nmodel name\t: Some CPU\n")).toEqual({ model: "Some CPU", cores: 2 });
  });

  test("progress without a terminal prints one plain line per step", () => {
    const out: string[] = [];
    const p = new Progress(2, { isTTY: false, write: (t: string) => out.push(t) });
    p.step("first");
    p.update(5, 10);
    p.note("a figure");
    p.step("second");
    p.finish();
    expect(out.join("")).toMatch(/^\[1\/2 0:00\] first\n {2}a figure\n\[2\/2 0:00\] second\nevaluation finished: 2 steps in 0:00\n$/);
  });
});
