/**
 * What the one-task path's topology costs by itself (not a test): one task at a time through the
 * same processes and hops as ours, with nothing of ours in them (scripts/lib/bare-hops.ts: `Bun.serve`,
 * one `XADD`, a blocking `XREAD`, our ZMTP, a Worker thread, one `PUBLISH`), beside our own stack of
 * that mode and BullMQ, measured alternately in the same minutes by the evaluation's own client
 * (`oneAtATime`) and BullMQ harness. When the bare hops' p50 is above BullMQ's, no change to our
 * code can bring that mode's p50 under BullMQ's on this machine.
 *
 * Modes: `embedded` (client, server, its executor thread), `local` (client, API, Redis, dispatcher
 * with its executor thread), `push` (as local, the executor thread in one of 2 worker processes
 * reached over ZMTP).
 *
 * Each is warmed up first as the evaluation does: `--warmup` tasks in batches (ours and BullMQ), then
 * `--serial-warmup` one at a time (all three).
 *
 *   bun scripts/bench-hops.ts [--tasks 2000] [--warmup 3000] [--serial-warmup 10000] [--rounds 2] [--modes embedded,local,push]
 */
import { flag } from "../src/app/config.ts";
import { startBullmq } from "./evaluate/bullmq.ts";
import { oneAtATime, registerFunction } from "./evaluate/client.ts";
import type { ModeName } from "./evaluate/floors.ts";
import { Progress } from "./evaluate/progress.ts";
import { bareP50, warmUp } from "./evaluate/modes.ts";
import { startStack, stopAllStacks } from "./evaluate/stacks.ts";
import { median, summarize } from "./evaluate/stats.ts";
import { BARE_MODES, type BareMode } from "./lib/bare-stack.ts";
import { killAll } from "./lib/processes.ts";
import { inTurn } from "./lib/run-order.ts";

const OURS: Record<BareMode, ModeName> = { embedded: "embedded", local: "redis-local", push: "redis-push" };

const argv = Bun.argv.slice(2);
const tasks = Number(flag(argv, "tasks") ?? 2000);
const warmup = Number(flag(argv, "warmup") ?? 3000);
const serialWarmup = Number(flag(argv, "serial-warmup") ?? 10_000);
const rounds = Number(flag(argv, "rounds") ?? 2);
const modes = (flag(argv, "modes") ?? BARE_MODES.join(",")).split(",") as BareMode[];
for (const [name, n] of [["tasks", tasks], ["warmup", warmup], ["serial-warmup", serialWarmup], ["rounds", rounds]] as const) {
  const zeroOk = name === "warmup" || name === "serial-warmup";
  if (!Number.isInteger(n) || n < (zeroOk ? 0 : 1)) throw new Error(`--${name} must be a whole number${zeroOk ? "" : " above 0"}, got "${flag(argv, name)}"`);
}
for (const m of modes) if (!BARE_MODES.includes(m)) throw new Error(`--modes takes ${BARE_MODES.join(", ")} (comma-separated), got "${m}"`);
const quiet = new Progress(0, { write: () => true });

/** p50 (ms) of `tasks` one at a time through our stack of `mode`, warmed up as the evaluation does. */
async function oursP50(mode: BareMode): Promise<number> {
  const stack = await startStack({ mode: OURS[mode], isolation: "thread", executors: 2, workerProcs: 2 });
  try {
    const fid = await registerFunction(stack.url, "() => null");
    await warmUp(stack.url, fid, { warmup, serialWarmup });
    return summarize(await oneAtATime(stack.url, fid, tasks)).p50;
  } finally {
    await stack.stop();
  }
}

const bull = await startBullmq(50);
const figures = new Map<string, number[]>();
const add = (key: string, v: number): void => void figures.set(key, [...(figures.get(key) ?? []), v]);
try {
  for (let r = 0; r < rounds; r++) {
    const s = await bull.measure({ tasks: 1000, rounds: 1, serial: tasks, warmup, serialWarmup, concurrency: 50 }, quiet, `round ${r + 1}`);
    add("bullmq", summarize(s.latencies).p50);
    console.error(`round ${r + 1}: BullMQ p50 ${(figures.get("bullmq")?.at(-1) as number).toFixed(3)} ms`);
    for (const mode of modes) {
      // bare first in odd rounds, ours first in even ones
      const order = inTurn(["bare", "ours"] as const, r);
      for (const which of order) {
        const p50 = which === "bare" ? await bareP50(mode, { serialWarmup, serial: tasks }) : await oursP50(mode);
        add(`${which} ${mode}`, p50);
        console.error(`round ${r + 1}: ${which} ${mode} p50 ${p50.toFixed(3)} ms`);
      }
    }
  }
} finally {
  await bull.stop();
  await stopAllStacks();
  await killAll();
}

const bullP50 = median(figures.get("bullmq") as number[]);
const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(3)).join(", ");
console.log(`one task at a time, ${tasks} tasks per measurement, ${rounds} rounds alternated; p50 in ms (median of the rounds, then each round)`);
console.log(`BullMQ                 ${bullP50.toFixed(3)}  (${fmt(figures.get("bullmq") as number[])})`);
for (const mode of modes) {
  const bare = figures.get(`bare ${mode}`) as number[];
  const ours = figures.get(`ours ${mode}`) as number[];
  console.log(`${mode.padEnd(9)} bare hops    ${median(bare).toFixed(3)}  (${fmt(bare)})  = ${(median(bare) / bullP50).toFixed(2)}x BullMQ's`);
  console.log(`${mode.padEnd(9)} ours         ${median(ours).toFixed(3)}  (${fmt(ours)})  = ${(median(ours) / bullP50).toFixed(2)}x BullMQ's, ${(median(ours) / median(bare)).toFixed(2)}x the bare hops`);
}
