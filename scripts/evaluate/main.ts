/**
 * `npm run evaluate`: reproduces the project's evaluation on this machine (see options.ts for the
 * flags) and writes report.md, results.json and the SVG plots to docs/evaluation/ (a full run) or
 * .evaluation/ (a --quick or partial run). Every process and temp dir it starts is removed on the way
 * out, after a failure, or on Ctrl-C / SIGTERM.
 *
 *   npm run evaluate                      # everything, full sizes (6-7 minutes on 2 cores, the retained section's fill included)
 *   npm run evaluate -- --quick           # small sizes, a smoke run
 *   npm run evaluate -- --only scaling --cpu-per-executor 50
 *   npm run evaluate -- --only retained --retained 200000
 *   npm run evaluate -- --from docs/evaluation/results.json   # re-render report and plots only
 *   npm run evaluate -- --idle-poll       # idle CPUs poll for the whole run (root): docs/evaluation/idle-poll/
 *   npm run evaluate -- --redis-nice -10  # every redis-server at niceness -10 (root): docs/evaluation/redis-nice/
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dumpLogs, killAll } from "../lib/processes.ts";
import { removeTempDirs } from "../lib/temp-dirs.ts";
import { type CpuLatencyHold, holdCpuLatency } from "./cpu-idle.ts";
import { load, machine } from "./machine.ts";
import { measurePace } from "./pace.ts";
import { modeSteps, runModes } from "./modes.ts";
import { HELP, parseOptions, wantsHelp } from "./options.ts";
import { plots } from "./plots.ts";
import { Progress } from "./progress.ts";
import { runRecovery } from "./recovery.ts";
import { RETAINED_STEPS, runRetained } from "./retained.ts";
import { type Evaluation, renderReport } from "./report.ts";
import { EXECUTOR_COUNTS, runScaling } from "./scaling.ts";
import { stopAllStacks } from "./stacks.ts";
import { runUneven } from "./uneven.ts";

const argv = Bun.argv.slice(2);
if (wantsHelp(argv)) {
  process.stdout.write(HELP);
  process.exit(0);
}
const o = parseOptions(argv);
if (o.from !== undefined) {
  const saved = JSON.parse(readFileSync(o.from, "utf8")) as Evaluation;
  write(saved, o.out);
  process.exit(0);
}

/** Writes report.md, results.json and the plots of `e` to `dir`, and the report to stdout. */
function write(e: Evaluation, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const report = renderReport(e);
  writeFileSync(join(dir, "report.md"), report);
  writeFileSync(join(dir, "results.json"), `${JSON.stringify(e)}\n`);
  for (const [name, svg] of Object.entries(plots(e))) writeFileSync(join(dir, name), svg);
  process.stdout.write(report);
  process.stdout.write(`\nwritten to ${dir}/ (report.md, results.json, plots)\n`);
}

let idleHold: CpuLatencyHold | undefined;

async function cleanup(): Promise<void> {
  idleHold?.release();
  await stopAllStacks();
  await killAll();
  removeTempDirs();
}

let stopping = false;
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: stopping every process the evaluation started\n`);
    void cleanup().finally(() => process.exit(code));
  });
}

const has = (s: (typeof o.sections)[number]): boolean => o.sections.includes(s);
const steps = (has("modes") ? modeSteps(o) : 0) + (has("scaling") ? EXECUTOR_COUNTS.length : 0) + (has("uneven") ? 2 : 0) + (has("recovery") ? 2 : 0) + (has("retained") ? RETAINED_STEPS : 0);
const progress = new Progress(steps);
const started = new Date();
const t0 = performance.now();
const loadBefore = load();
const facts = machine();
let evaluation: Evaluation;
try {
  if (o.idlePoll) idleHold = holdCpuLatency(0);
  const paceBefore = await measurePace();
  const modes = has("modes") ? await runModes(o, progress) : undefined;
  const scaling = has("scaling") ? await runScaling(o, progress) : undefined;
  const uneven = has("uneven") ? await runUneven(o, progress) : undefined;
  const recovery = has("recovery") ? await runRecovery(o, progress) : undefined;
  const retained = has("retained") ? await runRetained(o, progress) : undefined;
  const paceAfter = await measurePace();
  progress.finish();
  evaluation = {
    date: started.toISOString(),
    command: ["npm run evaluate", ...(argv.length > 0 ? ["--", ...argv] : [])].join(" "),
    durationS: (performance.now() - t0) / 1000,
    machine: facts,
    loadBefore,
    loadAfter: load(),
    ...(o.idlePoll && { idlePoll: true }),
    ...(o.redisNice !== undefined && { redisNice: o.redisNice }),
    paceBefore,
    paceAfter,
    ...(modes !== undefined && { modes }),
    ...(scaling !== undefined && { scaling }),
    ...(uneven !== undefined && { uneven }),
    ...(recovery !== undefined && { recovery }),
    ...(retained !== undefined && { retained }),
  };
} catch (e) {
  if (!stopping) {
    process.stderr.write(`\nevaluation failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    dumpLogs(20);
  }
  await cleanup();
  process.exit(1);
}
await cleanup();
write(evaluation, o.out);
