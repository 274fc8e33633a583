/**
 * Redis-mode benchmark (not a test): starts its own redis-server, `bun run api` and one dispatcher:
 * local (--workers 2 executor threads), or push/pull with --worker-procs `bun run worker` processes
 * (--procs 1 each). Then measures no-op tasks/s through /execute_batch with every result read back
 * (POST /wait), and Redis commands per task from INFO commandstats (delta over the measured runs).
 *
 * Then p50/p99 of one task at a time from execute to result (?wait), and the CPU each process spent
 * per task meanwhile: with one task in flight the processes mostly wait, and every hop between them
 * wakes one that sleeps, so this is far above the batch figure (2026-11-26: about 250 us each for
 * Redis, the API and the dispatcher, against 8-25 us per task in batches).
 *
 *   bun scripts/bench-redis.ts [--mode local|push|pull] [--tasks 10000] [--batch 1000] [--rounds 3]
 *                              [--workers 2] [--worker-procs 2] [--serial 1000] [--curve] [--socket]
 *                              [--one-request] [--serial-warmup 0] [--redis-lean on|off]
 *
 * --one-request: each task one at a time is a single `POST /execute_function?wait=10`, the path
 * `npm run evaluate` measures (by default an execute, then `GET /result?wait`). --serial-warmup: that
 * many unmeasured tasks one at a time first. --redis-lean: the API's and the dispatcher's setting.
 *
 * --socket: the API and the dispatcher reach Redis through its Unix socket (REDIS_URL=unix:///...)
 * instead of loopback TCP.
 *
 * --curve (push and pull): the dispatcher and its workers over ZMTP CURVE, with fresh keys made by
 * `faas keygen`'s code in a temp dir (as `npm run evaluate` does).
 */
import { join } from "node:path";
import Redis from "ioredis";
import { flag } from "../src/app/config.ts";
import { commandDelta, commandStats, noopRound, postJson, serialLatency } from "./bench-lib.ts";
import { clientCpuMicros, cpuMicros, redisCpuMicros } from "./lib/cpu.ts";
import { freePort } from "./lib/ports.ts";
import { killAll, spawnEntry, spawnServer } from "./lib/processes.ts";
import { startRedisServer } from "./lib/redis-server.ts";
import { makeCurveKeys } from "./evaluate/curve-keys.ts";
import { oneAtATime } from "./evaluate/client.ts";
import { summarize } from "./evaluate/stats.ts";
import { tempDir } from "./lib/temp-dirs.ts";

const argv = Bun.argv.slice(2);
const total = Number(flag(argv, "tasks") ?? 10_000);
const batch = Number(flag(argv, "batch") ?? 1000);
const rounds = Number(flag(argv, "rounds") ?? 3);
const workers = flag(argv, "workers") ?? "2";
const serial = Number(flag(argv, "serial") ?? 1000);
const oneRequest = argv.includes("--one-request");
const serialWarmup = Number(flag(argv, "serial-warmup") ?? 0);
const lean = flag(argv, "redis-lean");
const mode = flag(argv, "mode") ?? "local";
const workerProcs = Number(flag(argv, "worker-procs") ?? 2);
if (!["local", "push", "pull"].includes(mode)) throw new Error(`--mode must be local, push or pull, got "${mode}"`);
const curve = argv.includes("--curve");
if (curve && mode === "local") throw new Error("--curve needs --mode push or pull (a local dispatcher has no wire)");
const keys = curve ? await makeCurveKeys(workerProcs) : undefined;

