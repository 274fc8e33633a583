/**
 * Section "uneven": push vs pull under uneven task lengths. The same shuffled mix of short and long
 * sleeping tasks runs on Redis + a push (then pull) dispatcher with two worker processes; each task
 * returns the pid of the process that ran it and when it finished, so the report shows the
 * completion time and how evenly the workers were loaded.
 */
import { assertCompleted, registerFunction, runBatch } from "./client.ts";
import type { Options } from "./options.ts";
import type { Progress } from "./progress.ts";
import { startStack } from "./stacks.ts";

const RUNNING_PER_EXECUTOR = 64;
const TASK = "async (ms) => { await new Promise((r) => setTimeout(r, ms)); return [process.pid, Date.now()]; }";

export interface WorkerLoad {
  readonly worker: string;
  readonly tasks: number;
  /** Sum of the sleep lengths it ran, ms. */
  readonly busyMs: number;
  /** When its last task finished, ms after the first submit. */
  readonly lastMs: number;
}

export interface UnevenRun {
  readonly mode: "push" | "pull";
  readonly ms: number;
  readonly workers: readonly WorkerLoad[];
  /** Highest busy ms over the mean busy ms (1 = perfectly even). */
  readonly imbalance: number;
  /** Last worker's last finish minus the first worker's last finish: how long a worker sat idle at the end. */
  readonly idleTailMs: number;
}

export interface UnevenSection {
  readonly tasks: number;
  readonly shortMs: number;
  readonly longMs: number;
  readonly longShare: number;
  /** Total sleep / (worker processes x 64 running at once): no schedule beats it. */
  readonly lowerBoundMs: number;
  readonly runs: readonly UnevenRun[];
}

/**
 * The sleep lengths of the mix: `share` of them long, in a shuffled order that depends only on `seed`.
 *
 * @example
 * unevenMix(10, 5, 500, 0.2, 1).filter((ms) => ms === 500).length; // 2
 */
export function unevenMix(tasks: number, shortMs: number, longMs: number, share: number, seed = 42): number[] {
  const longCount = Math.round(tasks * share);
  const out = Array.from({ length: tasks }, (_, i) => (i < longCount ? longMs : shortMs));
  let state = seed >>> 0;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}

/**
 * Per-worker load from each task's [pid, finished-at] result and its sleep length.
 *
 * @example
 * loads([[1, 110], [2, 120]], [10, 20], new Map([[1, "w1"], [2, "w2"]]), 100);
 * // [{ worker: "w1", tasks: 1, busyMs: 10, lastMs: 10 }, { worker: "w2", tasks: 1, busyMs: 20, lastMs: 20 }]
 */
export function loads(results: readonly (readonly [number, number])[], sleeps: readonly number[], names: ReadonlyMap<number, string>, startedAt: number): WorkerLoad[] {
  const by = new Map<string, { tasks: number; busyMs: number; lastMs: number }>();
  for (const name of names.values()) by.set(name, { tasks: 0, busyMs: 0, lastMs: 0 });
  results.forEach(([pid, at], i) => {
    const name = names.get(pid) ?? `pid ${pid}`;
    const w = by.get(name) ?? { tasks: 0, busyMs: 0, lastMs: 0 };
    w.tasks++;
    w.busyMs += sleeps[i] as number;
    w.lastMs = Math.max(w.lastMs, at - startedAt);
    by.set(name, w);
  });
  return [...by].map(([worker, w]) => ({ worker, ...w }));
}

/**
 * Runs the mix on push, then on pull.
 *
 * @example
 * const section = await runUneven(options, progress);
 */
export async function runUneven(o: Options, progress: Progress): Promise<UnevenSection> {
  const s = o.sizes;
  const sleeps = unevenMix(s.unevenTasks, s.shortMs, s.longMs, s.longShare);
  const runs: UnevenRun[] = [];
  for (const mode of ["push", "pull"] as const) {
    progress.step(`uneven tasks: ${mode}`);
    const stack = await startStack({ mode: mode === "push" ? "redis-push" : "redis-pull", isolation: "thread", executors: 1, workerProcs: s.workerProcs, redisNice: o.redisNice });
    try {
      const fid = await registerFunction(stack.url, TASK);
      assertCompleted(await runBatch(stack.url, fid, Array.from({ length: s.workerProcs * RUNNING_PER_EXECUTOR }, () => "[1]")));
      const startedAt = Date.now();
      const run = await runBatch(stack.url, fid, sleeps.map((ms) => `[${ms}]`), { onProgress: (d, t) => progress.update(d, t) });
      assertCompleted(run);
      const names = new Map(stack.workers.map((w, i) => [w.proc.pid, `worker ${i + 1}`] as const));
      const results = run.ids.map((id) => JSON.parse(run.results.get(id)?.result ?? "[0,0]") as [number, number]);
      const workers = loads(results, sleeps, names, startedAt);
      const mean = workers.reduce((a, w) => a + w.busyMs, 0) / Math.max(1, workers.length);
      const imbalance = Math.max(...workers.map((w) => w.busyMs)) / mean;
      const idleTailMs = Math.max(...workers.map((w) => w.lastMs)) - Math.min(...workers.map((w) => w.lastMs));
      runs.push({ mode, ms: run.ms, workers, imbalance, idleTailMs });
      progress.note(`${mode}: ${run.ms.toFixed(0)} ms, busiest worker ${imbalance.toFixed(2)}x the mean, idle tail ${idleTailMs.toFixed(0)} ms`);
    } finally {
      await stack.stop();
    }
  }
  const total = sleeps.reduce((a, b) => a + b, 0);
  return { tasks: s.unevenTasks, shortMs: s.shortMs, longMs: s.longMs, longShare: s.longShare, lowerBoundMs: total / (s.workerProcs * RUNNING_PER_EXECUTOR), runs };
}
