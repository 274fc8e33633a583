/**
 * Section "retained": does the cost of a task grow with the tasks kept in Redis? A Redis with a local
 * dispatcher (the modes section's redis-local stack, thread isolation) is filled with no-op tasks
 * through its API until `--retained` finished tasks are kept (and past the doubling of Redis's tables
 * the measurement would cross, once Redis has finished it: table-doubling.ts); then its API and
 * dispatcher are replaced by new ones, a second stack starts beside it on a fresh Redis, and both are
 * measured as the modes section measures a stack, in turns (modes.ts, measureAlternately): the two
 * figures come from the same minutes and from processes that ran the same tasks, so only Redis
 * differs. (Measured one after the other, the two halves fell in minutes apart, and the machine's pace
 * moved the ratio by up to a third between runs; the filled stack's processes had run the fill, which
 * warmed up their compiled code.) The figures, their ratios and Redis's footprint go in the report.
 */
import Redis from "ioredis";
import { redisKeys, type ShardKeys } from "../../src/adapters/redis/keys.ts";
import { assertCompleted, registerFunction, runBatch } from "./client.ts";
import { type CpuSpent, cpuReader } from "./cpu-cost.ts";
import { checkRetainedFloors, type FloorCheck } from "./floors.ts";
import { measureAlternately, measuredTasks, NOOP, type StackFigures, us } from "./modes.ts";
import type { Options } from "./options.ts";
import type { Progress } from "./progress.ts";
import { type Stack, startStack, startStackRedis } from "./stacks.ts";
import { type LatencySummary, measurementNoise } from "./stats.ts";
import { DOUBLING_MARGIN, doublingWithin, waitForSettledTables } from "./table-doubling.ts";

/** Progress steps of `runRetained`: the fill, the two stacks' start, both stacks' throughput, their latency. */
export const RETAINED_STEPS = 4;
/** Tasks per `runBatch` call while filling (1,000 per /execute_batch, 4 in flight); one rate is kept per slice. */
const FILL_SLICE = 50_000;
/** Longest wait for Redis to finish moving its tables after the fill. */
const SETTLE_TIMEOUT_MS = 120_000;
/** Task keys carry the default prefix: the stack sets no FAAS_PREFIX. */
const KEYS = redisKeys(process.env.FAAS_PREFIX ?? "faas").shards[0] as ShardKeys;

/** One measurement of the stack: throughput rounds and one-at-a-time latency. */
export interface RetainedPhase {
  /** Finished tasks in the store when the measurement began. */
  readonly retainedBefore: number;
  readonly rounds: readonly number[];
  readonly throughput: number;
  readonly latency: LatencySummary;
  /** One-at-a-time latencies in ms, rounded to the microsecond. */
  readonly samples: readonly number[];
  /** CPU the stack's processes and the client spent over the rounds (absent from older results). */
  readonly cpu?: CpuSpent;
}

/** Redis's size at one point: INFO memory used_memory (bytes) and used_memory_human, DBSIZE. */
export interface RedisFootprint {
  readonly usedMemory: number;
  readonly usedMemoryHuman: string;
  readonly keys: number;
}

export interface RetainedSection {
  readonly sizes: { readonly tasks: number; readonly rounds: number; readonly serial: number; readonly warmup: number; readonly serialWarmup?: number; readonly retained: number };
  readonly setup: string;
  /**
   * True: the fresh stack and new processes on the filled Redis were measured side by side, in turns
   * (measureAlternately); absent in results of the version that measured one stack before and after
   * its fill.
   */
  readonly alternated?: boolean;
  readonly fresh: RetainedPhase;
  /** The fill: tasks run, wall time, and the rate of each slice of up to 50,000 (with the retained count after it). */
  readonly fill: { readonly tasks: number; readonly ms: number; readonly slices: readonly { readonly retainedAfter: number; readonly tasksPerS: number }[] };
  /**
   * Redis's table doubling (table-doubling.ts): the key count the measurement would have crossed
   * (undefined: none), the tasks filled beyond the target to pass it first, and the wait after the
   * fill for Redis to finish moving its key and expiry tables (settled: it finished within the wait).
   * Absent in results saved before it was measured.
   */
  readonly doubling?: { readonly crossing: number | undefined; readonly beyond: number; readonly settleMs: number; readonly settled: boolean };
  /** Redis after the fresh stack's measurement, the filled one's after the fill, and at the end. */
  readonly footprint: { readonly fresh: RedisFootprint; readonly filled: RedisFootprint; readonly end: RedisFootprint };
  /** Retention left (s) before the sweep may delete a task: the newest filled task's just after the fill, the oldest's at the end (both must be > 0). */
  readonly retention: { readonly ttlAfterFillS: number; readonly oldestLeftAtEndS: number };
  readonly filled: RetainedPhase;
  /** Filled over fresh. */
  readonly ratios: { readonly throughput: number; readonly p50: number; readonly p95: number; readonly p99: number };
  /** Run-to-run noise, relative: spread of the throughput rounds and of the p50s of fifths of the samples (the larger of both phases). */
  readonly noise: { readonly throughput: number; readonly p50: number };
  readonly floors: readonly FloorCheck[];
}

