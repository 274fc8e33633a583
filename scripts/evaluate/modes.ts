/**
 * Section "modes": throughput and one-at-a-time latency of every mode (embedded; Redis with a local
 * dispatcher; Redis with push and with pull workers, over NULL and over CURVE), per isolation series, with BullMQ measured
 * before and after ours in the same run, and the performance floors of issue 17 checked on the result.
 */
import { bullmqVersion, startBullmq } from "./bullmq.ts";
import { assertCompleted, oneAtATime, registerFunction, runBatch } from "./client.ts";
import { type BaselineFigures, checkFloors, type FloorCheck, type ModeName, ratios, type SeriesIsolation, seriesOf } from "./floors.ts";
import type { Options, Sizes } from "./options.ts";
import type { Progress } from "./progress.ts";
import { startStack } from "./stacks.ts";
import { type CdfPoint, cdf, type LatencySummary, median, summarize } from "./stats.ts";

export interface ModeResult {
  readonly mode: ModeName;
  readonly isolation: SeriesIsolation;
  readonly setup: string;
  /** Tasks/s of each measured round; `throughput` is their median. */
  readonly rounds: readonly number[];
  readonly throughput: number;
  readonly latency: LatencySummary;
  readonly cdf: readonly CdfPoint[];
  /** Ours / BullMQ: throughput (higher is better) and p50 (lower is better). */
  readonly vsBullmq?: { readonly throughput: number; readonly p50: number };
  /** One-at-a-time latencies in ms, rounded to the microsecond. */
  readonly samples: readonly number[];
}

export interface BullmqResult {
  readonly version: string;
  readonly setup: string;
  readonly roundsBefore: readonly number[];
  readonly roundsAfter: readonly number[];
  readonly throughput: number;
  readonly latency: LatencySummary;
  readonly cdf: readonly CdfPoint[];
  readonly samples: readonly number[];
}

export interface ModesSection {
  readonly sizes: { readonly tasks: number; readonly rounds: number; readonly serial: number; readonly warmup: number };
  readonly bullmq?: BullmqResult;
  readonly results: readonly ModeResult[];
  readonly floors: readonly FloorCheck[];
}

/** Rounds a latency in ms to the microsecond, for results.json. */
export const us = (ms: number): number => Math.round(ms * 1000) / 1000;

/** The no-op task every throughput and latency figure runs. */
export const NOOP = "() => null";

/** Throughput rounds and one-at-a-time latencies of one running stack, and how many tasks that ran. */
export interface StackFigures {
  /** Tasks/s of each measured round; `throughput` is their median. */
  readonly rounds: readonly number[];
  readonly throughput: number;
  readonly latency: LatencySummary;
  /** One-at-a-time latencies in ms, in the order measured. */
  readonly samples: readonly number[];
  /** Every task the measurement ran, warm-up included (all left finished in the store). */
  readonly tasks: number;
}

/**
 * Measures a running stack the way the modes section does: `warmup` unmeasured tasks (and a tenth as
 * many one at a time), `rounds` rounds of `tasks` no-op tasks (throughput: their median), then
 * `serial` tasks one at a time. The caller has started a progress step for the throughput part; this
 * starts the "one at a time" step.
 *
 * @example
 * const f = await measureStack(stack.url, await registerFunction(stack.url, NOOP), o.sizes, progress, "redis-local/thread");
 */
export async function measureStack(url: string, fid: string, s: Sizes, progress: Progress, label: string): Promise<StackFigures> {
  const payloads = (n: number): string[] => Array.from({ length: n }, () => "[]");
  const onProgress = (d: number, t: number): void => progress.update(d, t);
  assertCompleted(await runBatch(url, fid, payloads(s.warmup), { onProgress }));
  await oneAtATime(url, fid, serialWarmup(s));
  const rounds: number[] = [];
  for (let r = 0; r < s.rounds; r++) {
    const run = await runBatch(url, fid, payloads(s.tasks), { onProgress });
    assertCompleted(run);
    rounds.push((s.tasks * 1000) / run.ms);
    progress.note(`${label}: ${Math.round(rounds.at(-1) as number).toLocaleString("en-US")} tasks/s`);
  }
  progress.step(`${label}: one at a time`);
  const samples = await oneAtATime(url, fid, s.serial, onProgress);
  const latency = summarize(samples);
  progress.note(`${label}: p50 ${latency.p50.toFixed(3)} ms, p99 ${latency.p99.toFixed(3)} ms`);
  return { rounds, throughput: median(rounds), latency, samples, tasks: measuredTasks(s) };
}

