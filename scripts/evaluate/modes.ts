/**
 * Section "modes": throughput and one-at-a-time latency of every mode (embedded; Redis with a local
 * dispatcher; Redis with push and with pull workers, over NULL and over CURVE), per isolation series, with BullMQ measured
 * in the same run (its throughput before our first series and after each, its jobs one at a time in
 * turns with each series' tasks one at a time), and the performance floors of issue 17 checked on the
 * result: each series' throughput against the two BullMQ sessions around it and its p50 against the
 * BullMQ samples taken in turns with its own, so a ratio compares figures of the same minutes (these
 * machines' pace moves by a third within a run, and BullMQ's p50 by half).
 */
import { type BullmqSession, bullmqVersion, startBullmq } from "./bullmq.ts";
import { assertCompleted, oneAtATime, registerFunction, runBatch } from "./client.ts";
import { type CpuReading, type CpuSpent, cpuReader, spentBetween, together } from "./cpu-cost.ts";
import { type BaselineFigures, baselineOf, checkFloors, type FloorCheck, type ModeName, ratios, type SeriesIsolation, seriesOf } from "./floors.ts";
import type { Options, Sizes } from "./options.ts";
import type { Progress } from "./progress.ts";
import { type BareMode, startBare } from "../lib/bare-stack.ts";
import { inTurn } from "../lib/run-order.ts";
import { startStack } from "./stacks.ts";
import { type CdfPoint, cdf, type LatencySummary, measurementNoise, median, summarize } from "./stats.ts";

export interface ModeResult {
  readonly mode: ModeName;
  readonly isolation: SeriesIsolation;
  readonly setup: string;
  /** Tasks/s of each measured round; `throughput` is their median. */
  readonly rounds: readonly number[];
  readonly throughput: number;
  readonly latency: LatencySummary;
  readonly cdf: readonly CdfPoint[];
  /**
   * BullMQ's figures beside this series (see baselineOf): throughput from its sessions just before and
   * just after it, p50 from its jobs one at a time in turns with this series' tasks.
   */
  readonly bullmq?: BaselineFigures;
  /** Ours / BullMQ beside it: throughput (higher is better) and p50 (lower is better). */
  readonly vsBullmq?: { readonly throughput: number; readonly p50: number };
  /** Run-to-run noise of this series and BullMQ beside it (relative; measurementNoise in stats.ts). */
  readonly noise?: { readonly throughput: number; readonly p50: number };
  /** One-at-a-time latencies in ms, rounded to the microsecond. */
  readonly samples: readonly number[];
  /** CPU the deployment's processes and the client spent over the measured rounds (absent from older results). */
  readonly cpu?: CpuSpent;
  /** BullMQ's over the rounds of the two sessions around this series. */
  readonly bullmqCpu?: CpuSpent;
  /** p50 in ms of the mode's bare hops (see bareTopology), measured after this series (thread series only). */
  readonly bareP50?: number;
}

/**
 * The bare hops (scripts/lib/bare-stack.ts) whose trip a mode's lone task makes at least: pull and the
 * CURVE modes make push's (a worker process over ZMTP; in pull, its credit is already with the
 * dispatcher when a lone task comes), and more (CURVE's boxes).
 */
function bareTopology(mode: ModeName): BareMode {
  return mode === "embedded" ? "embedded" : mode === "redis-local" ? "local" : "push";
}

/**
 * p50 in ms of `serial` tasks one at a time through the bare hops of `topology`, after `serialWarmup`
 * unmeasured ones (as measureStack warms up one at a time); their redis-server at `redisNice`
 * (--redis-nice), `onProgress` told as the measured tasks go.
 *
 * @example
 * const p50 = await bareP50("local", { serialWarmup: 10000, serial: 2000 });
 */
export async function bareP50(topology: BareMode, s: Pick<Sizes, "serialWarmup" | "serial">, o: { readonly redisNice?: number; readonly onProgress?: (done: number, total: number) => void } = {}): Promise<number> {
  const bare = await startBare(topology, { redisNice: o.redisNice });
  try {
    await oneAtATime(bare.url, "bare", s.serialWarmup);
    return summarize(await oneAtATime(bare.url, "bare", s.serial, o.onProgress)).p50;
  } finally {
    await bare.stop();
  }
}

