/**
 * A small SVG chart module for the evaluation report: line charts (linear or log axes, dashed series,
 * vertical markers) and grouped bar charts. Output is a standalone SVG document as a string; no
 * chart library. Each series path carries `data-series` so tests (and readers of the file) can find it.
 */

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface LineSeries {
  readonly name: string;
  readonly points: readonly Point[];
  readonly dashed?: boolean;
  /** Draw a dot on each point (for series with few points). */
  readonly dots?: boolean;
}

export interface LineChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  readonly xLog?: boolean;
  readonly xMin?: number;
  readonly xMax?: number;
  readonly yMin?: number;
  readonly yMax?: number;
  /** Explicit x ticks (e.g. 1, 2, 4, 8); otherwise chosen from the range. */
  readonly xTicks?: readonly number[];
  /** Vertical lines with a label, e.g. the moment a worker was killed. */
  readonly markers?: readonly { readonly x: number; readonly label: string }[];
  readonly legend?: LegendCorner;
  readonly width?: number;
  readonly height?: number;
}

export interface BarChartSpec {
  readonly title: string;
  readonly yLabel: string;
  /** One name per bar in a group (the legend). */
  readonly seriesNames: readonly string[];
  /** One group per category; `values[i]` belongs to `seriesNames[i]` (NaN: no bar). */
  readonly groups: readonly { readonly label: string; readonly values: readonly number[] }[];
  /** A horizontal reference line, e.g. BullMQ's throughput. */
  readonly reference?: { readonly y: number; readonly label: string };
  readonly legend?: LegendCorner;
  readonly width?: number;
  readonly height?: number;
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];
const MARGIN = { left: 70, right: 20, top: 36, bottom: 50 };

/**
 * Escapes text for use in SVG element content or a double-quoted attribute.
 *
 * @example
 * escapeXml('a < b & "c"'); // "a &lt; b &amp; &quot;c&quot;"
 */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * About `count` round tick values covering [min, max] (steps of 1, 2 or 5 times a power of ten).
 *
 * @example
 * niceTicks(0, 1, 5); // [0, 0.2, 0.4, 0.6, 0.8, 1]
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * Tick values for a log axis over [min, max]: 1, 2 and 5 times each power of ten inside the range.
 *
 * @example
 * logTicks(0.3, 20); // [0.5, 1, 2, 5, 10, 20]
 */
export function logTicks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

/**
 * A function from data to pixels: maps [d0, d1] onto [r0, r1], linearly or on a log scale.
 *
 * @example
 * scale(0, 10, 100, 200)(5); // 150
 * scale(1, 100, 0, 2, true)(10); // 1
 */
export function scale(d0: number, d1: number, r0: number, r1: number, log = false): (v: number) => number {
  const f = log ? Math.log10 : (v: number) => v;
  const a = f(d0);
  const span = f(d1) - a || 1;
  return (v) => r0 + ((f(v) - a) / span) * (r1 - r0);
}

/**
 * Formats a tick label: at most 3 significant digits, tens of thousands and up as "k".
 *
 * @example
 * tickLabel(0.123456); // "0.123"
 * tickLabel(25000); // "25k"
 */
export function tickLabel(v: number): string {
  if (Math.abs(v) >= 10_000) return `${Number((v / 1000).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

const n2 = (v: number): string => (Math.round(v * 100) / 100).toString();

function frame(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

function axes(w: number, h: number, xLabel: string, yLabel: string): string[] {
  const { left, top, bottom } = MARGIN;
  return [
    `<line class="axis" x1="${left}" y1="${h - bottom}" x2="${w - MARGIN.right}" y2="${h - bottom}" stroke="#000"/>`,
    `<line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${h - bottom}" stroke="#000"/>`,
    `<text x="${(left + w - MARGIN.right) / 2}" y="${h - 12}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text x="16" y="${(top + h - bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(top + h - bottom) / 2})">${escapeXml(yLabel)}</text>`,
  ];
}