/**
 * Parses used_memory and used_memory_human out of `INFO memory`.
 *
 * @example
 * parseMemoryInfo("# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n"); // { usedMemory: 1048576, usedMemoryHuman: "1.00M" }
 */
export function parseMemoryInfo(info: string): { usedMemory: number; usedMemoryHuman: string } {
  const field = (name: string): string => {
    const m = new RegExp(`^${name}:(.*)$`, "m").exec(info);
    if (m === null) throw new Error(`INFO memory has no ${name} field: ${info.slice(0, 200)}`);
    return (m[1] as string).trim();
  };
  return { usedMemory: Number(field("used_memory")), usedMemoryHuman: field("used_memory_human") };
}

async function footprint(redis: Redis): Promise<RedisFootprint> {
  return { ...parseMemoryInfo(await redis.info("memory")), keys: await redis.dbsize() };
}

/** The stack's retention: it sets no RETENTION, so the default. */
const RETENTION_MS = 24 * 3_600_000;

/**
 * Seconds left before the retention's sweep may delete a finished task (its finish time plus the
 * retention, from now); throws if it is gone or unfinished (retention not as assumed).
 */
async function retentionLeftSeconds(redis: Redis, taskId: string): Promise<number> {
  const raw = await redis.get(KEYS.task(taskId));
  if (raw === null) throw new Error(`task ${taskId} is no longer in Redis: it was swept during the run; the retained figures would be wrong (set a longer RETENTION)`);
  const t = JSON.parse(raw) as { status?: string; updatedAt?: number };
  if (t.status !== "COMPLETED" || typeof t.updatedAt !== "number") throw new Error(`task ${taskId} is ${t.status}, not COMPLETED; the fill should have finished it`);
  return (t.updatedAt + RETENTION_MS - Date.now()) / 1000;
}

const phase = (retainedBefore: number, f: StackFigures): RetainedPhase => ({
  retainedBefore, rounds: f.rounds, throughput: f.throughput, latency: f.latency, samples: f.samples.map(us), cpu: f.cpu,
});

/**
 * Runs the section: fills a redis-local/thread stack, replaces its API and dispatcher, starts a fresh
 * stack beside it, and measures both in turns.
 *
 * @example
 * const section = await runRetained(parseOptions(["--only", "retained", "--retained", "200000"]), progress);
 */
