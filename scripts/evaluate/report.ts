/**
 * The evaluation's report: everything measured in one JSON-able object, and the Markdown that
 * docs/evaluation/report.md holds (machine, conditions, tables, floors met or missed, plots).
 */
import { type CpuSpent, perTask, together } from "./cpu-cost.ts";
import { idleText } from "./cpu-idle.ts";
import type { Machine } from "./machine.ts";
import { BUSY_ITERATIONS, type Pace } from "./pace.ts";
import type { BullmqResult, ModeResult, ModesSection } from "./modes.ts";
import { type FloorCheck, THREAD_ONLY_MODES } from "./floors.ts";
import type { RecoverySection } from "./recovery.ts";
import type { RetainedSection } from "./retained.ts";
import type { ScalingKind, ScalingSection } from "./scaling.ts";
import type { UnevenSection } from "./uneven.ts";

export interface Evaluation {
  /** ISO date and time the run started. */
  readonly date: string;
  readonly command: string;
  readonly durationS: number;
  readonly machine: Machine;
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
  /** Whether the run held a CPU latency request of 0 us (--idle-poll; absent from results written before the flag). */
  readonly idlePoll?: boolean;
  /** The niceness every redis-server of the run had (--redis-nice; absent: the default, 0). */
  readonly redisNice?: number;
  /** The machine's pace before the first section and after the last (absent from results written before it was measured). */
  readonly paceBefore?: Pace;
  readonly paceAfter?: Pace;
  readonly modes?: ModesSection;
  readonly scaling?: ScalingSection;
  readonly uneven?: UnevenSection;
  readonly recovery?: RecoverySection;
  /** Absent from results written before the section existed. */
  readonly retained?: RetainedSection;
}

const int = (n: number): string => Math.round(n).toLocaleString("en-US");

const PACE_NOTE =
  "The pace rows are the same three probes at the start and at the end (medians; scripts/evaluate/pace.ts): a fixed busy loop, a message to a Worker thread and back, and a few bytes to another process over loopback TCP and back, one round trip per millisecond. On a shared virtual machine they move from hour to hour, and the figures above move with them (the two round trips are what every hop between our processes and threads costs): compare runs by their ratios, and read a ratio beside its run's pace.";

const IDLE_POLL_NOTE =
  "This run held a CPU latency request of 0 us (`--idle-poll`, scripts/evaluate/cpu-idle.ts): idle CPUs polled instead of halting, for BullMQ's rounds and ours alike. It shows what the machine's idle wake-ups cost each system; it is a setting of the machine (as `tuned`'s latency profiles make), not of either system, and the plain run is the evaluation of record.";

/** What a run with --redis-nice changed, and why it is not the evaluation of record. */

/** Unmeasured tasks one at a time before the measured ones; results written before 2026-11-27 had a tenth of the batch warm-up. */
function serialWarmupOf(sizes: { readonly warmup: number; readonly serialWarmup?: number }): number {
  return sizes.serialWarmup ?? Math.ceil(sizes.warmup / 10);
}
export function redisNiceNote(n: number): string {
  return `This run started every redis-server, ours and BullMQ's, at niceness ${n} (\`--redis-nice ${n}\`, \`nice -n\`): when Redis and the processes that wait on it want the same core, the scheduler runs Redis first more often, instead of sharing the cores fairly among all of them. It is a setting of the deployment (as systemd's \`Nice=\` for a redis-server unit makes), the same for both systems, not of either; the plain run is the evaluation of record.`;
}

function paceText(p: Pace): string {
  return `busy loop ${p.busyLoopMs.toFixed(1)} ms, thread round trip ${p.threadRoundTripUs.toFixed(1)} us, process round trip ${p.processRoundTripUs.toFixed(1)} us`;
}