function yAxisTicks(ticks: readonly number[], y: (v: number) => number, w: number): string[] {
  return ticks.flatMap((t) => [
    `<line x1="${MARGIN.left}" y1="${n2(y(t))}" x2="${w - MARGIN.right}" y2="${n2(y(t))}" stroke="#e5e5e5"/>`,
    `<text x="${MARGIN.left - 6}" y="${n2(y(t) + 4)}" text-anchor="end">${tickLabel(t)}</text>`,
  ]);
}

/** Where the legend box sits inside the plot area. */
export type LegendCorner = "top-right" | "top-left" | "bottom-right" | "bottom-left";

function legend(names: readonly string[], w: number, h: number, corner: LegendCorner, dashed: (i: number) => boolean = () => false): string[] {
  const boxW = 40 + 6.5 * Math.max(0, ...names.map((n) => n.length));
  const boxH = 8 + 16 * names.length;
  const x0 = corner.endsWith("right") ? w - MARGIN.right - boxW - 6 : MARGIN.left + 6;
  const y0 = corner.startsWith("top") ? MARGIN.top + 4 : h - MARGIN.bottom - boxH - 6;
  const out = [`<rect class="legend-box" x="${n2(x0)}" y="${y0}" width="${n2(boxW)}" height="${boxH}" fill="#ffffff" fill-opacity="0.85" stroke="#cccccc"/>`];
  names.forEach((name, i) => {
    const y = y0 + 12 + i * 16;
    const x = x0 + 6;
    const dash = dashed(i) ? ' stroke-dasharray="6 4"' : "";
    out.push(`<g class="legend"><line x1="${n2(x)}" y1="${y}" x2="${n2(x + 22)}" y2="${y}" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="3"${dash}/><text x="${n2(x + 28)}" y="${y + 4}">${escapeXml(name)}</text></g>`);
  });
  return out;
}

/**
 * A line chart: one `<path data-series="name">` per series with a point per data point, axes with
 * ticks, a legend, optional log x axis and vertical markers.
 *
 * @example
 * const svg = lineChart({ title: "CDF", xLabel: "ms", yLabel: "fraction", xLog: true,
 *   series: [{ name: "ours", points: [{ x: 0.5, y: 0.1 }, { x: 1, y: 1 }] }] });
 * await Bun.write("cdf.svg", svg);
 */
