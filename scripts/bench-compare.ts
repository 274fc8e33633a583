/**
 * Before/after benchmark (not a test): the cost of a change as one benchmark run on two git revisions,
 * interleaved in pairs, each revision first in every other pair (base, head, head, base, ...:
 * lib/run-order.ts), so that a change in the machine's load, and the second place in a pair, hit both
 * alike.
 * Each revision is checked out in a temporary `git worktree` (under the OS temp dir, removed at the end,
 * also on failure or Ctrl-C) with this checkout's node_modules linked in, and this checkout's bench
 * scripts and scripts/lib/ copied over its own, so both are measured by the same harness. Prints per
 * revision the median and range over the runs of every figure the bench prints, then head/base of the
 * medians, and the load average before and after.
 *
 *   bun scripts/bench-compare.ts --base <rev> [--head HEAD] [--runs 5] [--bench redis|embedded|scripts]
 *                                [--timeout 900] [-- <bench args, e.g. --tasks 20000 --rounds 3>]
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { flag } from "../src/app/config.ts";
import { type BenchFigures, compareTable, parseBenchOutput } from "./lib/bench-output.ts";
import { runOrder } from "./lib/run-order.ts";
import { addWorktree, commitSubject, copyFiles, harnessFiles, missingImports, removeWorktree, resolveRevision } from "./lib/revision-worktree.ts";

const ROOT = resolve(import.meta.dir, "..");
const args = Bun.argv.slice(2);
const own = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
const benchArgs = args.includes("--") ? args.slice(args.indexOf("--") + 1) : [];
const baseRev = flag(own, "base");
if (baseRev === undefined) throw new Error("--base <rev> is required (the revision to compare against)");
const bench = flag(own, "bench") ?? "redis";
if (bench !== "redis" && bench !== "embedded" && bench !== "scripts") throw new Error(`--bench must be redis, embedded or scripts, got "${bench}"`);
const runs = Number(flag(own, "runs") ?? 5);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number of at least 1, got "${flag(own, "runs")}"`);
const timeoutMs = Number(flag(own, "timeout") ?? 900) * 1000;
const script = `scripts/bench-${bench}.ts`;
const command = [script, ...benchArgs].join(" ");

const sides = [
  { side: "base", sha: resolveRevision(ROOT, baseRev) },
  { side: "head", sha: resolveRevision(ROOT, flag(own, "head") ?? "HEAD") },
].map((s) => ({ ...s, name: `${s.side} ${s.sha.slice(0, 7)}`, dir: "", runs: [] as BenchFigures[] }));

const temp = mkdtempSync(join(tmpdir(), "bunfaas-compare-"));
let running: Subprocess | undefined;
function cleanUp(): void {
  if (running !== undefined && running.exitCode === null) process.kill(-running.pid, "SIGKILL"); // the bench and its servers
  for (const s of sides) if (s.dir !== "") removeWorktree(ROOT, s.dir);
  rmSync(temp, { recursive: true, force: true });
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    cleanUp();
    process.exit(130);
  });
}

/** One run of the bench in `dir`, in its own process group, its temp files under ours. */
async function runBench(dir: string, label: string): Promise<BenchFigures> {
  const proc = Bun.spawn([process.execPath, script, ...benchArgs], { cwd: dir, detached: true, stdout: "pipe", stderr: "pipe", stdin: "ignore", env: { ...process.env, TMPDIR: join(temp, "tmp") } });
  running = proc;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    process.kill(-proc.pid, "SIGKILL");
  }, timeoutMs);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  if (timedOut) throw new Error(`${label}: ${script} took more than --timeout ${timeoutMs / 1000} s; killed it`);
  if (code !== 0) throw new Error(`${label}: ${command} exited with ${code ?? proc.signalCode}:\n${(err || out).trim().split("\n").slice(-20).join("\n")}`);
  return parseBenchOutput(out);
}

const load = (): string => loadavg().map((v) => v.toFixed(2)).join(", ");
try {
  mkdirSync(join(temp, "tmp"));
  const harness = harnessFiles(ROOT);
  for (const s of sides) {
    s.dir = join(temp, s.side);
    addWorktree(ROOT, s.sha, s.dir);
    copyFiles(ROOT, s.dir, harness);
    const missing = missingImports(s.dir, script, harness);
    if (missing.length > 0) throw new Error(`the current ${script} cannot run at ${s.name}, which lacks what it imports:\n  ${missing.join("\n  ")}`);
  }
  console.log(`${command}: ${runs} runs per revision, interleaved, each revision first in every other pair`);
  for (const s of sides) console.log(`${s.name}: ${commitSubject(ROOT, s.sha).slice(0, 90)}`);
  console.log(`load average before: ${load()}`);
  const order = runOrder(runs);
  for (let i = 0; i < order.length; i++) {
    const s = sides[order[i] === "base" ? 0 : 1] as (typeof sides)[number];
    const t0 = performance.now();
    const figures = await runBench(s.dir, `run ${i + 1} (${s.name})`);
    s.runs.push(figures);
    const best = figures.throughput.map((t) => Math.round(t.best).toLocaleString("en-US")).join(" / ");
    console.error(`run ${i + 1}/${runs * 2} ${s.name}: best ${best} tasks/s (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  console.log(`load average after: ${load()}\n`);
  console.log(compareTable(sides[0] as (typeof sides)[number], sides[1] as (typeof sides)[number]));
} finally {
  cleanUp();
}