/** The Machine table's pace rows, when the run measured it. */
function paceRows(e: Evaluation): string[][] {
  if (e.paceBefore === undefined || e.paceAfter === undefined) return [];
  return [
    [`pace at the start (${(BUSY_ITERATIONS / 1e6).toFixed(0)}M-iteration loop; medians)`, paceText(e.paceBefore)],
    ["pace at the end", paceText(e.paceAfter)],
  ];
}
const ms = (n: number): string => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const x = (n: number): string => `${n < 1 ? n.toFixed(2) : n.toFixed(1)}x`;
const x2 = (n: number): string => `${n.toFixed(2)}x`;
const pct = (n: number): string => `${(n * 100).toFixed(1)}%`;
const table = (head: readonly string[], rows: readonly (readonly string[])[]): string =>
  [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

/**
 * BullMQ's rounds as measured: per session (one before our first series, one after each), or before
 * and after ours; `inTurns`: its one-at-a-time samples were taken in turns with each series' (results
 * that record a one-at-a-time warm-up, see ModesSection's sizes).
 */
function bullmqRounds(b: BullmqResult, inTurns: boolean): string {
  const jobs = (rounds: readonly number[]): string => `${rounds.map(int).join(", ")} jobs/s`;
  if (b.sessions === undefined) return `Rounds before ours: ${jobs(b.roundsBefore ?? [])}; after: ${jobs(b.roundsAfter ?? [])}.`;
  const turns = inTurns
    ? "the median of the rounds of the two BullMQ sessions around it, and the p50 of BullMQ's jobs one at a time taken in turns with the series' own (sixths of each, who goes first alternating, after both warmed up one at a time)"
    : "the median of the rounds of the two BullMQ sessions around it, and the p50 of their one-at-a-time samples together";
  return `Each of our series is compared with BullMQ beside it (the column of that name): ${turns}, so that a ratio compares figures of the same minutes; the BullMQ row sums up every session. Rounds per session: ${b.sessions.map((s, i) => `${i + 1}: ${jobs(s)}`).join("; ")}.`;
}

/** "redis 24.1, api 9.6, client 1.4": microseconds of CPU per task by process. */
function byProcess(s: CpuSpent): string {
  return Object.entries(perTask(s).byRole).map(([role, us]) => `${role} ${us.toFixed(1)}`).join(", ");
}

const CPU_NOTE =
  "What each process spent over the measured rounds (warm-up and one-at-a-time part left out), read from /proc (each process with the processes under it, such as sandboxed executors; 10 ms ticks) and, for the client (the evaluation's own process under Bun; BullMQ's producer), from the process itself, divided by the tasks the rounds ran; \"cores busy\" is that CPU over the rounds' wall time. BullMQ beside it: its redis-server, worker and producer over the rounds of the two sessions around the series. Where both systems keep the machine's cores busy, throughput is about cores busy over CPU per task, so the throughput ratio comes down to BullMQ's CPU per job over ours: 2x needs ours at half of BullMQ's or less (the last column at 0.50x or below); unlike tasks/s, CPU per task moves little with how fast the machine wakes a sleeping process.";

/** The modes section's CPU table, when the run measured CPU. */
function cpuPart(m: ModesSection): string[] {
  const measured = m.results.filter((r) => r.cpu !== undefined);
  if (measured.length === 0) return [];
  const rows = measured.map((r) => {
    const ours = perTask(r.cpu as CpuSpent);
    const theirs = r.bullmqCpu === undefined ? undefined : perTask(r.bullmqCpu);
    return [
      r.mode, r.isolation, byProcess(r.cpu as CpuSpent), ours.total.toFixed(1), ours.coresBusy.toFixed(2),
      r.bullmqCpu === undefined ? "" : byProcess(r.bullmqCpu), theirs === undefined ? "" : theirs.total.toFixed(1), theirs === undefined ? "" : theirs.coresBusy.toFixed(2),
      theirs === undefined || theirs.total === 0 ? "" : x2(ours.total / theirs.total),
    ];
  });
  const all = m.bullmq?.sessionsCpu === undefined ? undefined : together(m.bullmq.sessionsCpu);
  if (m.bullmq !== undefined && all !== undefined) {
    const p = perTask(all);
    rows.push([`BullMQ ${m.bullmq.version}`, "(all sessions)", byProcess(all), p.total.toFixed(1), p.coresBusy.toFixed(2), "", "", "", "1x"]);
  }
  return [
    "### CPU per task in the throughput rounds",
    "",
    CPU_NOTE,
    "",
    table(["mode", "isolation", "us per task, by process", "us per task", "cores busy", "BullMQ beside it: us per job, by process", "us per job", "cores busy", "CPU per task / BullMQ's"], rows),
    "",
  ];
}

const BARE_NOTE =
  "The bare hops: after each thread series, tasks one at a time through the same processes and transports with nothing of ours in them (`scripts/lib/bare-hops.ts`: `Bun.serve`; for the Redis modes one `XADD`, a blocking `XREAD`, one `PUBLISH`; a Worker thread running the no-op; for push, pull and CURVE a worker process over our ZMTP with NULL security), by the same client: the least a lone task's trip through these processes takes on this machine. Where that alone misses a p50 floor, no code in those processes can meet it here.";

function modesPart(m: ModesSection): string[] {
  const b = m.bullmq;
  // results saved before BullMQ was measured beside each series have no such column
  const beside = m.results.some((r) => r.bullmq !== undefined);
  // results saved before the bare hops were measured have no such column
  const bare = m.results.some((r) => r.bareP50 !== undefined);
  const bareCell = (r: ModeResult): string => (r.bareP50 === undefined ? "" : `${ms(r.bareP50)}${r.bullmq === undefined ? "" : ` (${x(r.bareP50 / r.bullmq.p50)})`}`);
  const rows = m.results.map((r) => [
    r.mode, r.isolation, int(r.throughput), ms(r.latency.p50), ms(r.latency.p95), ms(r.latency.p99),
    ...(beside ? [r.bullmq === undefined ? "" : `${int(r.bullmq.throughput)}, ${ms(r.bullmq.p50)}`] : []),
    r.vsBullmq === undefined ? "" : x(r.vsBullmq.throughput), r.vsBullmq === undefined ? "" : x(r.vsBullmq.p50),
    ...(bare ? [bareCell(r)] : []),
  ]);
  if (b !== undefined) rows.push([`BullMQ ${b.version}`, "(Node worker)", int(b.throughput), ms(b.latency.p50), ms(b.latency.p95), ms(b.latency.p99), ...(beside ? ["(all sessions)"] : []), "1x", "1x", ...(bare ? [""] : [])]);
  return [
    "## Throughput and latency, every mode",
    "",
    `Throughput: ${int(m.sizes.tasks)} no-op tasks per round submitted 1,000 per \`POST /execute_batch\` (4 calls in flight), every result read back through \`POST /wait\` (1,000 ids per call, each held until all of its tasks are terminal: \`return_when: "ALL_COMPLETED"\`); the figure is the median of ${m.sizes.rounds} rounds after ${int(m.sizes.warmup)} unmeasured tasks. Latency: ${int(m.sizes.serial)} tasks one at a time after ${int(serialWarmupOf(m.sizes))} unmeasured ones${m.sizes.serialWarmup === undefined ? "" : " (BullMQ's too: a freshly started API and dispatcher keep compiling their one-task path for thousands of lone tasks, while BullMQ's worker and its one-at-a-time client run from the first series to the last)"}, each queued and awaited by one \`POST /execute_function?wait=10\` (answered with the result once the task is terminal). The client runs under Bun in the evaluation's process and sends every call through the SDK's HTTP/1.1 client (\`src/client/http1-agent.ts\`; through Bun's \`fetch\` in the runs before 2026-11-28 12:25).`,
    "",
    ...(m.results.some((r) => THREAD_ONLY_MODES.includes(r.mode))
      ? ["Push and pull run over NULL security (no encryption), and again over ZMTP CURVE (`-curve`: the dispatcher with `--curve-secret-key-file` and `--authorized-workers`, each worker with `--curve-server-key-file` and its own `--curve-secret-key-file`; fresh keys each run), the CURVE modes in the thread series only.", ""]
      : []),
    ...(b === undefined
      ? []
      : [
          `BullMQ ${b.version}: ${b.setup}. Jobs added with \`addBulk\` in chunks of 1,000 (4 in flight) with \`removeOnComplete\`; a round is done when the waiting and active counts are 0. Latency: \`add\` then \`waitUntilFinished\` (a \`QueueEvents\`) one job at a time, after as many unmeasured ones as ours. ${bullmqRounds(b, m.sizes.serialWarmup !== undefined)}`,
          "",
        ]),
    ...(bare ? [BARE_NOTE, ""] : []),
    table(["mode", "isolation", "tasks/s", "p50 ms", "p95 ms", "p99 ms", ...(beside ? ["BullMQ beside it (jobs/s, p50 ms)"] : []), "throughput / BullMQ", "p50 / BullMQ", ...(bare ? ["bare hops p50 ms (/ BullMQ)"] : [])], rows),
    "",
    "Setups:",
    "",
    ...[...new Set(m.results.map((r) => `- ${r.mode}: ${r.setup.replace(/--isolation \w+/, "--isolation <series>").replace(/\(--isolation \w+\)/, "(--isolation <series>)")}`))],
    "",
    "Rounds (tasks/s): " + m.results.map((r) => `${r.mode}/${r.isolation} ${r.rounds.map(int).join(", ")}`).join("; ") + ".",
    "",
    ...cpuPart(m),
    "![throughput](throughput.svg)",
    "",
    ...["thread", "sandbox"].filter((i) => m.results.some((r) => r.isolation === i)).flatMap((i) => [`![latency CDF, ${i} isolation](latency-cdf-${i}.svg)`, ""]),
  ];
}

/** " (12,000 tasks/s over the first slice of 50,000, 11,000 over the last)", or "" for fewer than two slices. */
function fillRates(slices: RetainedSection["fill"]["slices"]): string {
  const first = slices[0];
  const last = slices.at(-1);
  if (first === undefined || last === undefined || slices.length < 2) return "";
  return ` (${int(first.tasksPerS)} tasks/s over the first slice, up to ${int(first.retainedAfter)} retained; ${int(last.tasksPerS)} over the last, up to ${int(last.retainedAfter)})`;
}

/**
 * What the fill did about Redis's table doubling (table-doubling.ts), with the slowest slice of the
 * fill: the doubling's one-time cost shows there.
 */
export function doublingNote(d: NonNullable<RetainedSection["doubling"]>, slices: RetainedSection["fill"]["slices"]): string {
  const slowest = slices.reduce<RetainedSection["fill"]["slices"][number] | undefined>((a, b) => (a === undefined || b.tasksPerS < a.tasksPerS ? b : a), undefined);
  const crossed =
    d.crossing === undefined
      ? "The measurement crossed none of the key counts at which Redis doubles its key and expiry tables (powers of two)"
      : `Redis doubles its key and expiry tables when their entries pass a power of two, and moves the entries over while both live, slower meanwhile; the measurement would have crossed ${int(d.crossing)} keys, so the fill went ${int(d.beyond)} tasks past the target first`;
  const wait = d.settled ? `Redis finished moving its tables ${(d.settleMs / 1000).toFixed(1)} s after the fill, and only then did the measurement begin` : `Redis was still moving its tables ${(d.settleMs / 1000).toFixed(1)} s after the fill, when the measurement began anyway`;
  const slow = slowest === undefined ? "" : `; the fill's slowest slice (${int(slowest.tasksPerS)} tasks/s, up to ${int(slowest.retainedAfter)} retained) shows what a doubling costs while it lasts`;
  return `${crossed}. ${wait}${slow}.`;
}

function retainedPart(r: RetainedSection): string[] {
  const n = int(r.sizes.retained);
  // results saved before CPU was measured have no CPU column
  const withCpu = r.fresh.cpu !== undefined && r.filled.cpu !== undefined;
  const cpu = (p: RetainedSection["fresh"]): string[] => (withCpu ? [`${perTask(p.cpu as CpuSpent).total.toFixed(1)} (${byProcess(p.cpu as CpuSpent)})`] : []);
  const row = (name: string, p: RetainedSection["fresh"]): string[] => [name, int(p.retainedBefore), int(p.throughput), ms(p.latency.p50), ms(p.latency.p95), ms(p.latency.p99), ...cpu(p)];
  const cpuRatio = withCpu ? [x2(perTask(r.filled.cpu as CpuSpent).total / perTask(r.fresh.cpu as CpuSpent).total)] : [];
  const hours = (s: number): string => (Number.isFinite(s) ? `${(s / 3600).toFixed(2)} h` : "-");
  const foot = (f: RetainedSection["footprint"]["fresh"]): string => `${f.usedMemoryHuman} used, ${int(f.keys)} keys`;
  return [
    `## Retained tasks: the same figures with ${n} finished tasks in Redis`,
    "",
    r.alternated === true
      ? `Two stacks side by side, each ${r.setup}: one filled with ${int(r.fill.tasks)} no-op tasks through its API (1,000 per \`POST /execute_batch\`, 4 in flight, every result read back through \`POST /wait\`, each call held until its 1,000 tasks are terminal) in ${(r.fill.ms / 1000).toFixed(1)} s${fillRates(r.fill.slices)}, then its API and dispatcher replaced by new ones (those had warmed up their compiled code over the fill), and a second stack started beside it on a fresh Redis (empty at the start). Then both measured as in the modes section (${int(r.sizes.tasks)} no-op tasks per round, median of ${r.sizes.rounds} rounds after ${int(r.sizes.warmup)} unmeasured tasks; ${int(r.sizes.serial)} tasks one at a time after ${int(serialWarmupOf(r.sizes))}), in turns: both warm-ups, then a round of each, who goes first alternating, then the one-at-a-time samples in sixths the same way, so that the two figures come from the same minutes and from processes that ran the same tasks.`
      : `${r.setup}. Measured as in the modes section (${int(r.sizes.tasks)} no-op tasks per round, median of ${r.sizes.rounds} rounds after ${int(r.sizes.warmup)} unmeasured tasks; ${int(r.sizes.serial)} tasks one at a time after ${int(serialWarmupOf(r.sizes))}), first on a fresh Redis (empty at the start; that measurement leaves ${int(r.filled.retainedBefore - r.fill.tasks)} finished tasks), then filled with ${int(r.fill.tasks)} more no-op tasks through the same API (1,000 per \`POST /execute_batch\`, 4 in flight, every result read back through \`POST /wait\`) in ${(r.fill.ms / 1000).toFixed(1)} s${fillRates(r.fill.slices)}, then measured again on the same stack.`,
    "",
    ...(r.doubling === undefined ? [] : [doublingNote(r.doubling, r.fill.slices), ""]),
    `Finished tasks stay in Redis for the retention period (\`--retention\`, default 24 h): the newest filled task had ${hours(r.retention.ttlAfterFillS)} of it left after the fill and the oldest ${hours(r.retention.oldestLeftAtEndS)} at the end, so none was swept during the run.`,
    "",
    `Redis (INFO memory used_memory_human, DBSIZE) after the fresh measurement: ${foot(r.footprint.fresh)}; **after the fill: ${foot(r.footprint.filled)}**; at the end: ${foot(r.footprint.end)}${r.alternated === true ? " (the filled stack's)" : ""}.`,
    "",
    table(["", "finished tasks in Redis at the start", "tasks/s", "p50 ms", "p95 ms", "p99 ms", ...(withCpu ? ["CPU us per task in the rounds (by process)"] : [])], [
      row("fresh", r.fresh),
      row(`${n} retained`, r.filled),
      ["retained / fresh", "", x2(r.ratios.throughput), x2(r.ratios.p50), x2(r.ratios.p95), x2(r.ratios.p99), ...cpuRatio],
    ]),
    "",
    `Rounds (tasks/s): fresh ${r.fresh.rounds.map(int).join(", ")}; with ${n} retained ${r.filled.rounds.map(int).join(", ")}. Run-to-run noise on this shared machine: the rounds stray up to ±${pct(r.noise.throughput)} from their median, and the p50 of a fifth of the one-at-a-time samples up to ±${pct(r.noise.p50)} from the median of the fifths.`,
    "",
  ];
}

const FLOOR_RULES: [string, (f: FloorCheck) => boolean, string][] = [
  ["BullMQ", (f) => f.figure.includes("BullMQ"), "BullMQ floors are checked on the thread series, each against BullMQ as measured beside it (Redis modes: throughput >= 2x, p50 <= 1x; embedded: >= 10x, < 0.25x); a ratio no further from its line than the run-to-run noise of the series and of BullMQ beside it (the spread of their rounds, of the p50s of fifths of their samples) says so."],
  ["sandbox", (f) => f.figure.includes("sandbox"), "The sandbox series must stay within 1.5x of thread (throughput thread/sandbox, p50 sandbox/thread)."],
  ["retained", (f) => f.figure.includes("retained"), "With the retained tasks, Redis with a local dispatcher must keep at least 0.9x its fresh throughput and at most 1.1x its fresh p50."],
];

/**
 * Every floor the evaluation checked: the modes section's and the retained section's.
 *
 * @example
 * const floors = allFloors(evaluation); `${floors.filter((f) => f.met).length} of ${floors.length} met`;
 */
export function allFloors(e: Pick<Evaluation, "modes" | "retained">): FloorCheck[] {
  return [...(e.modes?.floors ?? []), ...(e.retained?.floors ?? [])];
}

function floorsPart(floors: readonly FloorCheck[]): string[] {
  if (floors.length === 0) return [];
  const met = floors.filter((f) => f.met).length;
  const rows = floors.map((f) => [f.mode, f.figure, x2(f.value), f.floor, `${f.met ? "met" : "**missed**"}${f.note === undefined ? "" : `; ${f.note}`}`]);
  return [
    `## Floors (issue 17): ${met} of ${floors.length} met`,
    "",
    FLOOR_RULES.filter(([, applies]) => floors.some(applies)).map(([, , text]) => text).join(" "),
    "",
    table(["mode", "figure", "measured", "floor", "verdict"], rows),
    "",
  ];
}

const KINDS: [ScalingKind, string][] = [["cpuWeak", "CPU-bound, weak"], ["cpuStrong", "CPU-bound, strong"], ["sleepWeak", "sleeping, weak"], ["sleepStrong", "sleeping, strong"]];

function scalingPart(s: ScalingSection): string[] {
  const counts = s.series.cpuWeak.map((p) => p.executors);
  const rows = KINDS.map(([k, name]) => [name, ...s.series[k].map((p) => `${pct(p.efficiency)} (${int(p.ms)} ms, ${int(p.tasks)} tasks)`)]);
  rows.push([`bound for CPU-bound: min(1, ${s.cores}/N)`, ...s.series.cpuWeak.map((p) => pct(p.bound))]);
  return [
    "## Weak and strong scaling",
    "",
    `The embedded server (thread isolation) with N executors (\`--workers N\`). CPU-bound tasks: a fixed busy loop of ${int(s.cpuIterations)} iterations, ${ms(s.cpuTaskMs)} ms per task on one executor. Sleeping tasks: ${s.sleepMs} ms each, 64 running at once per executor. Weak scaling grows the work with N (efficiency t1/tN); strong scaling keeps it fixed (t1/(N x tN)). CPU-bound efficiency cannot pass cores/N beyond ${s.cores} executors on this machine.`,
    "",
    table(["tasks, scaling", ...counts.map((n) => `N = ${n}`)], rows),
    "",
    "![scaling](scaling.svg)",
    "",
  ];
}

function unevenPart(u: UnevenSection): string[] {
  const rows = u.runs.map((r) => [r.mode, int(r.ms), ...r.workers.map((w) => `${w.worker}: ${int(w.tasks)} tasks, ${(w.busyMs / 1000).toFixed(1)} s of sleep, last at ${int(w.lastMs)} ms`), `${r.imbalance.toFixed(2)}x`, int(r.idleTailMs)]);
  const workers = u.runs[0]?.workers.map((w) => w.worker) ?? [];
  return [
    "## Push vs pull under uneven task lengths",
    "",
    `${int(u.tasks)} sleeping tasks in one shuffled order (the same for both modes): ${Math.round(u.longShare * 100)}% of ${u.longMs} ms, the rest ${u.shortMs} ms; Redis, one dispatcher, two worker processes (\`--procs 1\`, thread isolation). Lower bound (total sleep / running slots): ${int(u.lowerBoundMs)} ms. Busiest = the busiest worker's sleep total over the mean; idle tail = the last worker's last finish minus the first worker's.`,
    "",
    table(["mode", "all done (ms)", ...workers, "busiest / mean", "idle tail (ms)"], rows),
    "",
    "![push vs pull](uneven.svg)",
    "",
  ];
}

function recoveryPart(r: RecoverySection): string[] {
  const rows = r.runs.map((x) => [x.mode, int(x.tasks), int(x.baselineMs), int(x.runMs), int(x.killAtMs), int(x.goneAfterMs), int(x.doneAfterMs), String(x.lostJobs)]);
  return [
    "## Recovery from a killed worker",
    "",
    `Redis, one dispatcher (defaults: heartbeat 1 s, worker timeout 3 s), two worker processes; tasks sleep ${r.sleepMs} ms (max_attempts 5). The batch runs once undisturbed, then again with worker 1 killed (SIGKILL) once ${Math.round(r.killAt * 100)}% of the tasks are done. "gone" is when the dispatcher logged \`worker.gone\`; every task completed in every run.`,
    "",
    table(["mode", "tasks", "undisturbed (ms)", "with kill (ms)", "kill at (ms)", "kill -> gone (ms)", "kill -> all done (ms)", "jobs re-queued"], rows),
    "",
    "![recovery](recovery.svg)",
    "",
  ];
}

/**
 * The Markdown report of an evaluation.
 *
 * @example
 * await Bun.write("docs/evaluation/report.md", renderReport(evaluation));
 */
export function renderReport(e: Evaluation): string {
  const m = e.machine;
  const lines = [
    "# bunfaas evaluation",
    "",
    `Generated by \`${e.command}\` on ${e.date.slice(0, 10)} (started ${e.date}); the run took ${Math.round(e.durationS)} s. Raw figures: [results.json](results.json).`,
    "",
    "## Machine",
    "",
    table(["", ""], [
      ["CPU", `${m.cpuModel}, ${m.cores} logical cores`],
      ["memory", `${m.memoryGiB} GiB`],
      ["OS", m.os],
      ["software", `Bun ${m.bun}, Node ${m.node}, Redis ${m.redis}, BullMQ ${m.bullmq}`],
      ["load average (1, 5, 15 min)", `before ${e.loadBefore.join(", ")}; after ${e.loadAfter.join(", ")}`],
      ...(m.cpuIdle === undefined ? [] : [["CPU idle", idleText(m.cpuIdle, e.idlePoll === true)]]),
      ...(e.redisNice === undefined ? [] : [["redis-server niceness", `${e.redisNice} for every redis-server of the run, ours and BullMQ's (\`--redis-nice\`); our processes and BullMQ's at 0`]]),
      ...paceRows(e),
    ]),
    "",
    "Everything (client, API, dispatchers, workers, Redis, BullMQ) shares these cores; other work on the machine shows in the load average.",
    ...(e.paceBefore === undefined ? [] : [PACE_NOTE]),
    ...(e.idlePoll === true ? [IDLE_POLL_NOTE] : []),
    ...(e.redisNice === undefined ? [] : [redisNiceNote(e.redisNice)]),
    "",
  ];
  if (e.modes !== undefined) lines.push(...modesPart(e.modes));
  if (e.retained !== undefined) lines.push(...retainedPart(e.retained));
  lines.push(...floorsPart(allFloors(e)));
  if (e.scaling !== undefined) lines.push(...scalingPart(e.scaling));
  if (e.uneven !== undefined) lines.push(...unevenPart(e.uneven));
  if (e.recovery !== undefined) lines.push(...recoveryPart(e.recovery));
  return `${lines.join("\n").trimEnd()}\n`;
}
