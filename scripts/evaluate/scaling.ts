/**
 * Section "scaling": the embedded server with 1, 2, 4 and 8 executors (`--workers N`, thread
 * isolation), weak scaling (work grows with N) and strong scaling (fixed work), with CPU-bound tasks
 * (a fixed busy loop of a few ms) and with sleeping tasks. Efficiency is measured against N = 1:
 * weak t1 / tN, strong t1 / (N x tN). CPU-bound efficiency cannot pass cores / N once N exceeds the
 * cores, so that bound is reported beside it.
 */
import { cpus } from "node:os";
import { assertCompleted, registerFunction, runBatch } from "./client.ts";
import type { Options } from "./options.ts";
import type { Progress } from "./progress.ts";
import { startStack } from "./stacks.ts";

export const EXECUTOR_COUNTS = [1, 2, 4, 8] as const;
/** Jobs one executor runs at once (half of its 128 slots). */
const RUNNING_PER_EXECUTOR = 64;
const BUSY = "(n) => { let x = 0; for (let i = 0; i < n; i++) x = (x * 31 + i) | 0; return x; }";

export interface ScalingPoint {
  readonly executors: number;
  readonly tasks: number;
  readonly ms: number;
  readonly efficiency: number;
  /** The most this efficiency can be on this machine: 1 for sleeping tasks, min(1, cores / N) for CPU-bound ones. */
  readonly bound: number;
}

export type ScalingKind = "cpuWeak" | "cpuStrong" | "sleepWeak" | "sleepStrong";

export interface ScalingSection {
  readonly cores: number;
  readonly cpuIterations: number;
  /** A CPU task's run time on one executor, ms (t1 of weak scaling / its tasks). */
  readonly cpuTaskMs: number;
  readonly sleepMs: number;
  readonly series: Readonly<Record<ScalingKind, readonly ScalingPoint[]>>;
}

/**
 * Efficiency against the first point (N = 1): weak t1 / tN, strong t1 / (N x tN).
 *
 * @example
 * efficiencies([{ executors: 1, ms: 100 }, { executors: 2, ms: 100 }], "weak"); // [1, 1]
 * efficiencies([{ executors: 1, ms: 100 }, { executors: 2, ms: 100 }], "strong"); // [1, 0.5]
 */
export function efficiencies(points: readonly { executors: number; ms: number }[], kind: "weak" | "strong"): number[] {
  const first = points[0];
  if (first === undefined) return [];
  return points.map((p) => (kind === "weak" ? first.ms / p.ms : (first.ms * first.executors) / (p.executors * p.ms)));
}

/**
 * Runs the section, one embedded server per executor count.
 *
 * @example
 * const s = await runScaling(options, progress);
 * s.series.cpuWeak.map((p) => p.efficiency);
 */
export async function runScaling(o: Options, progress: Progress): Promise<ScalingSection> {
  const s = o.sizes;
  const cores = cpus().length;
  const raw: Record<ScalingKind, { executors: number; tasks: number; ms: number }[]> = { cpuWeak: [], cpuStrong: [], sleepWeak: [], sleepStrong: [] };
  const sleepStrongTasks = Math.max(...EXECUTOR_COUNTS) * RUNNING_PER_EXECUTOR * s.sleepRounds;
  for (const n of EXECUTOR_COUNTS) {
    progress.step(`scaling: ${n} executor${n === 1 ? "" : "s"}`);
    const stack = await startStack({ mode: "embedded", isolation: "thread", executors: n, workerProcs: 0 });
    try {
      const busy = await registerFunction(stack.url, BUSY);
      const sleep = await registerFunction(stack.url, "(ms) => new Promise((r) => setTimeout(r, ms))");
      const cpuArgs = (count: number): string[] => Array.from({ length: count }, () => `[${s.cpuIterations}]`);
      const sleepArgs = (count: number, ms: number): string[] => Array.from({ length: count }, () => `[${ms}]`);
      const measure = async (kind: ScalingKind, fid: string, payloads: string[]): Promise<void> => {
        const run = await runBatch(stack.url, fid, payloads, { onProgress: (d, t) => progress.update(d, t) });
        assertCompleted(run);
        raw[kind].push({ executors: n, tasks: payloads.length, ms: run.ms });
      };
      // warm-up: every executor started and its code compiled
      assertCompleted(await runBatch(stack.url, busy, cpuArgs(n * 10)));
      assertCompleted(await runBatch(stack.url, sleep, sleepArgs(n * RUNNING_PER_EXECUTOR, 1)));
      await measure("cpuWeak", busy, cpuArgs(n * s.cpuPerExecutor));
      await measure("cpuStrong", busy, cpuArgs(s.cpuTotal));
      await measure("sleepWeak", sleep, sleepArgs(n * RUNNING_PER_EXECUTOR * s.sleepRounds, s.sleepMs));
      await measure("sleepStrong", sleep, sleepArgs(sleepStrongTasks, s.sleepMs));
    } finally {
      await stack.stop();
    }
    const last = (k: ScalingKind): number => raw[k].at(-1)?.ms ?? Number.NaN;
    progress.note(`${n} executors: cpu weak ${last("cpuWeak").toFixed(0)} ms, strong ${last("cpuStrong").toFixed(0)} ms; sleep weak ${last("sleepWeak").toFixed(0)} ms, strong ${last("sleepStrong").toFixed(0)} ms`);
  }
  const series = {} as Record<ScalingKind, ScalingPoint[]>;
  for (const kind of Object.keys(raw) as ScalingKind[]) {
    const eff = efficiencies(raw[kind], kind.endsWith("Weak") ? "weak" : "strong");
    series[kind] = raw[kind].map((p, i) => ({ ...p, efficiency: eff[i] as number, bound: kind.startsWith("cpu") ? Math.min(1, cores / p.executors) : 1 }));
  }
  const first = raw.cpuWeak[0];
  return { cores, cpuIterations: s.cpuIterations, cpuTaskMs: first === undefined ? Number.NaN : first.ms / first.tasks, sleepMs: s.sleepMs, series };
}