export async function runRetained(o: Options, progress: Progress): Promise<RetainedSection> {
  const s = o.sizes;
  const target = Math.round(s.retained);
  const n = target.toLocaleString("en-US");
  const spec = { mode: "redis-local", isolation: "thread", executors: s.executors, workerProcs: s.workerProcs, redisNice: o.redisNice } as const;
  progress.step(`retained: start a stack and fill it to ${n} finished tasks`);
  const server = await startStackRedis(spec);
  const redis = new Redis(server.url, { maxRetriesPerRequest: 3 });
  const stacks: Stack[] = [];
  let freshRedis: Redis | undefined;
  try {
    const filler = await startStack(spec, { redis: server });
    stacks.push(filler);
    const fid = await registerFunction(filler.url, NOOP);
    const slices: { retainedAfter: number; tasksPerS: number }[] = [];
    let filled = 0;
    let firstId: string | undefined;
    let lastId: string | undefined;
    const t0 = performance.now();
    const fill = async (count: number): Promise<void> => {
      for (let done = 0; done < count; ) {
        const size = Math.min(FILL_SLICE, count - done);
        const base = filled;
        const goal = filled + count - done;
        const run = await runBatch(filler.url, fid, Array.from({ length: size }, () => "[]"), { allCompleted: true, onProgress: (d) => progress.update(base + d, goal) });
        assertCompleted(run);
        firstId ??= run.ids[0];
        lastId = run.ids.at(-1);
        done += size;
        filled += size;
        slices.push({ retainedAfter: filled, tasksPerS: (size * 1000) / run.ms });
      }
    };
    await fill(target);
    // past the doubling of Redis's tables that the measurement would cross, then wait for it to end (table-doubling.ts)
    const keysAfterFill = await redis.dbsize();
    const crossing = doublingWithin(keysAfterFill, measuredTasks(s));
    const beyond = crossing === undefined ? 0 : crossing + DOUBLING_MARGIN - keysAfterFill;
    if (beyond > 0) {
      progress.note(`retained: the measurement would cross Redis's table doubling at ${crossing?.toLocaleString("en-US")} keys: ${beyond.toLocaleString("en-US")} more tasks first`);
      await fill(beyond);
    }
    const fillMs = performance.now() - t0;
    const settle = await waitForSettledTables(redis, SETTLE_TIMEOUT_MS);
    const filledFootprint = await footprint(redis);
    const ttlAfterFillS = lastId === undefined ? Number.NaN : await retentionLeftSeconds(redis, lastId);
    progress.note(`retained: filled ${filled.toLocaleString("en-US")} tasks in ${(fillMs / 1000).toFixed(1)} s; Redis ${filledFootprint.usedMemoryHuman}, ${filledFootprint.keys.toLocaleString("en-US")} keys`);

    progress.step("retained: a new API and dispatcher on the filled Redis, a fresh stack beside them");
    await filler.stop(); // its processes ran the fill: new ones start as cold as the fresh stack's
    const full = await startStack(spec, { redis: server });
    stacks.push(full);
    const fresh = await startStack(spec);
    stacks.push(fresh);
    freshRedis = new Redis(fresh.redisUrl as string, { maxRetriesPerRequest: 3 });
    const freshFid = await registerFunction(fresh.url, NOOP);

    progress.step(`retained: fresh and ${n} retained, in turns: throughput`);
    const [a, b] = (await measureAlternately(
      [
        { url: fresh.url, fid: freshFid, label: "retained: fresh", readCpu: cpuReader(fresh.processes) },
        { url: full.url, fid, label: `retained: ${n} retained`, readCpu: cpuReader(full.processes) },
      ],
      s,
      progress,
    )) as [StackFigures, StackFigures];
    const freshFootprint = await footprint(freshRedis);
    const endFootprint = await footprint(redis);
    const oldestLeftAtEndS = firstId === undefined ? Number.NaN : await retentionLeftSeconds(redis, firstId);

    const noise = measurementNoise(a, b);
    const floors = checkRetainedFloors({
      retained: target,
      fresh: { throughput: a.throughput, p50: a.latency.p50 },
      filled: { throughput: b.throughput, p50: b.latency.p50 },
      noise,
    });
    return {
      sizes: { tasks: s.tasks, rounds: s.rounds, serial: s.serial, warmup: s.warmup, serialWarmup: s.serialWarmup, retained: target },
      setup: full.describe,
      alternated: true,
      fresh: phase(0, a),
      fill: { tasks: filled, ms: fillMs, slices },
      doubling: { crossing, beyond, settleMs: settle.ms, settled: settle.settled },
      footprint: { fresh: freshFootprint, filled: filledFootprint, end: endFootprint },
      retention: { ttlAfterFillS, oldestLeftAtEndS },
      filled: phase(filled, b),
      ratios: {
        throughput: b.throughput / a.throughput,
        p50: b.latency.p50 / a.latency.p50,
        p95: b.latency.p95 / a.latency.p95,
        p99: b.latency.p99 / a.latency.p99,
      },
      noise,
      floors,
    };
  } finally {
    redis.disconnect();
    freshRedis?.disconnect();
    await Promise.all(stacks.map((st) => st.stop()));
    await server[Symbol.asyncDispose]();
  }
}
