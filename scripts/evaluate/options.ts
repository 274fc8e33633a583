/**
 * Command-line options of `npm run evaluate`: which sections, full or quick sizes, each size
 * overridable by a flag, and where the report goes.
 */
import { dirname } from "node:path";
import { ISOLATIONS, MODES, type ModeName, type SeriesIsolation } from "./floors.ts";

export const SECTIONS = ["modes", "scaling", "uneven", "recovery", "retained"] as const;
export type Section = (typeof SECTIONS)[number];

export interface Sizes {
  /**
   * Throughput: tasks per round, rounds, unmeasured warm-up tasks (in batches); latency: unmeasured
   * tasks one at a time, then tasks one at a time.
   */
  readonly tasks: number;
  readonly rounds: number;
  readonly warmup: number;
  readonly serialWarmup: number;
  readonly serial: number;
  /** Executors of the embedded server and the local dispatcher; worker processes in push/pull. */
  readonly executors: number;
  readonly workerProcs: number;
  readonly bullmqConcurrency: number;
  /** Scaling: CPU tasks per executor (weak), CPU tasks in all (strong), busy-loop iterations per task. */
  readonly cpuPerExecutor: number;
  readonly cpuTotal: number;
  readonly cpuIterations: number;
  /** Scaling: sleep length, and sleeps in a row per running slot (64 run at once per executor). */
  readonly sleepMs: number;
  readonly sleepRounds: number;
  /** Push vs pull: tasks, short and long sleep, share of long ones. */
  readonly unevenTasks: number;
  readonly shortMs: number;
  readonly longMs: number;
  readonly longShare: number;
  /** Recovery: tasks (sleeping `recoverySleepMs`), killed worker at this share done. */
  readonly recoveryTasks: number;
  readonly recoverySleepMs: number;
  readonly killAt: number;
  /** Retained: finished tasks kept in Redis before the figures are measured again. */
  readonly retained: number;
}

export interface Options {
  readonly sections: readonly Section[];
  readonly modes: readonly ModeName[];
  readonly isolations: readonly SeriesIsolation[];
  readonly sizes: Sizes;
  readonly quick: boolean;
  readonly out: string;
  /** True when this is the full evaluation (all sections, full sizes): the one the docs come from. */
  readonly full: boolean;
  /** Measure nothing: render report.md and the plots again from this results.json. */
  readonly from?: string;
  /** Hold a CPU latency request of 0 us for the whole run, so idle CPUs poll (cpu-idle.ts). */
  readonly idlePoll: boolean;
  /** Run every redis-server of the run (ours and BullMQ's) at this niceness (`--redis-nice`). */
  readonly redisNice?: number;
}

/**
 * The full evaluation's sizes. The warm-up is three rounds' worth, for ours and BullMQ alike: with 3,000
 * unmeasured tasks the first measured rounds still ran slow while the runtimes compiled their hot paths
 * (2026-11-26: embedded 93,819 then 118,562, 128,696, 146,491 tasks/s; BullMQ 9,586 then up to 13,981),
 * and with one round's worth (30,000, until 2026-11-28) a fresh process still spent its measured
 * rounds growing to its working size and compiling its per-batch code into the top tier (2026-11-28:
 * the API's memory grew until about its 90,000th task, faulting fresh pages at 10-16 us each on these
 * machines, 15-21 us of CPU a task against 8-12 after; the embedded server compiled 36-163 ms a round
 * in the rounds after its 60,000th task, up to a third of its CPU), while BullMQ's worker and its
 * redis-server run from the first session to the last and only its producer starts fresh.
 * The one-at-a-time warm-up is 10,000 tasks, for ours and BullMQ alike, right before the samples: a
 * fresh API and dispatcher keep compiling their one-task path for thousands of lone tasks (2026-11-27,
 * after a 3,000-task warm-up in batches: redis-local's p50 over BullMQ's 1.47x, 1.20x, 0.94x after 300,
 * 3,300 and 6,300 lone tasks, and again 1.54x, 1.40x, 1.02x; their JIT threads still busy up to about
 * 10,000), while BullMQ's worker and one-at-a-time client run from the first series to the last.
 */
export const FULL: Sizes = {
  tasks: 30_000, rounds: 5, warmup: 90_000, serialWarmup: 10_000, serial: 3_000, executors: 2, workerProcs: 2, bullmqConcurrency: 50,
  cpuPerExecutor: 100, cpuTotal: 400, cpuIterations: 2_000_000, sleepMs: 100, sleepRounds: 5,
  unevenTasks: 4_000, shortMs: 10, longMs: 500, longShare: 0.1,
  recoveryTasks: 2_000, recoverySleepMs: 100, killAt: 0.3, retained: 1_000_000,
};

export const QUICK: Sizes = {
  ...FULL, tasks: 1_000, rounds: 1, warmup: 200, serialWarmup: 20, serial: 200,
  cpuPerExecutor: 10, cpuTotal: 40, sleepRounds: 2, unevenTasks: 400, recoveryTasks: 400, retained: 20_000,
};

const SIZE_FLAGS: Record<string, keyof Sizes> = {
  tasks: "tasks", rounds: "rounds", warmup: "warmup", "serial-warmup": "serialWarmup", serial: "serial", executors: "executors", "worker-procs": "workerProcs",
  "bullmq-concurrency": "bullmqConcurrency", "cpu-per-executor": "cpuPerExecutor", "cpu-total": "cpuTotal", "cpu-iterations": "cpuIterations",
  "sleep-ms": "sleepMs", "sleep-rounds": "sleepRounds", "uneven-tasks": "unevenTasks", "short-ms": "shortMs", "long-ms": "longMs",
  "long-share": "longShare", "recovery-tasks": "recoveryTasks", "recovery-sleep-ms": "recoverySleepMs", "kill-at": "killAt", retained: "retained",
};

