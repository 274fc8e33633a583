/**
 * The pure parts of `npm run evaluate` (scripts/evaluate/): the SVG charts (parsed back and their
 * points checked), percentiles and the CDF, the floor checks (retained tasks too), scaling
 * efficiencies, the uneven mix, options (the CURVE modes too), plain progress lines, the report's
 * rendering (with and without the retained section and the CURVE modes) and the plots, and how idle
 * CPUs wait (read from a fake sysfs; the CPU latency request written to a plain file). Fixed inputs
 * only; nothing here measures speed.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { baselineOf, checkFloors, checkRetainedFloors, type HeadlineFigures, MODES, seriesOf } from "../../scripts/evaluate/floors.ts";
import { holdCpuLatency, idleText } from "../../scripts/evaluate/cpu-idle.ts";
import { cpuIdle, parseCpuinfo } from "../../scripts/evaluate/machine.ts";
import { measuredTasks, type ModeResult, type ModesSection, modeSteps } from "../../scripts/evaluate/modes.ts";
import { HELP, parseOptions } from "../../scripts/evaluate/options.ts";
import { plots } from "../../scripts/evaluate/plots.ts";
import { Progress } from "../../scripts/evaluate/progress.ts";
import { thin } from "../../scripts/evaluate/recovery.ts";
import { measurePace } from "../../scripts/evaluate/pace.ts";
import { type Evaluation, allFloors, doublingNote, renderReport } from "../../scripts/evaluate/report.ts";
import { parseMemoryInfo, type RetainedSection } from "../../scripts/evaluate/retained.ts";
import { efficiencies } from "../../scripts/evaluate/scaling.ts";
import { blockPercentiles, cdf, measurementNoise, median, percentile, spread, summarize } from "../../scripts/evaluate/stats.ts";
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

  test("push and pull over CURVE have the Redis modes' floors: 2x BullMQ's throughput, p50 no higher", () => {
    const checks = checkFloors([fig("redis-push-curve", "thread", 20_000, 1), fig("redis-pull-curve", "thread", 15_000, 1.2)], bull);
    expect(checks.map((c) => [c.mode, c.figure, c.floor, c.met])).toEqual([
      ["redis-push-curve", "throughput vs BullMQ", ">= 2x", true],
      ["redis-push-curve", "p50 vs BullMQ", "<= 1x", true],
      ["redis-pull-curve", "throughput vs BullMQ", ">= 2x", false],
      ["redis-pull-curve", "p50 vs BullMQ", "<= 1x", false],
    ]);
    expect(checks.map((c) => c.value)).toEqual([2, 1, 1.5, 1.2]);
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

  test("a series is judged against BullMQ as measured beside it, the run's figure only where it has none", () => {
    const beside = { throughput: 8_000, p50: 1.25 };
    const checks = checkFloors([{ ...fig("redis-push", "thread", 18_000, 1.2), bullmq: beside }, fig("redis-pull", "thread", 18_000, 1.2)], bull);
    const value = (mode: string, figure: string) => checks.find((c) => c.mode === mode && c.figure === figure);
    // beside it: 18,000 / 8,000 = 2.25x and 1.2 / 1.25 = 0.96x, both met; against the run's 10,000 jobs/s and 1 ms: 1.8x and 1.2x
    expect([value("redis-push", "throughput vs BullMQ")?.value, value("redis-push", "throughput vs BullMQ")?.met]).toEqual([2.25, true]);
    expect(value("redis-push", "p50 vs BullMQ")?.met).toBe(true);
    expect(value("redis-pull", "throughput vs BullMQ")?.value).toBe(1.8);
    expect(value("redis-pull", "p50 vs BullMQ")?.met).toBe(false);
    expect(checkFloors([{ ...fig("redis-local", "thread", 30_000, 0.5), bullmq: beside }], undefined).map((c) => c.met)).toEqual([true, true]);
  });

  test("a BullMQ verdict no further from its line than the series' noise says so, met or not", () => {
    const noise = { throughput: 0.05, p50: 0.04 };
    const checks = checkFloors([{ ...fig("redis-push", "thread", 19_500, 1.03), noise }, { ...fig("redis-pull", "thread", 18_000, 0.9), noise }, { ...fig("embedded", "thread", 104_000, 0.3), noise }], bull);
    const note = (mode: string, figure: string) => checks.find((c) => c.mode === mode && c.figure === figure)?.note;
    expect(note("redis-push", "throughput vs BullMQ")).toBe("within the run-to-run noise (±5%)"); // 1.95x: 2.5% under the line
    expect(note("redis-push", "p50 vs BullMQ")).toBe("within the run-to-run noise (±4%)"); // 1.03x: 3% over it
    expect(note("redis-pull", "throughput vs BullMQ")).toBeUndefined(); // 1.8x: 10% under
    expect(note("redis-pull", "p50 vs BullMQ")).toBeUndefined(); // 0.9x: met by 10%
    expect(note("embedded", "throughput vs BullMQ")).toBe("within the run-to-run noise (±5%)"); // 10.4x against 10x: met, 4% over
    expect(note("embedded", "p50 vs BullMQ")).toBeUndefined(); // 0.3x against 0.25x: 20% over
    expect(checkFloors([fig("redis-push", "thread", 19_500, 1.03)], bull).every((c) => c.note === undefined)).toBe(true);
  });

  test("a p50 verdict says what the bare hops alone take, and when they already miss the floor", () => {
    const noise = { throughput: 0.05, p50: 0.04 };
    const checks = checkFloors(
      [
        { ...fig("embedded", "thread", 120_000, 0.43), bareP50: 0.32 }, // the bare hops alone over a quarter
        { ...fig("redis-local", "thread", 22_000, 1.25), bareP50: 0.54 },
        { ...fig("redis-push", "thread", 20_500, 1.03), bareP50: 1.05, noise }, // over the line by themselves, and near it
      ],
      bull,
    );
    const p50 = (mode: string) => checks.find((c) => c.mode === mode && c.figure === "p50 vs BullMQ");
    expect(p50("embedded")).toMatchObject({ met: false, note: "the bare hops alone 0.32x: out of reach for these processes on this machine" });
    expect(p50("redis-local")).toMatchObject({ met: false, note: "the bare hops alone 0.54x" });
    expect(p50("redis-push")?.note).toBe("within the run-to-run noise (±4%); the bare hops alone 1.05x: out of reach for these processes on this machine");
    // against BullMQ beside the series, not the overall figure
    const beside = checkFloors([{ ...fig("redis-local", "thread", 22_000, 1), bareP50: 0.6, bullmq: { throughput: 10_000, p50: 0.5 } }], bull);
    expect(beside.find((c) => c.figure === "p50 vs BullMQ")?.note).toBe("the bare hops alone 1.20x: out of reach for these processes on this machine");
    // the throughput verdicts get no such note
    expect(checks.filter((c) => c.figure === "throughput vs BullMQ").map((c) => c.note)).toEqual([undefined, undefined, "within the run-to-run noise (±5%)"]);
  });

  test("BullMQ beside a series: the median of its sessions' rounds and the p50 of their samples together", () => {
    const before = { rounds: [12_000, 14_000, 13_000], samples: [0.4, 0.9, 0.5] };
    const after = { rounds: [16_000, 15_000], samples: [0.6, 0.7, 0.45] };
    expect(baselineOf({ rounds: [...before.rounds, ...after.rounds], samples: [...before.samples, ...after.samples] })).toEqual({ throughput: 14_000, p50: 0.5 });
    expect(baselineOf(before)).toEqual({ throughput: 13_000, p50: 0.5 });
    expect(() => baselineOf({ rounds: [], samples: [] })).toThrow("median needs at least one value");
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
    // one at a time, ours and BullMQ warm up 10,000 tasks before the measured ones; a flag sets it
    expect(full.sizes.serialWarmup).toBe(10_000);
    expect(parseOptions(["--serial-warmup", "500"]).sizes.serialWarmup).toBe(500);
    expect(parseOptions(["--serial-warmup", "500"]).full).toBe(false);
    expect(() => parseOptions(["--only", "speed"])).toThrow('--only must be among modes, scaling, uneven, recovery, retained, got "speed"');
    expect(() => parseOptions(["--tasks", "-3"])).toThrow('--tasks must be a positive number, got "-3"');
    expect(() => parseOptions(["--fast"])).toThrow("unknown flag --fast");
    expect(parseOptions(["--from", "docs/evaluation/results.json"])).toMatchObject({ from: "docs/evaluation/results.json", out: "docs/evaluation" });
  });

  test("options: the CURVE modes by name, in the default run's thread series only", () => {
    const curve = parseOptions(["--only", "modes", "--modes", "redis-push-curve,redis-pull-curve", "--isolations", "thread"]);
    expect(curve.modes).toEqual(["redis-push-curve", "redis-pull-curve"]);
    expect(modeSteps(curve)).toBe(2 * 2 + 3 + 2); // each series 2 steps, BullMQ before the first and after each, the bare hops after each thread series
    const full = parseOptions([]);
    expect(full.modes).toEqual(["embedded", "redis-local", "redis-push", "redis-pull", "redis-push-curve", "redis-pull-curve"]);
    expect(full.full).toBe(true);
    // 4 modes x 2 series and 2 CURVE modes x thread, 2 steps each; BullMQ before the first and after each; the bare hops after the 6 thread series
    expect(modeSteps(full)).toBe(2 * (4 * 2 + 2) + (4 * 2 + 2 + 1) + 6);
    expect(seriesOf("redis-pull-curve", ["thread", "sandbox"])).toEqual(["thread"]);
    expect(seriesOf("redis-pull-curve", ["sandbox"])).toEqual([]);
    expect(seriesOf("redis-pull", ["thread", "sandbox"])).toEqual(["thread", "sandbox"]);
    expect(modeSteps(parseOptions(["--modes", "redis-push,redis-push-curve", "--isolations", "sandbox"]))).toBe(2 + 2);
    expect(() => parseOptions(["--modes", "redis-curve"])).toThrow(`--modes must be among ${MODES.join(", ")}, got "redis-curve"`);
    expect(HELP).toContain("redis-push-curve, redis-pull-curve");
  });

  test("options: --retained, its full and quick defaults, and --help", () => {
    expect(parseOptions([]).sizes.retained).toBe(1_000_000);
    expect(parseOptions([]).sections).toContain("retained");
    expect(parseOptions(["--quick"]).sizes.retained).toBe(20_000);
    const o = parseOptions(["--only", "retained", "--retained", "200000"]);
    expect(o.sections).toEqual(["retained"]);
    expect(o.sizes.retained).toBe(200_000);
    expect(o.full).toBe(false);
    expect(() => parseOptions(["--retained", "0"])).toThrow('--retained must be a positive number, got "0"');
    expect(HELP).toContain("--retained <n>");
  });

  test("options: --idle-poll, and the full run's own folder for it", () => {
    expect(parseOptions([]).idlePoll).toBe(false);
    const full = parseOptions(["--idle-poll"]);
    expect(full).toMatchObject({ idlePoll: true, full: true, out: "docs/evaluation/idle-poll" });
    expect(parseOptions(["--idle-poll", "--quick"])).toMatchObject({ idlePoll: true, out: ".evaluation" });
    expect(parseOptions(["--idle-poll", "--out", "/tmp/x"]).out).toBe("/tmp/x");
    expect(HELP).toContain("--idle-poll");
  });

  test("options: --redis-nice, checked, and the full run's own folder for it (with --idle-poll too)", () => {
    expect(parseOptions([]).redisNice).toBeUndefined();
    expect(parseOptions(["--redis-nice", "-10"])).toMatchObject({ redisNice: -10, full: true, out: "docs/evaluation/redis-nice" });
    expect(parseOptions(["--redis-nice=5", "--idle-poll"])).toMatchObject({ redisNice: 5, idlePoll: true, full: true, out: "docs/evaluation/idle-poll-redis-nice" });
    expect(parseOptions(["--redis-nice", "-10", "--quick"])).toMatchObject({ redisNice: -10, full: false, out: ".evaluation" });
    for (const bad of ["-21", "20", "1.5", "x"]) expect(() => parseOptions(["--redis-nice", bad])).toThrow(`--redis-nice must be a whole number from -20 to 19, got "${bad}"`);
    expect(HELP).toContain("--redis-nice <n>");
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

describe("idle CPUs", () => {
  const temp = (): string => mkdtempSync(join(tmpdir(), "bunfaas-idle-"));

  test("the cpuidle driver, governor and haltpoll's polling time come from sysfs; what is missing is unknown", () => {
    const sys = temp();
    try {
      expect(cpuIdle(sys)).toEqual({ driver: "unknown", governor: "unknown" });
      mkdirSync(join(sys, "devices/system/cpu/cpuidle"), { recursive: true });
      mkdirSync(join(sys, "module/haltpoll/parameters"), { recursive: true });
      writeFileSync(join(sys, "devices/system/cpu/cpuidle/current_driver"), "haltpoll\n");
      writeFileSync(join(sys, "devices/system/cpu/cpuidle/current_governor_ro"), "haltpoll\n");
      writeFileSync(join(sys, "module/haltpoll/parameters/guest_halt_poll_ns"), "0\n");
      expect(cpuIdle(sys)).toEqual({ driver: "haltpoll", governor: "haltpoll", haltPollNs: 0 });
    } finally {
      rmSync(sys, { recursive: true, force: true });
    }
  });

  test("a CPU latency request is the number as 4 bytes, held until released; an unwritable device says why", () => {
    const dir = temp();
    try {
      const device = join(dir, "cpu_dma_latency");
      writeFileSync(device, "");
      const hold = holdCpuLatency(0, device);
      expect([...readFileSync(device)]).toEqual([0, 0, 0, 0]);
      hold.release();
      hold.release();
      holdCpuLatency(300, device).release();
      expect(readFileSync(device).readInt32LE(0)).toBe(300);
      expect(() => holdCpuLatency(0, join(dir, "missing", "device"))).toThrow(`cannot hold a CPU latency request on ${join(dir, "missing", "device")} (ENOENT): it needs root or write access to that device`);
      expect(() => holdCpuLatency(-1, device)).toThrow("a CPU latency request is a whole number of microseconds, got -1");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the report's line says how idle CPUs waited and whether the run made them poll", () => {
    const idle = { driver: "haltpoll", governor: "haltpoll", haltPollNs: 0 };
    expect(idleText(idle, false)).toBe("haltpoll driver, haltpoll governor, guest halt polling 0 ns; idle CPUs as the machine has them (no CPU latency request held)");
    expect(idleText({ driver: "intel_idle", governor: "menu" }, true)).toStartWith("intel_idle driver, menu governor; idle CPUs polling: a CPU latency request of 0 us held on /dev/cpu_dma_latency for the whole run (--idle-poll), BullMQ's rounds included");
  });
});

describe("retained tasks", () => {
  const fresh = { throughput: 20_000, p50: 1 };
  const noise = { throughput: 0.05, p50: 0.05 };

  test("throughput must stay at 0.9x fresh or more, p50 at 1.1x or less", () => {
    const met = checkRetainedFloors({ retained: 1_000_000, fresh, filled: { throughput: 18_000, p50: 1.1 }, noise });
    expect(met.map((c) => [c.mode, c.figure, c.floor, c.met])).toEqual([
      ["redis-local", "throughput with 1,000,000 retained vs fresh", ">= 0.9x", true],
      ["redis-local", "p50 with 1,000,000 retained vs fresh", "<= 1.1x", true],
    ]);
    expect(met.map((c) => c.value)).toEqual([0.9, 1.1]);
    const missed = checkRetainedFloors({ retained: 1_000_000, fresh, filled: { throughput: 17_999, p50: 1.11 }, noise });
    expect(missed.map((c) => c.met)).toEqual([false, false]);
  });

  test("a ratio within the run-to-run noise says so, met or not; one outside it does not", () => {
    const within = checkRetainedFloors({ retained: 20_000, fresh, filled: { throughput: 17_000, p50: 1.04 }, noise: { throughput: 0.2, p50: 0.05 } });
    expect(within.map((c) => [c.met, c.note])).toEqual([
      [false, "within the run-to-run noise (±20%)"],
      [true, "within the run-to-run noise (±5%)"],
    ]);
    const outside = checkRetainedFloors({ retained: 20_000, fresh, filled: { throughput: 17_000, p50: 1.06 }, noise: { throughput: 0.1, p50: 0.05 } });
    expect(outside.map((c) => c.note)).toEqual([undefined, undefined]);
  });

  test("noise: spread of rounds and of the p50s of fifths of the samples", () => {
    expect(spread([90, 100, 105])).toBeCloseTo(0.1, 10);
    expect(spread([7])).toBe(0);
    expect(blockPercentiles([1, 2, 3, 10, 20, 30], 2, 50)).toEqual([2, 20]);
    expect(blockPercentiles([1, 2, 3, 4, 5, 6, 7], 3, 100)).toEqual([2, 4, 7]);
    expect(() => blockPercentiles([1], 2, 50)).toThrow("at least 2 samples");
    const flat = Array.from({ length: 50 }, () => 1);
    const slowEnd = [...Array.from({ length: 40 }, () => 1), ...Array.from({ length: 10 }, () => 1.5)];
    const noise = measurementNoise({ rounds: [100, 120, 110], samples: flat }, { rounds: [100], samples: slowEnd });
    expect(noise.throughput).toBeCloseTo(10 / 110, 10);
    expect(noise.p50).toBe(0.5);
  });

  test("the tasks one measurement runs: warm-up in batches and one at a time, rounds, samples", () => {
    expect(measuredTasks({ warmup: 30_000, serialWarmup: 10_000, tasks: 30_000, rounds: 5, serial: 3_000 })).toBe(193_000);
    expect(measuredTasks({ warmup: 5, serialWarmup: 3, tasks: 10, rounds: 2, serial: 1 })).toBe(29);
  });

  test("INFO memory: used_memory and used_memory_human", () => {
    expect(parseMemoryInfo("# Memory\r\nused_memory:734003200\r\nused_memory_human:700.00M\r\nused_memory_rss:1\r\n")).toEqual({ usedMemory: 734_003_200, usedMemoryHuman: "700.00M" });
    expect(() => parseMemoryInfo("# Memory\r\n")).toThrow("no used_memory field");
  });
});

describe("report", () => {
  const latency = { n: 100, mean: 1, p50: 0.8, p95: 2, p99: 4, max: 9 };
  const base: Evaluation = {
    date: "2026-11-26T12:00:00.000Z",
    command: "npm run evaluate",
    durationS: 60,
    machine: { cpuModel: "Some CPU", cores: 2, memoryGiB: 8, os: "Linux", bun: "1.4.5", node: "20", redis: "7.0.15", bullmq: "6.7.0" },
    loadBefore: [1, 1, 1],
    loadAfter: [2, 2, 2],
  };
  const modes: ModesSection = {
    sizes: { tasks: 30_000, rounds: 5, serial: 3_000, warmup: 3_000 },
    results: [{ mode: "redis-local", isolation: "thread", setup: "redis-server, ...", rounds: [21_000], throughput: 21_000, latency, cdf: [], samples: [] }],
    floors: checkFloors([{ mode: "redis-local", isolation: "thread", throughput: 21_000, p50: 0.8 }], { throughput: 10_000, p50: 0.5 }),
  };
  const phase = (retainedBefore: number, throughput: number, p50: number): RetainedSection["fresh"] => ({ retainedBefore, rounds: [throughput * 0.95, throughput, throughput * 1.05], throughput, latency: { ...latency, p50 }, samples: [] });
  const retained: RetainedSection = {
    sizes: { tasks: 30_000, rounds: 3, serial: 3_000, warmup: 3_000, retained: 1_000_000 },
    setup: "redis-server, bun run api, bun run dispatcher --mode local --workers 2 --isolation thread",
    fresh: phase(0, 20_000, 0.8),
    fill: { tasks: 843_700, ms: 60_000, slices: [{ retainedAfter: 206_300, tasksPerS: 15_000 }, { retainedAfter: 1_000_000, tasksPerS: 14_000 }] },
    footprint: {
      fresh: { usedMemory: 1, usedMemoryHuman: "110.00M", keys: 156_313 },
      filled: { usedMemory: 2, usedMemoryHuman: "700.00M", keys: 1_000_013 },
      end: { usedMemory: 3, usedMemoryHuman: "800.00M", keys: 1_156_313 },
    },
    retention: { ttlAfterFillS: 86_400, oldestLeftAtEndS: 86_300 },
    filled: phase(1_000_000, 19_000, 0.84),
    ratios: { throughput: 0.95, p50: 1.05, p95: 1, p99: 1 },
    noise: { throughput: 0.06, p50: 0.02 },
    floors: checkRetainedFloors({ retained: 1_000_000, fresh: { throughput: 20_000, p50: 0.8 }, filled: { throughput: 19_000, p50: 0.84 }, noise: { throughput: 0.06, p50: 0.02 } }),
  };

  const result = (mode: ModeResult["mode"], isolation: ModeResult["isolation"], throughput: number, p50: number): ModeResult => ({
    mode, isolation, setup: `${mode} setup (--isolation ${isolation})`, rounds: [throughput], throughput, latency: { ...latency, p50 }, cdf: [{ value: p50, fraction: 1 }], samples: [],
  });

  test("the CURVE modes get table rows, floor rows and a sentence on how they run; the plots show their thread bars", () => {
    const bull = { throughput: 10_000, p50: 1 };
    const results = [result("redis-push", "thread", 15_000, 0.9), result("redis-push", "sandbox", 14_000, 1), result("redis-push-curve", "thread", 21_000, 0.8), result("redis-pull-curve", "thread", 12_000, 1.3)];
    const section: ModesSection = {
      sizes: modes.sizes,
      results: results.map((r) => ({ ...r, vsBullmq: { throughput: r.throughput / bull.throughput, p50: r.latency.p50 / bull.p50 } })),
      floors: checkFloors(results.map((r) => ({ mode: r.mode, isolation: r.isolation, throughput: r.throughput, p50: r.latency.p50 })), bull),
    };
    const md = renderReport({ ...base, modes: section });
    expect(md).toContain("| redis-push-curve | thread | 21,000 | 0.80 | 2.00 | 4.00 | 2.1x | 0.80x |");
    expect(md).toContain("| redis-pull-curve | thread | 12,000 | 1.30 | 2.00 | 4.00 | 1.2x | 1.3x |");
    expect(md).toContain("| redis-push-curve | throughput vs BullMQ | 2.10x | >= 2x | met |");
    expect(md).toContain("| redis-pull-curve | p50 vs BullMQ | 1.30x | <= 1x | **missed** |");
    expect(md).toContain("again over ZMTP CURVE (`-curve`");
    expect(md).toContain("## Floors (issue 17): 5 of 8 met");
    const bars = parseXml(plots({ modes: section })["throughput.svg"] ?? "").filter((e) => e.name === "rect" && e.attrs.class === "bar");
    expect(bars.map((b) => [b.attrs["data-group"], b.attrs["data-series"]])).toEqual([
      ["redis-push", "thread isolation"],
      ["redis-push", "sandbox isolation"],
      ["redis-push-curve", "thread isolation"],
      ["redis-pull-curve", "thread isolation"],
    ]);
  });

  test("each series beside the BullMQ sessions around it: a column, the sessions' rounds; older results keep before and after", () => {
    const bullmq = { version: "6.7.0", setup: "redis-server, 1 Node worker process (concurrency 50), 1 Node producer process per session; a session before our first series and one after each", throughput: 13_000, latency, cdf: [], samples: [] };
    const push = { ...result("redis-push", "thread", 26_000, 0.9), bullmq: { throughput: 12_000, p50: 0.75 }, vsBullmq: { throughput: 26_000 / 12_000, p50: 0.9 / 0.75 } };
    const pull = { ...result("redis-pull", "thread", 28_000, 0.8), bullmq: { throughput: 14_000, p50: 0.8 }, vsBullmq: { throughput: 2, p50: 1 } };
    const section: ModesSection = { sizes: modes.sizes, bullmq: { ...bullmq, sessions: [[11_500, 12_000], [12_500], [14_000, 14_200]] }, results: [push, pull], floors: [] };
    const md = renderReport({ ...base, modes: section });
    expect(md).toContain("| mode | isolation | tasks/s | p50 ms | p95 ms | p99 ms | BullMQ beside it (jobs/s, p50 ms) | throughput / BullMQ | p50 / BullMQ |");
    expect(md).toContain("| redis-push | thread | 26,000 | 0.90 | 2.00 | 4.00 | 12,000, 0.75 | 2.2x | 1.2x |");
    expect(md).toContain("| redis-pull | thread | 28,000 | 0.80 | 2.00 | 4.00 | 14,000, 0.80 | 2.0x | 1.0x |");
    expect(md).toContain("| BullMQ 6.7.0 | (Node worker) | 13,000 | 0.80 | 2.00 | 4.00 | (all sessions) | 1x | 1x |");
    expect(md).toContain("Rounds per session: 1: 11,500, 12,000 jobs/s; 2: 12,500 jobs/s; 3: 14,000, 14,200 jobs/s.");
    const older = renderReport({ ...base, modes: { ...modes, bullmq: { ...bullmq, roundsBefore: [12_000], roundsAfter: [14_000] } } });
    expect(older).toContain("Rounds before ours: 12,000 jobs/s; after: 14,000 jobs/s.");
    expect(older).not.toContain("BullMQ beside it (jobs/s, p50 ms)");
    expect(older).toContain("| BullMQ 6.7.0 | (Node worker) | 13,000 | 0.80 | 2.00 | 4.00 | 1x | 1x |");
  });

  test("the bare hops: a column with their p50 over BullMQ's beside it, a sentence on what they are; older results get neither", () => {
    const bullmq = { version: "6.7.0", setup: "redis-server, ...", throughput: 13_000, latency, cdf: [], samples: [] };
    const local = { ...result("redis-local", "thread", 26_000, 0.47), bullmq: { throughput: 12_000, p50: 0.375 }, vsBullmq: { throughput: 26_000 / 12_000, p50: 0.47 / 0.375 }, bareP50: 0.2 };
    const sandbox = { ...result("redis-local", "sandbox", 25_000, 0.5), bullmq: { throughput: 12_000, p50: 0.4 }, vsBullmq: { throughput: 25_000 / 12_000, p50: 1.25 } };
    const md = renderReport({ ...base, modes: { sizes: modes.sizes, bullmq, results: [local, sandbox], floors: [] } });
    expect(md).toContain("| BullMQ beside it (jobs/s, p50 ms) | throughput / BullMQ | p50 / BullMQ | bare hops p50 ms (/ BullMQ) |");
    expect(md).toContain("| redis-local | thread | 26,000 | 0.47 | 2.00 | 4.00 | 12,000, 0.38 | 2.2x | 1.3x | 0.20 (0.53x) |");
    expect(md).toContain("| redis-local | sandbox | 25,000 | 0.50 | 2.00 | 4.00 | 12,000, 0.40 | 2.1x | 1.3x |  |");
    expect(md).toContain("The bare hops: after each thread series, tasks one at a time through the same processes and transports with nothing of ours in them");
    const older = renderReport({ ...base, modes: { sizes: modes.sizes, bullmq, results: [{ ...local, bareP50: undefined }], floors: [] } });
    expect(older).not.toContain("bare hops");
  });

  test("CPU per task: ours by process and BullMQ's beside it, cores busy, the ratio; results without CPU get no table", () => {
    const cpu = { micros: { redis: 480_000, api: 200_000, client: 20_000 }, tasks: 20_000, ms: 500 };
    const bullmqCpu = { micros: { redis: 1_200_000, worker: 1_000_000, producer: 800_000 }, tasks: 30_000, ms: 1_500 };
    const push = { ...result("redis-push", "thread", 26_000, 0.9), cpu, bullmqCpu };
    const bullmq = { version: "6.7.0", setup: "", throughput: 15_000, latency, cdf: [], samples: [], sessionsCpu: [bullmqCpu, undefined, { micros: { redis: 400_000, worker: 200_000, producer: 400_000 }, tasks: 10_000, ms: 500 }] };
    const md = renderReport({ ...base, modes: { ...modes, bullmq, results: [push, result("redis-pull", "thread", 20_000, 1)] } });
    expect(md).toContain("### CPU per task in the throughput rounds");
    expect(md).toContain("| BullMQ 6.7.0 | (all sessions) | redis 40.0, worker 30.0, producer 30.0 | 100.0 | 2.00 |  |  |  | 1x |");
    expect(md).toContain("| redis-push | thread | redis 24.0, api 10.0, client 1.0 | 35.0 | 1.40 | redis 40.0, worker 33.3, producer 26.7 | 100.0 | 2.00 | 0.35x |");
    expect(md).not.toContain("| redis-pull | thread | redis");
    expect(md).toContain("2x needs ours at half of BullMQ's or less");
    expect(renderReport({ ...base, modes })).not.toContain("CPU per task");
  });

  test("the retained section's CPU per task, fresh and retained, and their ratio", () => {
    const fresh = { ...retained.fresh, cpu: { micros: { redis: 400_000, api: 200_000 }, tasks: 20_000, ms: 1_000 } };
    const filled = { ...retained.filled, cpu: { micros: { redis: 600_000, api: 200_000 }, tasks: 20_000, ms: 1_000 } };
    const md = renderReport({ ...base, retained: { ...retained, fresh, filled } });
    expect(md).toContain("| fresh | 0 | 20,000 | 0.80 | 2.00 | 4.00 | 30.0 (redis 20.0, api 10.0) |");
    expect(md).toContain("| 1,000,000 retained | 1,000,000 | 19,000 | 0.84 | 2.00 | 4.00 | 40.0 (redis 30.0, api 10.0) |");
    expect(md).toContain("| retained / fresh |  | 0.95x | 1.05x | 1.00x | 1.00x | 1.33x |");
    expect(renderReport({ ...base, retained })).not.toContain("CPU us per task");
  });

  test("results saved before the CURVE modes existed render without them (--from)", () => {
    const md = renderReport({ ...base, modes });
    expect(md).not.toContain("CURVE");
    expect(md).toContain("| redis-local | thread | 21,000 |");
    const bars = parseXml(plots({ modes })["throughput.svg"] ?? "").filter((e) => e.name === "rect" && e.attrs.class === "bar");
    expect(bars.map((b) => b.attrs["data-group"])).toEqual(["redis-local"]);
  });

  test("the machine's pace at the start and the end goes in the Machine table, with how to read it", () => {
    const md = renderReport({ ...base, paceBefore: { busyLoopMs: 21.84, threadRoundTripUs: 10.04, processRoundTripUs: 23.1 }, paceAfter: { busyLoopMs: 22.5, threadRoundTripUs: 27.9, processRoundTripUs: 31.26 } });
    expect(md).toContain("| pace at the start (5M-iteration loop; medians) | busy loop 21.8 ms, thread round trip 10.0 us, process round trip 23.1 us |");
    expect(md).toContain("| pace at the end | busy loop 22.5 ms, thread round trip 27.9 us, process round trip 31.3 us |");
    expect(md).toContain("read a ratio beside its run's pace");
  });

  test("the Machine table says how idle CPUs waited; a run with --idle-poll says so beside it", () => {
    const machine = { ...base.machine, cpuIdle: { driver: "haltpoll", governor: "haltpoll", haltPollNs: 0 } };
    const plain = renderReport({ ...base, machine });
    expect(plain).toContain("| CPU idle | haltpoll driver, haltpoll governor, guest halt polling 0 ns; idle CPUs as the machine has them (no CPU latency request held) |");
    expect(plain).not.toContain("--idle-poll");
    const polled = renderReport({ ...base, machine, idlePoll: true });
    expect(polled).toContain("idle CPUs polling: a CPU latency request of 0 us held on /dev/cpu_dma_latency");
    expect(polled).toContain("the plain run is the evaluation of record");
    expect(renderReport(base)).not.toContain("CPU idle");
  });

  test("a run with --redis-nice says so in the Machine table and why it is not the evaluation of record", () => {
    const md = renderReport({ ...base, redisNice: -10 });
    expect(md).toContain("| redis-server niceness | -10 for every redis-server of the run, ours and BullMQ's (`--redis-nice`); our processes and BullMQ's at 0 |");
    expect(md).toContain("at niceness -10 (`--redis-nice -10`, `nice -n`)");
    expect(md).toContain("the plain run is the evaluation of record");
    expect(renderReport(base)).not.toContain("niceness");
  });

  test("results saved before the pace was measured render without pace rows (--from)", () => {
    const md = renderReport(base);
    expect(md).not.toContain("pace");
    expect(md).toContain("| load average (1, 5, 15 min) | before 1, 1, 1; after 2, 2, 2 |");
  });

  test("results written before the retained section existed still render, floors counted from modes alone", () => {
    const md = renderReport({ ...base, modes });
    expect(md).not.toContain("Retained tasks");
    expect(md).toContain("## Floors (issue 17): 1 of 2 met");
    expect(allFloors({ modes })).toHaveLength(2);
    expect(renderReport(base)).not.toContain("## Floors");
  });

  test("the retained section: conditions, footprint, both sets of figures, ratios; its floors join the count", () => {
    const md = renderReport({ ...base, modes, retained });
    expect(md).toContain("## Retained tasks: the same figures with 1,000,000 finished tasks in Redis");
    expect(md).toContain("**after the fill: 700.00M used, 1,000,013 keys**");
    expect(md).toContain("filled with 843,700 more no-op tasks");
    expect(md).toContain("in 60.0 s (15,000 tasks/s over the first slice, up to 206,300 retained; 14,000 over the last, up to 1,000,000)");
    expect(md).toContain("the oldest 23.97 h at the end, so none was swept during the run");
    expect(md).toContain("| fresh | 0 | 20,000 | 0.80 | 2.00 | 4.00 |");
    expect(md).toContain("| 1,000,000 retained | 1,000,000 | 19,000 | 0.84 | 2.00 | 4.00 |");
    expect(md).toContain("| retained / fresh |  | 0.95x | 1.05x | 1.00x | 1.00x |");
    expect(md).toContain("## Floors (issue 17): 3 of 4 met");
    expect(md).toContain("| redis-local | throughput with 1,000,000 retained vs fresh | 0.95x | >= 0.9x | met; within the run-to-run noise (±6%) |");
    expect(md).toContain("| redis-local | p50 with 1,000,000 retained vs fresh | 1.05x | <= 1.1x | met |");
    expect(md).toContain("the rounds stray up to ±6.0% from their median");
    expect(md.indexOf("Retained tasks")).toBeLessThan(md.indexOf("## Floors"));
    const alone = renderReport({ ...base, retained });
    expect(alone).toContain("## Floors (issue 17): 2 of 2 met");
    expect(alone).not.toContain("BullMQ floors");
    expect(md).not.toContain("doubles its key and expiry tables"); // saved before the doubling was measured (--from)
  });

  test("a retained section measured in turns says so: the fill first, new processes on the filled Redis beside a fresh stack, both in the same minutes", () => {
    const md = renderReport({ ...base, retained: { ...retained, alternated: true, fill: { ...retained.fill, tasks: 1_000_000 } } });
    expect(md).toContain("Two stacks side by side, each redis-server, bun run api, bun run dispatcher --mode local --workers 2 --isolation thread: one filled with 1,000,000 no-op tasks");
    expect(md).toContain("then its API and dispatcher replaced by new ones (those had warmed up their compiled code over the fill), and a second stack started beside it on a fresh Redis (empty at the start)");
    expect(md).toContain("in turns: both warm-ups, then a round of each, who goes first alternating, then the one-at-a-time samples in sixths the same way, so that the two figures come from the same minutes and from processes that ran the same tasks.");
    expect(md).toContain("at the end: 800.00M used, 1,156,313 keys (the filled stack's).");
    expect(md).not.toContain("then measured again on the same stack");
  });

  test("the retained section says what the fill did about Redis's table doubling, and what the doubling cost", () => {
    const slices = [{ retainedAfter: 236_000, tasksPerS: 25_000 }, { retainedAfter: 1_000_000, tasksPerS: 9_000 }, { retainedAfter: 1_058_576, tasksPerS: 12_000 }];
    const crossed = renderReport({ ...base, retained: { ...retained, fill: { ...retained.fill, slices }, doubling: { crossing: 1_048_576, beyond: 58_586, settleMs: 3_400, settled: true } } });
    expect(crossed).toContain("the measurement would have crossed 1,048,576 keys, so the fill went 58,586 tasks past the target first. Redis finished moving its tables 3.4 s after the fill, and only then did the measurement begin; the fill's slowest slice (9,000 tasks/s, up to 1,000,000 retained) shows what a doubling costs while it lasts.");
    expect(doublingNote({ crossing: undefined, beyond: 0, settleMs: 120_500, settled: false }, [])).toBe(
      "The measurement crossed none of the key counts at which Redis doubles its key and expiry tables (powers of two). Redis was still moving its tables 120.5 s after the fill, when the measurement began anyway.",
    );
  });
});

describe("pace", () => {
  test("measures a busy loop, a Worker thread's round trip and another process's over loopback TCP", async () => {
    const p = await measurePace(20);
    for (const v of [p.busyLoopMs, p.threadRoundTripUs, p.processRoundTripUs]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
    }
  }, 30_000);
});