export interface BullmqResult {
  readonly version: string;
  readonly setup: string;
  /** Jobs/s of each session's rounds, in the order measured: before our first series, then after each. */
  readonly sessions?: readonly (readonly number[])[];
  /** Results saved before the sessions were one per series: the rounds before ours and after. */
  readonly roundsBefore?: readonly number[];
  readonly roundsAfter?: readonly number[];
  /** CPU its redis-server, worker and producer spent over each session's rounds (absent from older results). */
  readonly sessionsCpu?: readonly (CpuSpent | undefined)[];
  /**
   * Over every session: the median of the rounds; and the summary of every one-at-a-time sample (taken
   * in turns with our series; in results saved before 2026-11-27, at the end of each session).
   */
  readonly throughput: number;
  readonly latency: LatencySummary;
  readonly cdf: readonly CdfPoint[];
  readonly samples: readonly number[];
}

export interface ModesSection {
  /** serialWarmup: absent in results written before 2026-11-27 (those warmed up a tenth of warmup one at a time). */
  readonly sizes: { readonly tasks: number; readonly rounds: number; readonly serial: number; readonly warmup: number; readonly serialWarmup?: number };
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
  /** CPU spent over the rounds, when the caller gave a reader. */
  readonly cpu?: CpuSpent;
}

/** Latencies in ms of `n` tasks one at a time through another system (BullMQ's long-lived client), run in turns with ours. */
export type Baseline = (n: number) => Promise<number[]>;

/**
 * Measures a running stack the way the modes section does: `warmup` unmeasured tasks, `rounds` rounds
 * of `tasks` no-op tasks (throughput: their median), then `serialWarmup` unmeasured tasks one at a time
 * and `serial` measured ones. With `baseline` (BullMQ's client), the baseline warms up and takes as many
 * samples, in turns with ours (SERIAL_TURNS each, who goes first alternating), so that the two p50s come
 * from the same minutes: its samples come back as `baselineSamples`. The caller has started a progress
 * step for the throughput part; this starts the "one at a time" step. With `readCpu`, the CPU spent
 * over the rounds (not the warm-up, not the one-at-a-time part) comes back too.
 *
 * @example
 * const f = await measureStack(stack.url, await registerFunction(stack.url, NOOP), o.sizes, progress, "redis-local/thread", undefined, (n) => bull.lone(n));
 */
export async function measureStack(url: string, fid: string, s: Sizes, progress: Progress, label: string, readCpu?: () => CpuReading, baseline?: Baseline): Promise<StackFigures & { readonly baselineSamples?: readonly number[] }> {
  const { figures, baselineSamples } = await measureInTurns([{ url, fid, label, readCpu }], s, progress, baseline);
  return { ...(figures[0] as StackFigures), ...(baselineSamples !== undefined && { baselineSamples }) };
}

/** One stack `measureAlternately` measures: where it answers, the function it runs, its name in notes. */
export interface Measured {
  readonly url: string;
  readonly fid: string;
  readonly label: string;
  readonly readCpu?: () => CpuReading;
}

/** The one-at-a-time samples go in this many turns per stack when several (or a stack and a baseline) are measured alternately. */
const SERIAL_TURNS = 6;

/**
 * Measures several running stacks as `measureStack` measures one, in turns, so that their figures
 * come from the same minutes: each warms up, then round after round each runs one (who goes first
 * alternating from round to round), then each warms up one at a time, then the one-at-a-time samples
 * in SERIAL_TURNS turns each, the same way. A stack's CPU is what it spent over its own rounds. The
 * caller has started a progress step for the throughput part; this starts the "one at a time" step.
 *
 * @example
 * const [fresh, full] = await measureAlternately([{ url: a.url, fid: fa, label: "fresh" }, { url: b.url, fid: fb, label: "full" }], o.sizes, progress);
 */
export async function measureAlternately(stacks: readonly Measured[], s: Sizes, progress: Progress): Promise<StackFigures[]> {
  return (await measureInTurns(stacks, s, progress)).figures;
}