export const HELP = `Usage: npm run evaluate -- [flags]

Reproduces the project's evaluation on this machine and writes docs/evaluation/ (report.md, SVG plots,
results.json). Sections: modes (throughput and latency of every mode, thread and sandbox isolation,
push and pull over NULL and CURVE, with BullMQ side by side), scaling (1/2/4/8 executors, CPU-bound and sleeping tasks), uneven (push vs
pull with short and long tasks), recovery (a worker killed with SIGKILL mid-run), retained (Redis with
a local dispatcher measured fresh, then again with --retained finished tasks kept in Redis).

  --quick                 small sizes: a smoke run of a minute or two
  --only <section>        run one section (or a comma list): ${SECTIONS.join(", ")}
  --modes <list>          modes to measure (default all): ${MODES.join(", ")}
                          (-curve: push/pull over ZMTP CURVE; measured in the thread series only)
  --isolations <list>     isolation series (default thread,sandbox)
  --idle-poll             idle CPUs poll instead of halting for the whole run, BullMQ's rounds included
                          (holds a CPU latency request of 0 us on /dev/cpu_dma_latency: needs root);
                          a full run then writes docs/evaluation/idle-poll/
  --redis-nice <n>        every redis-server of the run (ours, the bare hops' and BullMQ's) at niceness n (-20 to 19;
                          below 0 needs root): Redis ahead of the processes that wait on it for CPU;
                          a full run then writes docs/evaluation/redis-nice/ (with --idle-poll:
                          docs/evaluation/idle-poll-redis-nice/)
  --out <dir>             where to write (default docs/evaluation for a full run, .evaluation otherwise)
  --retained <n>          finished tasks to keep in Redis for the retained section (default 1000000;
                          20000 with --quick)
  --from <results.json>   measure nothing: render report.md and the plots again from saved results
                          (written next to that file unless --out is given)
  --help                  this text
Sizes (full / quick defaults in scripts/evaluate/options.ts): ${Object.keys(SIZE_FLAGS).map((f) => `--${f}`).join(" ")}
`;

function list<T extends string>(text: string | undefined, allowed: readonly T[], what: string): readonly T[] | undefined {
  if (text === undefined) return undefined;
  const items = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const item of items) if (!allowed.includes(item as T)) throw new Error(`${what} must be among ${allowed.join(", ")}, got "${item}"`);
  return items as T[];
}

/**
 * Parses the evaluation's flags. Throws with what was expected on a bad value or an unknown flag.
 *
 * @example
 * parseOptions(["--quick", "--only", "scaling"]).sections; // ["scaling"]
 * parseOptions(["--tasks", "500"]).sizes.tasks; // 500
 */
export function parseOptions(argv: readonly string[]): Options {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith("--")) throw new Error(`expected a flag like --quick, got "${a}"`);
    const [name, inline] = a.slice(2).split("=", 2) as [string, string | undefined];
    if (name === "quick" || name === "help" || name === "idle-poll") {
      switches.add(name);
      continue;
    }
    if (!["only", "modes", "isolations", "out", "from", "redis-nice"].includes(name) && SIZE_FLAGS[name] === undefined) throw new Error(`unknown flag --${name}; see --help`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    values.set(name, value);
  }
  const quick = switches.has("quick");
  const sizes: Record<string, number> = { ...(quick ? QUICK : FULL) };
  for (const [flagName, key] of Object.entries(SIZE_FLAGS)) {
    const text = values.get(flagName);
    if (text === undefined) continue;
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${flagName} must be a positive number, got "${text}"`);
    sizes[key] = n;
  }
  const sections = list(values.get("only"), SECTIONS, "--only") ?? SECTIONS;
  const modes = list(values.get("modes"), MODES, "--modes") ?? MODES;
  const isolations = list(values.get("isolations"), ISOLATIONS, "--isolations") ?? ISOLATIONS;
  const niceText = values.get("redis-nice");
  const redisNice = niceText === undefined ? undefined : Number(niceText);
  if (redisNice !== undefined && !(Number.isInteger(redisNice) && redisNice >= -20 && redisNice <= 19)) throw new Error(`--redis-nice must be a whole number from -20 to 19, got "${niceText}"`);
  const full = !quick && sections.length === SECTIONS.length && modes.length === MODES.length && isolations.length === ISOLATIONS.length && values.size === (niceText === undefined ? 0 : 1);
  const from = values.get("from");
  const idlePoll = switches.has("idle-poll");
  // a full run under a machine setting writes its own folder; the plain run is the evaluation of record
  const setting = [...(idlePoll ? ["idle-poll"] : []), ...(redisNice !== undefined ? ["redis-nice"] : [])].join("-");
  const out = values.get("out") ?? (from !== undefined ? dirname(from) : full ? (setting === "" ? "docs/evaluation" : `docs/evaluation/${setting}`) : ".evaluation");
  return { sections, modes, isolations, sizes: sizes as unknown as Sizes, quick, out, full, idlePoll, ...(redisNice !== undefined && { redisNice }), ...(from !== undefined && { from }) };
}

/**
 * True when `--help` or `-h` is among the arguments.
 *
 * @example
 * if (wantsHelp(Bun.argv.slice(2))) process.stdout.write(HELP);
 */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}
