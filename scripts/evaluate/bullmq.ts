/**
 * BullMQ measured side by side with ours, in the same run on the same machine: its own private
 * redis-server, one Node worker process at concurrency 50, and a Node producer process
 * (bullmq-node.ts) that measures throughput (addBulk in chunks of 1,000, removeOnComplete, done when
 * waiting and active are 0) and one-at-a-time latency (add, then waitUntilFinished with QueueEvents).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Managed, readLog, spawnManaged } from "../lib/processes.ts";
import { type RedisServer, startRedisServer } from "../lib/redis-server.ts";
import { waitFor } from "../lib/wait-for.ts";
import type { ProducerConfig } from "./bullmq-node.ts";
import type { CpuSpent } from "./cpu-cost.ts";
import type { Progress } from "./progress.ts";

export interface BullmqSizes {
  readonly tasks: number;
  readonly rounds: number;
  readonly serial: number;
  /** Unmeasured jobs: one throughput round of `warmup`, then `serialWarmup` one at a time. */
  readonly warmup: number;
  readonly serialWarmup: number;
  readonly concurrency: number;
}

/** What one producer session measured: jobs/s per round, one-at-a-time latencies (ms), CPU over the rounds. */
export interface BullmqSession {
  readonly rounds: number[];
  readonly latencies: number[];
  /** Its redis-server's, worker's and producer's CPU over the rounds (redis, worker, producer). */
  readonly cpu?: CpuSpent;
}

/** A running BullMQ setup: redis-server and worker; `measure` runs a producer session. */
export interface BullmqBench {
  /** Its redis-server's process id and port. */
  readonly redisPid: number;
  readonly redisPort: number;
  measure(sizes: BullmqSizes, progress: Progress, label: string): Promise<BullmqSession>;
  /**
   * `n` jobs one at a time through one long-lived Node client (started on the first call, kept for
   * the next), their latencies in ms: for samples taken in turns with ours, in the same minutes.
   */
  lone(n: number): Promise<number[]>;
  stop(): Promise<void>;
}

const QUEUE = "evaluate";
let code: string | undefined;

/** The Node-side code: bullmq-node.ts with its types stripped. */
function nodeCode(): string {
  code ??= new Bun.Transpiler({ loader: "ts", target: "node" }).transformSync(readFileSync(join(import.meta.dir, "bullmq-node.ts"), "utf8"));
  return code;
}

/** A Node process of bullmq-node.ts in `role`; the `lone` client talks over pipes. */
function spawnNode(role: "worker" | "producer" | "lone", config: object, name: string): Managed {
  return spawnManaged(["node", "--input-type=module", "--eval", nodeCode(), "--", role, JSON.stringify(config)], {}, name, { pipes: role === "lone" });
}

/**
 * The long-lived client for jobs one at a time (bullmq-node.ts, role `lone`): `run(n)` sends it a count
 * and resolves with the latencies it prints back, read from its stdout as they come (no polling, so
 * the evaluation's process stays idle while BullMQ's jobs run).
 */
class LoneClient {
  private readonly m: Managed;
  private readonly answers: Record<string, any>[] = [];
  private readonly waiters: ((line: Record<string, any> | undefined) => void)[] = [];
  private ended = false;

  constructor(port: number) {
    this.m = spawnNode("lone", { port, queue: QUEUE }, "bullmq-lone");
    void this.read();
  }

  private async read(): Promise<void> {
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of this.m.proc.stdout as ReadableStream<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n")) {
        const line = JSON.parse(text.slice(0, i)) as Record<string, any>;
        text = text.slice(i + 1);
        const waiter = this.waiters.shift();
        if (waiter !== undefined) waiter(line);
        else this.answers.push(line);
      }
    }
    this.ended = true;
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  private async next(what: string): Promise<Record<string, any>> {
    const line = this.answers.shift() ?? (this.ended ? undefined : await new Promise<Record<string, any> | undefined>((r) => this.waiters.push(r)));
    if (line === undefined) throw new Error(`the BullMQ one-at-a-time client exited (${this.m.proc.exitCode}) before ${what}: ${readLog(this.m.log).slice(-2000)}`);
    return line;
  }

  async ready(): Promise<void> {
    const line = await this.next("it connected");
    if (line.event !== "ready") throw new Error(`the BullMQ one-at-a-time client said ${JSON.stringify(line)} before it was ready`);
  }

  async run(n: number): Promise<number[]> {
    const stdin = this.m.proc.stdin as import("bun").FileSink;
    stdin.write(`${n}\n`);
    stdin.flush();
    const line = await this.next(`${n} jobs one at a time`);
    if (line.event !== "latency") throw new Error(`the BullMQ one-at-a-time client said ${JSON.stringify(line)}, expected its latencies`);
    return line.samples as number[];
  }

  async close(): Promise<void> {
    (this.m.proc.stdin as import("bun").FileSink).end();
    await this.m.proc.exited;
  }
}