async function measureInTurns(stacks: readonly Measured[], s: Sizes, progress: Progress, baseline?: Baseline): Promise<{ figures: StackFigures[]; baselineSamples?: number[] }> {
  const onProgress = (d: number, t: number): void => progress.update(d, t);
  for (const m of stacks) assertCompleted(await runBatch(m.url, m.fid, noops(s.warmup), { onProgress, allCompleted: true }));
  const indexes = stacks.map((_, i) => i);
  const rounds: number[][] = stacks.map(() => []);
  const cpu: (CpuSpent | undefined)[][] = stacks.map(() => []);
  for (let r = 0; r < s.rounds; r++) {
    for (const i of inTurn(indexes, r)) {
      const m = stacks[i] as Measured;
      const before = m.readCpu?.();
      const t0 = performance.now();
      const run = await runBatch(m.url, m.fid, noops(s.tasks), { onProgress, allCompleted: true });
      const ms = performance.now() - t0;
      assertCompleted(run);
      (cpu[i] as (CpuSpent | undefined)[]).push(m.readCpu === undefined || before === undefined ? undefined : spentBetween(before, m.readCpu(), s.tasks, ms));
      const own = rounds[i] as number[];
      own.push((s.tasks * 1000) / run.ms);
      progress.note(`${m.label}: ${Math.round(own.at(-1) as number).toLocaleString("en-US")} tasks/s`);
    }
  }
  progress.step(`${stacks.map((m) => m.label).join(", ")}${baseline === undefined ? "" : " and BullMQ"}: one at a time`);
  // each participant (the stacks, then the baseline) runs `n` tasks one at a time
  const lone = (who: number, n: number, onDone?: (d: number) => void): Promise<number[]> => {
    const m = stacks[who];
    return m === undefined ? (baseline as Baseline)(n) : oneAtATime(m.url, m.fid, n, onDone);
  };
  const everyone = baseline === undefined ? indexes : [...indexes, stacks.length];
  // the warm-up one at a time comes right before the samples, after the rounds, as BullMQ's producer runs its own
  for (const who of everyone) await lone(who, s.serialWarmup);
  const samples: number[][] = everyone.map(() => []);
  const turns = everyone.length === 1 ? 1 : Math.min(SERIAL_TURNS, s.serial);
  for (let turn = 0; turn < turns; turn++) {
    const count = Math.floor((s.serial * (turn + 1)) / turns) - Math.floor((s.serial * turn) / turns);
    for (const who of inTurn(everyone, turn)) {
      const own = samples[who] as number[];
      const done = own.length;
      own.push(...(await lone(who, count, (d) => onProgress(done + d, s.serial))));
      onProgress(own.length, s.serial);
    }
  }
  const figures = stacks.map((m, i) => {
    const latency = summarize(samples[i] as number[]);
    progress.note(`${m.label}: p50 ${latency.p50.toFixed(3)} ms, p99 ${latency.p99.toFixed(3)} ms`);
    const own = rounds[i] as number[];
    return { rounds: own, throughput: median(own), latency, samples: samples[i] as number[], tasks: measuredTasks(s), cpu: m.readCpu === undefined ? undefined : together(cpu[i] as (CpuSpent | undefined)[]) };
  });
  return { figures, ...(baseline !== undefined && { baselineSamples: samples[stacks.length] as number[] }) };
}

/**
 * Tasks one `measureStack` runs: the batch warm-up, the one-at-a-time warm-up, the rounds, the
 * one-at-a-time samples.
 *
 * @example
 * measuredTasks({ ...sizes, warmup: 30_000, serialWarmup: 10_000, tasks: 30_000, rounds: 5, serial: 3_000 }); // 193_000
 */
export function measuredTasks(s: Pick<Sizes, "warmup" | "serialWarmup" | "tasks" | "rounds" | "serial">): number {
  return s.warmup + s.serialWarmup + s.rounds * s.tasks + s.serial;
}

const noops = (n: number): string[] => Array.from({ length: n }, () => "[]");

/**
 * A stack's warm-up before it is measured: `warmup` no-op tasks in batches, then `serialWarmup` one at
 * a time (every result checked).
 *
 * @example
 * await warmUp(stack.url, fid, { warmup: 30000, serialWarmup: 10000 });
 */
export async function warmUp(url: string, fid: string, s: Pick<Sizes, "warmup" | "serialWarmup">, onProgress?: (done: number, total: number) => void): Promise<void> {
  assertCompleted(await runBatch(url, fid, noops(s.warmup), { allCompleted: true, ...(onProgress !== undefined && { onProgress }) }));
  await oneAtATime(url, fid, s.serialWarmup);
}

/**
 * How many progress steps `runModes` takes with these options.
 *
 * @example
 * modeSteps(parseOptions([])); // 37: 10 series (4 modes x 2 isolations + 2 CURVE modes x thread) x 2 steps, BullMQ 11 times, the bare hops after the 6 thread series
 */
export function modeSteps(o: Options): number {
  const series = o.modes.reduce((n, mode) => n + seriesOf(mode, o.isolations).length, 0);
  const threads = o.isolations.includes("thread") ? o.modes.length : 0;
  return 3 * series + 1 + threads;
}

