/**
 * What a task in a batch allocates on the JavaScript heap of each of our processes, and what a finished
 * task keeps there (not a test). The garbage a task leaves is what the collector works through; in a
 * throughput round it shares the two cores with everything else.
 *
 * Allocated: a stack whose processes run with the collector off (`BUN_JSC_useGC=0`) and
 * scripts/lib/heap-probe.ts preloaded; after `--warmup` tasks in batches, each of `--reps` batches of
 * `--tasks` no-op tasks (one /execute_batch, its results read back through POST /wait) runs between two
 * probes, and the difference is printed per task, by cell type (JavaScriptCore's `heapStats`).
 * Kept: another stack with the collector on; the heap after full collections before and after
 * `--kept` more tasks, per task.
 *
 *   bun scripts/profile-allocations.ts [--mode embedded|redis-local] [--tasks 1000] [--reps 3] [--warmup 30000] [--kept 100000]
 */
import { join } from "node:path";
import { flag } from "../src/app/config.ts";
import { assertCompleted, registerFunction, runBatch } from "./evaluate/client.ts";
import type { ModeName } from "./evaluate/floors.ts";
import { type Stack, startStack, stopAllStacks } from "./evaluate/stacks.ts";
import { readLog } from "./lib/processes.ts";
import { waitFor } from "./lib/wait-for.ts";

const argv = Bun.argv.slice(2);
const mode = (flag(argv, "mode") ?? "embedded") as ModeName;
const tasks = Number(flag(argv, "tasks") ?? 1000);
const reps = Number(flag(argv, "reps") ?? 3);
const warmup = Number(flag(argv, "warmup") ?? 30_000);
const kept = Number(flag(argv, "kept") ?? 100_000);
if (mode !== "embedded" && mode !== "redis-local") throw new Error(`--mode must be embedded or redis-local, got "${mode}"`);
for (const [name, n] of [["tasks", tasks], ["reps", reps], ["warmup", warmup], ["kept", kept]] as const) {
  if (!Number.isInteger(n) || n < (name === "warmup" || name === "kept" ? 0 : 1)) throw new Error(`--${name} must be a whole number, got "${flag(argv, name)}"`);
}

interface Probe {
  readonly heapSize: number;
  readonly heapCapacity: number;
  readonly cells: Readonly<Record<string, number>>;
}

/** Each of the stack's processes that runs our code (not redis-server), with its log. */
function probed(stack: Stack): { readonly role: string; readonly pid: number; readonly log: string }[] {
  const out = [{ role: mode === "embedded" ? "server" : "api", m: stack.server }, { role: "dispatcher", m: stack.dispatcher }];
  return out.flatMap(({ role, m }) => (m === undefined ? [] : [{ role, pid: m.proc.pid, log: m.log }]));
}

/** Signals each process and reads back the probe line it writes. */
async function probe(ps: readonly { readonly pid: number; readonly log: string }[]): Promise<Probe[]> {
  const from = ps.map((p) => readLog(p.log).length);
  for (const p of ps) process.kill(p.pid, "SIGUSR2");
  return Promise.all(
    ps.map((p, i) =>
      waitFor(() => {
        const line = readLog(p.log).slice(from[i]).split("\n").find((l) => l.startsWith("HEAP-PROBE "));
        return line === undefined ? undefined : (JSON.parse(line.slice("HEAP-PROBE ".length)) as Probe);
      }, `process ${p.pid} to answer the heap probe`, 60_000, 20),
    ),
  );
}

/** Starts the stack with the probe preloaded into its processes, and `env` in their environment. */
async function start(env: Record<string, string>): Promise<Stack> {
  const before = { ...process.env };
  Object.assign(process.env, { BUN_OPTIONS: `--preload ${join(import.meta.dir, "lib", "heap-probe.ts")}`, ...env });
  try {
    return await startStack({ mode, isolation: "thread", executors: 2, workerProcs: 0 });
  } finally {
    for (const k of ["BUN_OPTIONS", ...Object.keys(env)]) {
      if (before[k] === undefined) delete process.env[k];
      else process.env[k] = before[k];
    }
  }
}

const batch = (url: string, fid: string, n: number) => runBatch(url, fid, Array.from({ length: n }, () => "[]"), { allCompleted: true, inflight: 1 }).then(assertCompleted);

try {
  console.log(`${mode}: ${warmup} tasks to warm up, then ${reps} batches of ${tasks}, collector off`);
  const off = await start({ BUN_JSC_useGC: "0" });
  const ps = probed(off);
  const fid = await registerFunction(off.url, "() => null");
  for (let done = 0; done < warmup; done += tasks) await batch(off.url, fid, Math.min(tasks, warmup - done));
  for (let r = 0; r < reps; r++) {
    const before = await probe(ps);
    await batch(off.url, fid, tasks);
    const after = await probe(ps);
    for (let i = 0; i < ps.length; i++) {
      const a = before[i] as Probe;
      const b = after[i] as Probe;
      const by = Object.keys(b.cells).map((k) => [k, ((b.cells[k] ?? 0) - (a.cells[k] ?? 0)) / tasks] as const).filter(([, v]) => v >= 0.05).sort((x, y) => y[1] - x[1]);
      const cells = by.reduce((s, [, v]) => s + v, 0);
      console.log(`  ${(ps[i] as { role: string }).role}: ${cells.toFixed(1)} cells, ${((b.heapCapacity - a.heapCapacity) / tasks).toFixed(0)} B of heap a task: ${by.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")}`);
    }
  }
  await off.stop();
  if (kept > 0) {
    console.log(`${mode}: what a finished task keeps (collector on; full collections before and after ${kept} tasks)`);
    const on = await start({ HEAP_PROBE_COLLECT: "1" });
    const ps2 = probed(on);
    const fid2 = await registerFunction(on.url, "() => null");
    await batch(on.url, fid2, tasks);
    const before = await probe(ps2);
    for (let done = 0; done < kept; done += tasks) await batch(on.url, fid2, Math.min(tasks, kept - done));
    const after = await probe(ps2);
    for (let i = 0; i < ps2.length; i++) {
      const a = before[i] as Probe;
      const b = after[i] as Probe;
      const cells = Object.keys(b.cells).reduce((s, k) => s + (b.cells[k] ?? 0) - (a.cells[k] ?? 0), 0);
      console.log(`  ${(ps2[i] as { role: string }).role}: ${((b.heapSize - a.heapSize) / kept).toFixed(0)} B of heap and ${(cells / kept).toFixed(2)} cells a task (strings ${(((b.cells.string ?? 0) - (a.cells.string ?? 0)) / kept).toFixed(2)})`);
    }
    await on.stop();
  }
} finally {
  await stopAllStacks();
}