/** The JSON lines a Node process printed so far. */
function lines(m: Managed, name: string): Record<string, any>[] {
  const out: Record<string, any>[] = [];
  for (const line of readLog(join(dirname(m.log), `${name}.stdout`)).split("\n")) {
    if (line.trim() === "") continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a line still being written
    }
  }
  return out;
}

/**
 * Starts BullMQ's redis-server and worker (Node, concurrency `concurrency`).
 *
 * @example
 * const bull = await startBullmq(50); // startBullmq(50, -10): its redis-server at niceness -10
 * const s = await bull.measure({ tasks: 20000, rounds: 3, serial: 2000, warmup: 2000, serialWarmup: 10000, concurrency: 50 }, progress, "before");
 * await bull.stop();
 */
export async function startBullmq(concurrency: number, redisNice?: number): Promise<BullmqBench> {
  const redis: RedisServer = await startRedisServer(redisNice === undefined ? {} : { nice: redisNice });
  let worker: Managed | undefined;
  try {
    worker = spawnNode("worker", { port: redis.port, queue: QUEUE, concurrency }, "bullmq-worker");
    const w = worker;
    await waitFor(
      () => {
        if (w.proc.exitCode !== null) throw new Error(`BullMQ worker exited with ${w.proc.exitCode}: ${readLog(w.log)}`);
        return lines(w, "bullmq-worker").some((l) => l.event === "ready");
      },
      "the BullMQ worker to connect",
      20_000,
      20,
    );
  } catch (e) {
    await worker?.kill("SIGKILL");
    await redis[Symbol.asyncDispose]();
    throw e;
  }
  let sessions = 0;
  const redisPid = redis.pid() as number;
  let loneClient: LoneClient | undefined;
  return {
    redisPid,
    redisPort: redis.port,
    async measure(sizes, progress, label) {
      const name = `bullmq-producer-${++sessions}`;
      const pids = { redis: redisPid, worker: (worker as Managed).proc.pid };
      const config: ProducerConfig = { port: redis.port, queue: QUEUE, tasks: sizes.tasks, chunk: 1000, inflight: 4, rounds: sizes.rounds, warmup: sizes.warmup, serialWarmup: sizes.serialWarmup, serial: sizes.serial, pids };
      const producer = spawnNode("producer", config, name);
      let seen = 0;
      const timer = setInterval(() => {
        const out = lines(producer, name);
        for (const l of out.slice(seen)) {
          if (l.event === "progress") progress.update(l.done, l.total);
          if (l.event === "round") progress.note(`BullMQ (${label}): ${Math.round(l.jobsPerSec).toLocaleString("en-US")} jobs/s`);
        }
        seen = out.length;
      }, 100);
      try {
        const exit = await producer.proc.exited;
        const out = lines(producer, name);
        if (exit !== 0) throw new Error(`BullMQ producer exited with ${exit}: ${readLog(producer.log).slice(-2000)}`);
        const latencies = out.find((l) => l.event === "latency")?.samples as number[] | undefined;
        if (latencies === undefined) throw new Error("BullMQ producer printed no latency samples");
        const c = out.find((l) => l.event === "cpu");
        const cpu: CpuSpent | undefined = c === undefined ? undefined : { micros: c.micros, tasks: c.tasks, ms: c.ms };
        return { rounds: out.filter((l) => l.event === "round").map((l) => l.jobsPerSec as number), latencies, cpu };
      } finally {
        clearInterval(timer);
      }
    },
    async lone(n) {
      if (loneClient === undefined) {
        loneClient = new LoneClient(redis.port);
        await loneClient.ready();
      }
      return await loneClient.run(n);
    },
    async stop() {
      await loneClient?.close();
      await worker?.kill("SIGTERM");
      await redis[Symbol.asyncDispose]();
    },
  };
}

/**
 * BullMQ's installed version (from its package.json).
 *
 * @example
 * bullmqVersion(); // "6.7.0"
 */
export function bullmqVersion(): string {
  return (JSON.parse(readFileSync(join(import.meta.dir, "..", "..", "node_modules", "bullmq", "package.json"), "utf8")) as { version: string }).version;
}