const socket = argv.includes("--socket") ? join(tempDir("bench-socket"), "redis.sock") : undefined;
await using redis = await startRedisServer(socket === undefined ? {} : { args: ["--unixsocket", socket, "--unixsocketperm", "700"] });
const env = { REDIS_URL: socket === undefined ? redis.url : `unix://${socket}`, FAAS_PREFIX: "bench", ...(lean !== undefined && { REDIS_LEAN: lean }) };
const quiet = { ...env, LOG_LEVEL: "warn" };
const stats = new Redis(redis.url);
try {
  const api = await spawnServer("api", [], env); // info: its "listening" line says where it is
  const port = freePort();
  const dispatcher = spawnEntry("dispatcher", ["--mode", mode, ...(mode === "local" ? ["--workers", workers, "--isolation", "thread"] : ["--port", String(port), ...(keys?.dispatcherArgs ?? [])])], quiet);
  const workerList: { proc: { pid: number } }[] = [];
  if (mode !== "local") for (let i = 0; i < workerProcs; i++) workerList.push(spawnEntry("worker", ["--mode", mode, "--url", `tcp://127.0.0.1:${port}`, "--procs", "1", "--isolation", "thread", ...(keys?.workerArgs[i] ?? [])], quiet));
  const workersCpu = (): number => workerList.reduce((sum, w) => sum + cpuMicros(w.proc.pid), 0);
  const { function_id } = await postJson(`${api.url}/register_function`, { name: "noop", payload: "() => null" });
  await noopRound(api.url, function_id, total, batch); // warm-up (threads compiled, scripts cached)
  const before = commandStats(await stats.info("commandstats"));
  const cpuBefore = { redis: redisCpuMicros(await stats.info("cpu")), api: cpuMicros(api.proc.pid), dispatcher: cpuMicros(dispatcher.proc.pid), workers: workersCpu(), client: clientCpuMicros() };
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) rates.push(await noopRound(api.url, function_id, total, batch));
  const delta = commandDelta(before, commandStats(await stats.info("commandstats")));
  const tasks = total * rounds;
  const cpu = { redis: redisCpuMicros(await stats.info("cpu")) - cpuBefore.redis, api: cpuMicros(api.proc.pid) - cpuBefore.api, dispatcher: cpuMicros(dispatcher.proc.pid) - cpuBefore.dispatcher, workers: workersCpu() - cpuBefore.workers, client: clientCpuMicros() - cpuBefore.client };
  const perTask = delta.reduce((sum, [, n]) => sum + n, 0) / tasks;
  const setup = mode === "local" ? `--mode local --workers ${workers}` : `--mode ${mode}${curve ? " over CURVE" : ""}, ${workerProcs} worker processes (--procs 1)`;
  console.log(`redis${socket === undefined ? "" : " through its Unix socket"}, 1 dispatcher ${setup}, tasks=${total} per round, batch=${batch}, results read by POST /wait`);
  console.log(`throughput: ${rates.map((r) => Math.round(r)).join(", ")} tasks/s (best ${Math.round(Math.max(...rates))})`);
  console.log(`redis commands per task: ${perTask.toFixed(2)} (over ${tasks} tasks; commands inside scripts included)`);
  console.log(`cpu per task: redis ${(cpu.redis / tasks).toFixed(1)} us, api ${(cpu.api / tasks).toFixed(1)} us, dispatcher ${(cpu.dispatcher / tasks).toFixed(1)} us (its executor threads included)${mode === "local" ? "" : `, worker processes ${(cpu.workers / tasks).toFixed(1)} us`}, client ${(cpu.client / tasks).toFixed(1)} us`);
  for (const [cmd, n] of delta) console.log(`  ${cmd.padEnd(12)} ${(n / tasks).toFixed(3)} per task  (${n})`);
  if (serialWarmup > 0) await oneAtATime(api.url, function_id, serialWarmup);
  const serialBefore = { redis: redisCpuMicros(await stats.info("cpu")), api: cpuMicros(api.proc.pid), dispatcher: cpuMicros(dispatcher.proc.pid), client: clientCpuMicros() };
  const lat = oneRequest ? summarize(await oneAtATime(api.url, function_id, serial)) : await serialLatency(api.url, function_id, serial);
  const serialCpu = {
    redis: redisCpuMicros(await stats.info("cpu")) - serialBefore.redis,
    api: cpuMicros(api.proc.pid) - serialBefore.api,
    dispatcher: cpuMicros(dispatcher.proc.pid) - serialBefore.dispatcher,
    client: clientCpuMicros() - serialBefore.client,
  };
  console.log(`one at a time (${serial}): p50 ${lat.p50.toFixed(3)} ms, p99 ${lat.p99.toFixed(3)} ms`);
  const perSerial = (us: number): string => (us / serial).toFixed(1);
  console.log(`one at a time, cpu per task: redis ${perSerial(serialCpu.redis)} us, api ${perSerial(serialCpu.api)} us, dispatcher ${perSerial(serialCpu.dispatcher)} us, client ${perSerial(serialCpu.client)} us (every process's threads; ${mode === "local" ? "" : "worker processes not counted; "}the client is this script)`);
} finally {
  stats.disconnect();
  await killAll();
  keys?.remove();
}