/**
 * Tasks one `measureStack` runs: the batch warm-up, a tenth of it one at a time, the rounds, the
 * one-at-a-time samples.
 *
 * @example
 * measuredTasks({ ...sizes, warmup: 30_000, tasks: 30_000, rounds: 5, serial: 3_000 }); // 186_000
 */
export function measuredTasks(s: Pick<Sizes, "warmup" | "tasks" | "rounds" | "serial">): number {
  return s.warmup + serialWarmup(s) + s.rounds * s.tasks + s.serial;
}

/** Unmeasured tasks run one at a time before the rounds: a tenth of the batch warm-up. */
function serialWarmup(s: Pick<Sizes, "warmup">): number {
  return Math.ceil(s.warmup / 10);
}

/**
 * How many progress steps `runModes` takes with these options.
 *
 * @example
 * modeSteps(parseOptions([])); // 22: BullMQ twice, then (4 modes x 2 isolations + 2 CURVE modes x thread) x 2 steps
 */
export function modeSteps(o: Options): number {
  return 2 + 2 * o.modes.reduce((n, mode) => n + seriesOf(mode, o.isolations).length, 0);
}

/**
 * Runs the section: BullMQ (first half of its samples), every mode and isolation, BullMQ again.
 *
 * @example
 * const section = await runModes(parseOptions(["--quick"]), new Progress(modeSteps(o)));
 */
export async function runModes(o: Options, progress: Progress): Promise<ModesSection> {
  const s = o.sizes;
  const bull = await startBullmq(s.bullmqConcurrency);
  const half = Math.ceil(s.serial / 2);
  let before: Awaited<ReturnType<typeof bull.measure>>;
  const results: Omit<ModeResult, "vsBullmq">[] = [];
  let after: Awaited<ReturnType<typeof bull.measure>>;
  try {
    progress.step("BullMQ (before ours)");
    before = await bull.measure({ tasks: s.tasks, rounds: s.rounds, serial: half, warmup: s.warmup, concurrency: s.bullmqConcurrency }, progress, "before");
    for (const mode of o.modes) {
      for (const isolation of seriesOf(mode, o.isolations)) {
        const label = `${mode}/${isolation}`;
        progress.step(`${label}: start, warm up, throughput`);
        const stack = await startStack({ mode, isolation, executors: s.executors, workerProcs: s.workerProcs });
        try {
          const fid = await registerFunction(stack.url, NOOP);
          const f = await measureStack(stack.url, fid, s, progress, label);
          results.push({ mode, isolation, setup: stack.describe, rounds: f.rounds, throughput: f.throughput, latency: f.latency, cdf: cdf(f.samples), samples: f.samples.map(us) });
        } finally {
          await stack.stop();
        }
      }
    }
    progress.step("BullMQ (after ours)");
    after = await bull.measure({ tasks: s.tasks, rounds: s.rounds, serial: s.serial - half, warmup: s.warmup, concurrency: s.bullmqConcurrency }, progress, "after");
  } finally {
    await bull.stop();
  }
  const samples = [...before.latencies, ...after.latencies];
  const bullmq: BullmqResult = {
    version: bullmqVersion(),
    setup: `redis-server, 1 Node worker process (concurrency ${s.bullmqConcurrency}), 1 Node producer process; measured before and after ours`,
    roundsBefore: before.rounds,
    roundsAfter: after.rounds,
    throughput: median([...before.rounds, ...after.rounds]),
    latency: summarize(samples),
    cdf: cdf(samples),
    samples: samples.map(us),
  };
  const baseline: BaselineFigures = { throughput: bullmq.throughput, p50: bullmq.latency.p50 };
  const withRatios = results.map((r) => ({ ...r, vsBullmq: ratios({ throughput: r.throughput, p50: r.latency.p50 }, baseline) }));
  const floors = checkFloors(
    results.map((r) => ({ mode: r.mode, isolation: r.isolation, throughput: r.throughput, p50: r.latency.p50 })),
    baseline,
  );
  return { sizes: { tasks: s.tasks, rounds: s.rounds, serial: s.serial, warmup: s.warmup }, bullmq, results: withRatios, floors };
}
