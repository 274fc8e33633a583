/**
 * The figures printed by scripts/bench-redis.ts and scripts/bench-embedded.ts, read back from their
 * output, and the before/after table scripts/bench-compare.ts prints from several runs of each.
 * Pure functions: no I/O.
 *
 * @example
 * const runs = outputs.map(parseBenchOutput);
 * console.log(compareTable({ name: "base c71d26c", runs: baseRuns }, { name: "head 8c5cb07", runs: headRuns }));
 */
import { median } from "../evaluate/stats.ts";

/** One "throughput..." line: its rounds in tasks/s and the best of them. */
export interface Throughput {
  /** "" for bench-redis; how results were read for bench-embedded ("GET /result/{id}?wait", "POST /wait"). */
  readonly label: string;
  readonly rounds: number[];
  readonly best: number;
}

/** What one bench run printed; a figure the bench did not print is absent. */
export interface BenchFigures {
  readonly throughput: Throughput[];
  /** Microseconds of CPU per task by process ("redis", "api", "dispatcher"). */
  readonly cpuPerTask: Record<string, number>;
  readonly commandsPerTask?: number;
  /** Microseconds of CPU per task by process while tasks ran one at a time (bench-redis). */
  readonly serialCpuPerTask: Record<string, number>;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
}

const THROUGHPUT = /^throughput(?:, results read by (.+?)(?: \(.*\))?)?:\s+([\d, ]+) tasks\/s \(best (\d+)\)/;
const CPU = /^cpu per task: (.+)$/;
const COMMANDS = /^redis commands per task: ([\d.]+)/;
const SERIAL = /^one at a time \(\d+\): p50 ([\d.]+) ms, p99 ([\d.]+) ms/;
const SERIAL_CPU = /^one at a time, cpu per task: (.+)$/;

/**
 * "redis 24.9 us, dispatcher 11.5 us (its threads), worker processes 8.0 us" into {redis: 24.9,
 * dispatcher: 11.5, "worker processes": 8.0}: remarks in parentheses dropped, names may have spaces.
 */
function cpuParts(text: string, into: Record<string, number>): void {
  for (const part of text.replace(/\s*\([^)]*\)/g, "").split(", ")) {
    const p = /^(.+?) ([\d.]+) us$/.exec(part.trim());
    if (p !== null) into[p[1] as string] = Number(p[2]);
  }
}

/**
 * Reads the figures out of a bench script's stdout. Throws when no throughput line is there (the
 * bench failed, or its output changed).
 *
 * @example
 * parseBenchOutput("throughput: 15073, 15762 tasks/s (best 15762)").throughput[0]?.best; // 15762
 */
export function parseBenchOutput(text: string): BenchFigures {
  const throughput: Throughput[] = [];
  const cpuPerTask: Record<string, number> = {};
  const serialCpuPerTask: Record<string, number> = {};
  let commandsPerTask: number | undefined;
  let p50Ms: number | undefined;
  let p99Ms: number | undefined;
  for (const line of text.split("\n").map((l) => l.trim())) {
    let m = THROUGHPUT.exec(line);
    if (m !== null) {
      const rounds = (m[2] as string).split(",").map((r) => Number(r.trim()));
      throughput.push({ label: m[1] ?? "", rounds, best: Number(m[3]) });
    } else if ((m = CPU.exec(line)) !== null) {
      cpuParts(m[1] as string, cpuPerTask);
    } else if ((m = SERIAL_CPU.exec(line)) !== null) {
      cpuParts(m[1] as string, serialCpuPerTask);
    } else if ((m = COMMANDS.exec(line)) !== null) {
      commandsPerTask = Number(m[1]);
    } else if ((m = SERIAL.exec(line)) !== null) {
      p50Ms = Number(m[1]);
      p99Ms = Number(m[2]);
    }
  }
  if (throughput.length === 0) throw new Error(`bench output has no "throughput: ... tasks/s (best N)" line; got:\n${text.slice(0, 2000)}`);
  return { throughput, cpuPerTask, commandsPerTask, serialCpuPerTask, p50Ms, p99Ms };
}