/**
 * Runs the section: a BullMQ session, then every mode and isolation, each followed by another BullMQ
 * session (a fresh producer with its own warm-up; the worker and its redis-server stay). A session's
 * one-at-a-time samples are half the series' count, so the two around a series give as many.
 *
 * @example
 * const section = await runModes(parseOptions(["--quick"]), new Progress(modeSteps(o)));
 */
export async function runModes(o: Options, progress: Progress): Promise<ModesSection> {
  const s = o.sizes;
  const bull = await startBullmq(s.bullmqConcurrency, o.redisNice);
  const sessions: BullmqSession[] = [];
  const session = async (label: string): Promise<void> => {
    progress.step(`BullMQ (${label})`);
    // throughput only: BullMQ's one-at-a-time samples are taken in turns with each series' (measureStack)
    sessions.push(await bull.measure({ tasks: s.tasks, rounds: s.rounds, serial: 0, warmup: s.warmup, serialWarmup: 0, concurrency: s.bullmqConcurrency }, progress, label));
  };
  const results: Omit<ModeResult, "vsBullmq" | "bullmq" | "bullmqCpu">[] = [];
  const bullSamples: (readonly number[])[] = [];
  try {
    await session("before ours");
    for (const mode of o.modes) {
      for (const isolation of seriesOf(mode, o.isolations)) {
        const label = `${mode}/${isolation}`;
        progress.step(`${label}: start, warm up, throughput`);
        const stack = await startStack({ mode, isolation, executors: s.executors, workerProcs: s.workerProcs, redisNice: o.redisNice });
        let f: Awaited<ReturnType<typeof measureStack>>;
        try {
          const fid = await registerFunction(stack.url, NOOP);
          f = await measureStack(stack.url, fid, s, progress, label, cpuReader(stack.processes), (n) => bull.lone(n));
        } finally {
          await stack.stop();
        }
        let bare: number | undefined;
        if (isolation === "thread") {
          progress.step(`${label}: bare hops, one at a time`);
          bare = await bareP50(bareTopology(mode), s, { redisNice: o.redisNice, onProgress: (d, t) => progress.update(d, t) });
          progress.note(`${mode}: bare hops (${bareTopology(mode)}) p50 ${bare.toFixed(3)} ms`);
        }
        bullSamples.push(f.baselineSamples ?? []);
        results.push({ mode, isolation, setup: stack.describe, rounds: f.rounds, throughput: f.throughput, latency: f.latency, cdf: cdf(f.samples), samples: f.samples.map(us), cpu: f.cpu, ...(bare !== undefined && { bareP50: us(bare) }) });
        await session(`after ${label}`);
      }
    }
  } finally {
    await bull.stop();
  }
  const samples = bullSamples.flat();
  const bullmq: BullmqResult = {
    version: bullmqVersion(),
    setup: `redis-server, 1 Node worker process (concurrency ${s.bullmqConcurrency}), 1 Node producer process per throughput session (a session before our first series and one after each), 1 long-lived Node client for jobs one at a time`,
    sessions: sessions.map((x) => x.rounds),
    sessionsCpu: sessions.map((x) => x.cpu),
    throughput: median(sessions.flatMap((x) => x.rounds)),
    latency: summarize(samples),
    cdf: cdf(samples),
    samples: samples.map(us),
  };
  const overall: BaselineFigures = { throughput: bullmq.throughput, p50: bullmq.latency.p50 };
  const withRatios = results.map((r, i) => {
    const around = sessions.slice(i, i + 2);
    const measured = { rounds: around.flatMap((x) => x.rounds), samples: bullSamples[i] as readonly number[] };
    const beside = baselineOf(measured);
    return { ...r, bullmq: beside, bullmqCpu: together(around.map((x) => x.cpu)), vsBullmq: ratios({ throughput: r.throughput, p50: r.latency.p50 }, beside), noise: measurementNoise(r, measured) };
  });
  const floors = checkFloors(
    withRatios.map((r) => ({ mode: r.mode, isolation: r.isolation, throughput: r.throughput, p50: r.latency.p50, bullmq: r.bullmq, noise: r.noise, bareP50: r.bareP50 })),
    overall,
  );
  return { sizes: { tasks: s.tasks, rounds: s.rounds, serial: s.serial, warmup: s.warmup, serialWarmup: s.serialWarmup }, bullmq, results: withRatios, floors };
}