export function lineChart(spec: LineChartSpec): string {
  const w = spec.width ?? 720;
  const h = spec.height ?? 420;
  const all = spec.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!spec.xLog || p.x > 0));
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  let xMin = spec.xMin ?? (xs.length > 0 ? Math.min(...xs) : 0);
  let xMax = spec.xMax ?? (xs.length > 0 ? Math.max(...xs) : 1);
  if (xMax <= xMin) xMax = spec.xLog ? xMin * 10 : xMin + 1;
  if (spec.xLog && xMin <= 0) xMin = xMax / 1000;
  const yMin = spec.yMin ?? Math.min(0, ...ys);
  const yTop = spec.yMax ?? (ys.length > 0 ? Math.max(...ys) * 1.05 : 1);
  const yMax = yTop > yMin ? yTop : yMin + 1;
  const x = scale(xMin, xMax, MARGIN.left, w - MARGIN.right, spec.xLog);
  const y = scale(yMin, yMax, h - MARGIN.bottom, MARGIN.top);
  const xTicks = spec.xTicks ?? (spec.xLog ? logTicks(xMin, xMax) : niceTicks(xMin, xMax));
  const body = [...yAxisTicks(niceTicks(yMin, yMax), y, w), ...axes(w, h, spec.xLabel, spec.yLabel)];
  for (const t of xTicks) body.push(`<text x="${n2(x(t))}" y="${h - MARGIN.bottom + 16}" text-anchor="middle">${tickLabel(t)}</text>`);
  (spec.markers ?? []).forEach((m, i) => {
    body.push(`<line class="marker" x1="${n2(x(m.x))}" y1="${MARGIN.top}" x2="${n2(x(m.x))}" y2="${h - MARGIN.bottom}" stroke="#555" stroke-dasharray="2 3"/>`);
    body.push(`<text x="${n2(x(m.x) + 4)}" y="${h - MARGIN.bottom - 8 - 14 * i}">${escapeXml(m.label)}</text>`);
  });
  spec.series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!spec.xLog || p.x > 0));
    if (pts.length === 0) return;
    const color = PALETTE[i % PALETTE.length];
    const d = pts.map((p, k) => `${k === 0 ? "M" : "L"}${n2(x(p.x))} ${n2(y(p.y))}`).join(" ");
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : "";
    body.push(`<path class="series" data-series="${escapeXml(s.name)}" d="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    if (s.dots) for (const p of pts) body.push(`<circle cx="${n2(x(p.x))}" cy="${n2(y(p.y))}" r="3" fill="${color}"/>`);
  });
  body.push(...legend(spec.series.map((s) => s.name), w, h, spec.legend ?? "top-right", (i) => spec.series[i]?.dashed === true));
  return frame(w, h, spec.title, body);
}

/**
 * A grouped bar chart: one `<rect class="bar" data-series data-group data-value>` per finite value,
 * a group per category along x, an optional horizontal reference line.
 *
 * @example
 * const svg = barChart({ title: "Throughput", yLabel: "tasks/s", seriesNames: ["thread", "sandbox"],
 *   groups: [{ label: "embedded", values: [90000, 60000] }], reference: { y: 12000, label: "BullMQ" } });
 */
export function barChart(spec: BarChartSpec): string {
  const w = spec.width ?? 720;
  const h = spec.height ?? 420;
  const values = spec.groups.flatMap((g) => g.values).filter(Number.isFinite);
  // headroom so the tallest bar stays below the legend box in the top corner
  const plotHeight = h - MARGIN.top - MARGIN.bottom;
  const legendRoom = Math.min(0.6, (24 + 16 * spec.seriesNames.length) / plotHeight);
  const top = (Math.max(1e-9, ...values, spec.reference?.y ?? 0) * 1.05) / (1 - legendRoom);
  const y = scale(0, top, h - MARGIN.bottom, MARGIN.top);
  const body = [...yAxisTicks(niceTicks(0, top), y, w), ...axes(w, h, "", spec.yLabel)];
  const plotWidth = w - MARGIN.left - MARGIN.right;
  const groupWidth = plotWidth / Math.max(1, spec.groups.length);
  const barWidth = (groupWidth * 0.8) / Math.max(1, spec.seriesNames.length);
  spec.groups.forEach((g, gi) => {
    const gx = MARGIN.left + gi * groupWidth + groupWidth * 0.1;
    body.push(`<text x="${n2(MARGIN.left + (gi + 0.5) * groupWidth)}" y="${h - MARGIN.bottom + 16}" text-anchor="middle">${escapeXml(g.label)}</text>`);
    g.values.forEach((v, si) => {
      if (!Number.isFinite(v)) return;
      const bx = gx + si * barWidth;
      const by = y(v);
      const attrs = `data-series="${escapeXml(spec.seriesNames[si] ?? "")}" data-group="${escapeXml(g.label)}" data-value="${v}"`;
      body.push(`<rect class="bar" ${attrs} x="${n2(bx)}" y="${n2(by)}" width="${n2(barWidth - 2)}" height="${n2(h - MARGIN.bottom - by)}" fill="${PALETTE[si % PALETTE.length]}"/>`);
      body.push(`<text x="${n2(bx + barWidth / 2 - 1)}" y="${n2(by - 4)}" text-anchor="middle" font-size="10">${tickLabel(v)}</text>`);
    });
  });
  if (spec.reference !== undefined) {
    const ry = n2(y(spec.reference.y));
    body.push(`<line class="reference" x1="${MARGIN.left}" y1="${ry}" x2="${w - MARGIN.right}" y2="${ry}" stroke="#000" stroke-dasharray="6 4"/>`);
    body.push(`<text x="${MARGIN.left + 6}" y="${n2(y(spec.reference.y) - 5)}">${escapeXml(spec.reference.label)}</text>`);
  }
  body.push(...legend(spec.seriesNames, w, h, spec.legend ?? "top-right"));
  return frame(w, h, spec.title, body);
}
