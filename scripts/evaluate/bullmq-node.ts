/**
 * The BullMQ side of the evaluation, run under Node (not Bun): bullmq.ts strips the types with Bun's
 * transpiler and starts `node --input-type=module --eval <this file> -- <role> <json config>` from
 * the repository root, so `bullmq` resolves from node_modules. Self-contained on purpose: it imports
 * only `bullmq` and Node built-ins.
 *
 * Roles:
 * - `worker`: one Worker at the given concurrency whose processor returns null; prints
 *   `{"event":"ready"}` once connected, closes on SIGTERM.
 * - `producer`: throughput rounds (jobs added with addBulk in chunks, removeOnComplete; a round is done
 *   when the waiting and active counts are 0), then jobs one at a time (add, then waitUntilFinished
 *   with a QueueEvents; the last 1,000 completed jobs kept, since a job removed at once can make
 *   waitUntilFinished fail). Prints JSON lines: progress, one per round, the CPU its redis-server,
 *   the worker and itself spent over the rounds (`cpu`: microseconds by process, read from /proc and
 *   process.cpuUsage(); when given their pids), and the latency samples.
 * - `lone`: a long-lived client for jobs one at a time, run in turns with ours: for each line on stdin
 *   holding a count, that many jobs one at a time (as the producer runs them), then one `latency` line
 *   with their samples; prints `{"event":"ready"}` once connected, closes when stdin ends.
 *
 * @example
 * // node --input-type=module --eval "$(code)" -- producer '{"port":6390,"queue":"eval","tasks":20000,...}'
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { Queue, QueueEvents, Worker } from "bullmq";

export interface ProducerConfig {
  readonly port: number;
  readonly queue: string;
  /** Jobs per throughput round, added `chunk` at a time with at most `inflight` addBulk calls at once. */
  readonly tasks: number;
  readonly chunk: number;
  readonly inflight: number;
  readonly rounds: number;
  /** Unmeasured jobs: one round of this size first, and `serialWarmup` one at a time before the measured ones. */
  readonly warmup: number;
  readonly serialWarmup: number;
  /** Jobs one at a time. */
  readonly serial: number;
  /** The redis-server's and the worker's process ids, to read their CPU over the rounds. */
  readonly pids?: { readonly redis: number; readonly worker: number };
}

export interface LoneConfig {
  readonly port: number;
  readonly queue: string;
}

export interface WorkerConfig {
  readonly port: number;
  readonly queue: string;
  readonly concurrency: number;
}

const say = (o: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function runWorker(c: WorkerConfig): Promise<void> {
  const worker = new Worker(c.queue, async () => null, { connection: { host: "127.0.0.1", port: c.port }, concurrency: c.concurrency });
  worker.on("error", (e) => process.stderr.write(`worker error: ${String(e)}\n`));
  await worker.waitUntilReady();
  say({ event: "ready" });
  const stop = (): void => {
    void worker.close().finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

async function throughputRound(queue: Queue, c: ProducerConfig, tasks: number, phase: string): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  let added = 0;
  const lane = async (): Promise<void> => {
    while (next < tasks) {
      const n = Math.min(c.chunk, tasks - next);
      next += n;
      await queue.addBulk(Array.from({ length: n }, () => ({ name: "noop", data: {}, opts: { removeOnComplete: true } })));
      added += n;
    }
  };
  let addsDone = false;
  const adding = Promise.all(Array.from({ length: c.inflight }, lane)).then(() => {
    addsDone = true;
  });
  let lastSay = 0;
  for (;;) {
    await sleep(5);
    const counts = await queue.getJobCounts("waiting", "active");
    const left = (counts.waiting ?? 0) + (counts.active ?? 0);
    if (addsDone && left === 0) break;
    if (performance.now() - lastSay > 200) {
      lastSay = performance.now();
      say({ event: "progress", phase, done: Math.max(0, added - left), total: tasks });
    }
  }
  await adding;
  const ms = performance.now() - t0;
  const failed = (await queue.getJobCounts("failed")).failed ?? 0;
  if (failed > 0) throw new Error(`${failed} BullMQ jobs failed`);
  return (tasks * 1000) / ms;
}

/** utime + stime of a process (every thread) in microseconds: fields 14 and 15 of /proc/<pid>/stat, in 1/100 s ticks. */
function procMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

function cpuNow(pids: NonNullable<ProducerConfig["pids"]>): Record<string, number> {
  const own = process.cpuUsage();
  return { redis: procMicros(pids.redis), worker: procMicros(pids.worker), producer: own.user + own.system };
}

/** A Queue to add jobs to and a QueueEvents to wait for them on, both connected. */
async function connect(c: { readonly port: number; readonly queue: string }): Promise<{ queue: Queue; events: QueueEvents }> {
  const connection = { host: "127.0.0.1", port: c.port };
  const queue = new Queue(c.queue, { connection });
  const events = new QueueEvents(c.queue, { connection });
  await queue.waitUntilReady();
  await events.waitUntilReady();
  return { queue, events };
}

async function runProducer(c: ProducerConfig): Promise<void> {
  const { queue, events } = await connect(c);
  if (c.warmup > 0) await throughputRound(queue, c, c.warmup, "warm-up");
  const before = c.pids === undefined ? undefined : cpuNow(c.pids);
  const t0 = performance.now();
  for (let r = 0; r < c.rounds; r++) say({ event: "round", jobsPerSec: await throughputRound(queue, c, c.tasks, `round ${r + 1}/${c.rounds}`) });
  if (c.pids !== undefined && before !== undefined) {
    const after = cpuNow(c.pids);
    const micros = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
    say({ event: "cpu", micros, tasks: c.rounds * c.tasks, ms: performance.now() - t0 });
  }
  await oneAtATime(queue, events, c.serialWarmup);
  say({ event: "latency", samples: await oneAtATime(queue, events, c.serial) });
  await events.close();
  await queue.close();
}

/** `n` jobs one at a time, each from `add` to `waitUntilFinished`: their latencies in ms (`quiet`: no progress lines). */
async function oneAtATime(queue: Queue, events: QueueEvents, n: number, quiet = false): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    // removeOnComplete: true races waitUntilFinished ("Missing key for job"): keep the last 1,000.
    const job = await queue.add("noop", {}, { removeOnComplete: { count: 1000 } });
    await job.waitUntilFinished(events, 30_000);
    samples.push(performance.now() - t0);
    if (!quiet && i % 100 === 0) say({ event: "progress", phase: "one at a time", done: i, total: n });
  }
  return samples;
}

async function runLone(c: LoneConfig): Promise<void> {
  const { queue, events } = await connect(c);
  say({ event: "ready" });
  for await (const line of createInterface({ input: process.stdin })) {
    const n = Number(line);
    if (!Number.isInteger(n) || n < 0) throw new Error(`expected a count of jobs on stdin, got "${line}"`);
    say({ event: "latency", samples: await oneAtATime(queue, events, n, true) });
  }
  await events.close();
  await queue.close();
}

const [role, json] = process.argv.slice(1);
const config = JSON.parse(json ?? "{}");
if (role === "worker") await runWorker(config as WorkerConfig);
else if (role === "producer" || role === "lone") {
  await (role === "producer" ? runProducer(config as ProducerConfig) : runLone(config as LoneConfig));
  process.exit(0);
} else {
  process.stderr.write(`expected role worker, producer or lone, got "${role}"\n`);
  process.exit(2);
}
