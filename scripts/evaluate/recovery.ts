/**
 * Section "recovery": a worker process killed with SIGKILL mid-run, in push and in pull mode. The
 * same batch of sleeping tasks runs twice on one deployment (Redis, a dispatcher, two worker
 * processes): once undisturbed, once with worker 1 killed when a share of the tasks is done. Measured:
 * time from the kill until every task completed, until the dispatcher logged `worker.gone`, and what
 * the kill cost against the undisturbed run.
 */
import { countEvents, eventField, readLog } from "../lib/processes.ts";
import { waitFor } from "../lib/wait-for.ts";
import { assertCompleted, registerFunction, runBatch } from "./client.ts";
import type { Options } from "./options.ts";
import type { Progress } from "./progress.ts";
import { startStack } from "./stacks.ts";

export interface RecoveryRun {
  readonly mode: "push" | "pull";
  readonly tasks: number;
  readonly baselineMs: number;
  readonly runMs: number;
  /** When worker 1 was killed, ms after the first submit. */
  readonly killAtMs: number;
  /** From the kill until the dispatcher logged worker.gone. */
  readonly goneAfterMs: number;
  /** From the kill until every task was terminal (all COMPLETED). */
  readonly doneAfterMs: number;
  /** Jobs the dispatcher reported lost with the worker (re-queued). */
  readonly lostJobs: number;
  /** [ms, tasks done] of both runs, thinned for plotting. */
  readonly baselineTimeline: readonly (readonly [number, number])[];
  readonly timeline: readonly (readonly [number, number])[];
}

export interface RecoverySection {
  readonly sleepMs: number;
  readonly killAt: number;
  readonly runs: readonly RecoveryRun[];
}

/**
 * Keeps at most `max` evenly spaced entries of a list (always the last).
 *
 * @example
 * thin([1, 2, 3, 4, 5], 3); // [1, 3, 5]
 */
export function thin<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const step = (items.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, k) => items[Math.round(k * step)] as T);
}

/**
 * Runs the section: push, then pull.
 *
 * @example
 * const section = await runRecovery(options, progress);
 */
export async function runRecovery(o: Options, progress: Progress): Promise<RecoverySection> {
  const s = o.sizes;
  const runs: RecoveryRun[] = [];
  const payloads = Array.from({ length: s.recoveryTasks }, () => `[${s.recoverySleepMs}]`);
  for (const mode of ["push", "pull"] as const) {
    progress.step(`recovery: ${mode}, undisturbed run then worker 1 killed`);
    const stack = await startStack({ mode: mode === "push" ? "redis-push" : "redis-pull", isolation: "thread", executors: 1, workerProcs: s.workerProcs, redisNice: o.redisNice });
    try {
      const dispatcher = stack.dispatcher;
      const victim = stack.workers[0];
      if (dispatcher === undefined || victim === undefined) throw new Error(`a ${mode} stack without a dispatcher or workers`);
      const fid = await registerFunction(stack.url, "(ms) => new Promise((r) => setTimeout(() => r(null), ms))", { max_attempts: 5 });
      assertCompleted(await runBatch(stack.url, fid, payloads.slice(0, 200).map(() => "[1]")));
      const baseline = await runBatch(stack.url, fid, payloads, { onProgress: (d, t) => progress.update(d, t) });
      assertCompleted(baseline);
      let killAtMs = Number.NaN;
      let gone: Promise<number> | undefined;
      const run = await runBatch(stack.url, fid, payloads, {
        onProgress: (d, t) => progress.update(d, t),
        at: {
          done: Math.floor(s.recoveryTasks * s.killAt),
          run: (elapsed) => {
            killAtMs = elapsed;
            const killed = performance.now();
            victim.proc.kill("SIGKILL");
            gone = waitFor(() => countEvents(dispatcher.log, "worker.gone") > 0, "the dispatcher to report the killed worker gone", 30_000, 5).then(() => performance.now() - killed);
          },
        },
      });
      assertCompleted(run);
      if (gone === undefined) throw new Error("the worker was never killed (the run ended first)");
      const goneAfterMs = await gone;
      const lostJobs = Number(eventField(readLog(dispatcher.log), "worker.gone", "lost") ?? Number.NaN);
      runs.push({
        mode, tasks: s.recoveryTasks, baselineMs: baseline.ms, runMs: run.ms, killAtMs, goneAfterMs, doneAfterMs: run.ms - killAtMs, lostJobs,
        baselineTimeline: thin(baseline.timeline, 300), timeline: thin(run.timeline, 300),
      });
      progress.note(`${mode}: worker gone after ${goneAfterMs.toFixed(0)} ms, all done ${(run.ms - killAtMs).toFixed(0)} ms after the kill (${run.ms.toFixed(0)} ms vs ${baseline.ms.toFixed(0)} ms undisturbed)`);
    } finally {
      await stack.stop();
    }
  }
  return { sleepMs: s.recoverySleepMs, killAt: s.killAt, runs };
}

