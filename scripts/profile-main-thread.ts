/**
 * Where a lone task's time goes on one process's main thread, by JavaScript function (not a test;
 * needs Linux `perf`). Starts a stack as the evaluation does, with JavaScriptCore's JIT dump on, runs
 * lone tasks (POST /execute_function?wait=10, the evaluation's client) while `perf record -g` samples
 * the chosen process's main thread, names the JIT frames from the dump (jit-dump.ts), and prints per
 * task: the thread's CPU in JavaScript (with the native calls it made) and outside it, what the event
 * loop called (the outermost JavaScript function), and where the time went (the innermost one).
 * Bun's binary is stripped: native frames are charged to the JavaScript that called them.
 *
 * With `--batch`, the tasks go in batches instead (the evaluation's throughput rounds: 1,000 per
 * /execute_batch, their results read back through POST /wait), the warm-up too.
 *
 *   bun scripts/profile-main-thread.ts [--mode embedded|redis-local] [--process server|api|dispatcher]
 *                                      [--tasks 20000] [--warmup 20000] [--top 25] [--batch]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { flag } from "../src/app/config.ts";
import { assertCompleted, oneAtATime, registerFunction, runBatch } from "./evaluate/client.ts";
import { startStack, stopAllStacks } from "./evaluate/stacks.ts";
import { perfMap, readJitDump } from "./lib/jit-dump.ts";
import { innermostJs, outermostJs, parsePerfScript, type Sample, sumBy } from "./lib/perf-samples.ts";
import { waitFor } from "./lib/wait-for.ts";

const argv = process.argv.slice(2);
const mode = flag(argv, "mode") ?? "embedded";
const role = flag(argv, "process") ?? (mode === "embedded" ? "server" : "api");
const tasks = Number(flag(argv, "tasks") ?? 20_000);
const warmup = Number(flag(argv, "warmup") ?? 20_000);
const top = Number(flag(argv, "top") ?? 25);
const batch = argv.includes("--batch");
if ((mode !== "embedded" && mode !== "redis-local") || !["server", "api", "dispatcher"].includes(role)) {
  console.error("usage: bun scripts/profile-main-thread.ts [--mode embedded|redis-local] [--process server|api|dispatcher] [--tasks N] [--warmup N] [--top N]");
  process.exit(2);
}
if (Bun.which("perf") === null) {
  console.error("this needs Linux perf (apt-get install linux-perf), allowed to sample (kernel.perf_event_paranoid <= 2 for your own processes)");
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), "faas-profile-"));
// read by the processes the stack starts (JSC reads its options at start-up)
process.env.BUN_JSC_useJITDump = "1";
process.env.BUN_JSC_jitDumpDirectory = dir;
const maps: string[] = [];
try {
  const stack = await startStack({ mode, isolation: "thread", executors: 2, workerProcs: 0 });
  const pid = stack.processes.find((p) => p.role === role)?.pid;
  if (pid === undefined) throw new Error(`${mode} has no ${role} process (it has ${stack.processes.map((p) => p.role).join(", ")})`);
  const fid = await registerFunction(stack.url, "() => null");
  const kind = batch ? "tasks in batches" : "lone tasks";
  const run = async (n: number): Promise<void> => {
    if (batch) assertCompleted(await runBatch(stack.url, fid, Array.from({ length: n }, () => "[]"), { allCompleted: true }));
    else await oneAtATime(stack.url, fid, n);
  };
  console.log(`${mode}: ${warmup} ${kind} to warm up, then ${tasks} with ${role} (pid ${pid}) sampled`);
  await run(warmup);
  const data = join(dir, "perf.data");
  const rec = Bun.spawn(["perf", "record", "-k", "1", "-g", "-e", "cpu-clock", "-F", "2999", "-t", String(pid), "-o", data], { stdout: "ignore", stderr: "pipe" });
  await waitFor(() => existsSync(data), "perf to start recording", 10_000, 20);
  await run(tasks);
  rec.kill("SIGINT");
  await rec.exited;
  for (const f of readdirSync(dir).filter((n) => n.startsWith("jit-") && n.endsWith(".dump"))) {
    const dump = readJitDump(readFileSync(join(dir, f)));
    const map = `/tmp/perf-${dump.pid}.map`;
    writeFileSync(map, perfMap(dump.code));
    maps.push(map);
  }
  const script = Bun.spawnSync(["perf", "script", "-i", data], { stdout: "pipe", stderr: "ignore" });
  report(parsePerfScript(script.stdout.toString()), tasks);
  await stack.stop();
} finally {
  await stopAllStacks();
  rmSync(dir, { recursive: true, force: true });
  for (const m of maps) rmSync(m, { force: true });
}

function report(samples: readonly Sample[], n: number): void {
  const us = (ns: number) => (ns / 1000 / n).toFixed(1).padStart(7);
  const total = samples.reduce((a, s) => a + s.period, 0);
  const inJs = samples.filter((s) => innermostJs(s) !== undefined).reduce((a, s) => a + s.period, 0);
  console.log(`\n${samples.length} samples; the main thread per task: ${us(total).trim()} us, in JavaScript (and what it called) ${us(inJs).trim()}, outside ${us(total - inJs).trim()}`);
  console.log(`\nwhat the event loop called (outermost JavaScript function), us per task:`);
  for (const [k, v] of sumBy(samples, outermostJs).slice(0, top)) console.log(`${us(v)}  ${k}`);
  console.log(`\nwhere the time went (innermost JavaScript function, with its native calls), us per task: in all, then in`);
  console.log(`the kernel / in Bun's native code or libc / in JIT code; and its caller:`);
  const callers = new Map<string, Map<string, number>>();
  const leaves = new Map<string, [kernel: number, native: number, jit: number]>();
  for (const s of samples) {
    const js = s.frames.filter((f) => f.js !== undefined && !f.js.includes("Thunk")).map((f) => f.js as string);
    const fn = js[0] ?? "(no JavaScript)";
    const by = callers.get(fn) ?? new Map<string, number>();
    by.set(js[1] ?? "(event loop)", (by.get(js[1] ?? "(event loop)") ?? 0) + s.period);
    callers.set(fn, by);
    const leaf = leaves.get(fn) ?? [0, 0, 0];
    const where = s.frames[0]?.where;
    leaf[where === "kernel" ? 0 : where === "jit" ? 2 : 1] += s.period;
    leaves.set(fn, leaf);
  }
  for (const [k, v] of sumBy(samples, innermostJs).slice(0, top)) {
    const caller = k === "(no JavaScript)" ? "" : ([...(callers.get(k) ?? [])].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "");
    const [kernel, native, jit] = (leaves.get(k) ?? [0, 0, 0]).map((x) => us(x).trim());
    console.log(`${us(v)}  ${`${kernel} / ${native} / ${jit}`.padEnd(20)}  ${k}${caller === "" ? "" : `  < ${caller}`}`);
  }
}