/** The runs of one revision, and the name its column gets. */
export interface RevisionRuns {
  readonly name: string;
  readonly runs: readonly BenchFigures[];
}

/** One table row: a figure's name and how to read it from a run (undefined: not printed). */
export interface Metric {
  readonly name: string;
  readonly read: (f: BenchFigures) => number | undefined;
  readonly digits: number;
}

/**
 * The rows of the table for these runs: each throughput line's best and rounds and each process's CPU
 * as the first run printed them, then commands per task, p50 and p99 if any run printed them, then
 * each process's CPU per task one at a time as the first run printed it.
 */
export function metrics(runs: readonly BenchFigures[]): Metric[] {
  const first = runs[0];
  if (first === undefined) return [];
  const out: Metric[] = [];
  first.throughput.forEach((t, i) => {
    const suffix = t.label === "" ? "" : ` (${t.label})`;
    out.push({ name: `best tasks/s${suffix}`, read: (f) => f.throughput[i]?.best, digits: 0 });
    t.rounds.forEach((_, r) => out.push({ name: `  round ${r + 1} tasks/s`, read: (f) => f.throughput[i]?.rounds[r], digits: 0 }));
  });
  for (const proc of Object.keys(first.cpuPerTask)) out.push({ name: `cpu us/task ${proc}`, read: (f) => f.cpuPerTask[proc], digits: 1 });
  const optional: [string, (f: BenchFigures) => number | undefined, number][] = [
    ["redis commands/task", (f) => f.commandsPerTask, 2],
    ["one at a time p50 ms", (f) => f.p50Ms, 3],
    ["one at a time p99 ms", (f) => f.p99Ms, 3],
  ];
  for (const [name, read, digits] of optional) if (runs.some((f) => read(f) !== undefined)) out.push({ name, read, digits });
  for (const proc of Object.keys(first.serialCpuPerTask)) out.push({ name: `one at a time cpu us/task ${proc}`, read: (f) => f.serialCpuPerTask[proc], digits: 1 });
  return out;
}

/** Median, lowest and highest of the values a metric has over some runs; undefined without any. */
export function spread(values: readonly (number | undefined)[]): { median: number; min: number; max: number } | undefined {
  const xs = values.filter((v): v is number => v !== undefined);
  if (xs.length === 0) return undefined;
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

function fmt(x: number, digits: number): string {
  return x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * The comparison table: one row per figure, for each revision the median and range over its runs,
 * then the head/base ratio of the medians and the change in percent.
 *
 * @example
 * compareTable({ name: "base", runs: [a1, a2] }, { name: "head", runs: [b1, b2] });
 * // "figure  base  head  head/base\nbest tasks/s  15,418 (15,073-15,762)  ...  1.040 (+4.0%)"
 */
export function compareTable(base: RevisionRuns, head: RevisionRuns): string {
  const rows: string[][] = [["figure", `${base.name}: median (range)`, `${head.name}: median (range)`, "head/base"]];
  for (const m of metrics([...base.runs, ...head.runs])) {
    const b = spread(base.runs.map(m.read));
    const h = spread(head.runs.map(m.read));
    const cell = (s: typeof b): string => (s === undefined ? "-" : `${fmt(s.median, m.digits)} (${fmt(s.min, m.digits)}-${fmt(s.max, m.digits)})`);
    const ratio = b !== undefined && h !== undefined && b.median !== 0 ? h.median / b.median : undefined;
    const change = ratio === undefined ? "-" : `${ratio.toFixed(3)} (${ratio >= 1 ? "+" : ""}${((ratio - 1) * 100).toFixed(1)}%)`;
    rows.push([m.name, cell(b), cell(h), change]);
  }
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] as number)).join("  ").trimEnd()).join("\n");
}
