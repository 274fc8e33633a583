/**
 * What retained tasks do to a task's cost, round by round (not a test): starts its own redis-server
 * (DEBUG allowed from localhost, to read its key table's state), `bun run api` and a local dispatcher
 * (2 executor threads), measures `--rounds` no-op rounds fresh, fills the store through the API until
 * `--retained` finished tasks are kept, then measures `--after` rounds. Each round prints tasks/s,
 * redis-server CPU per task (`INFO cpu`), the key count, and whether Redis's key table was being
 * rehashed (doubled: Redis grows it when the keys reach its size, 2^20 = 1,048,576 near a million,
 * and moves the keys over a step per command) at the round's start and end (`DEBUG HTSTATS 0`).
 *
 *   bun scripts/bench-retained.ts [--retained 1000000] [--tasks 30000] [--rounds 3] [--after 10]
 */
import Redis from "ioredis";
import { flag } from "../src/app/config.ts";
import { noopRound, postJson } from "./bench-lib.ts";
import { redisCpuMicros } from "./lib/cpu.ts";
import { killAll, spawnEntry, spawnServer } from "./lib/processes.ts";
import { startRedisServer } from "./lib/redis-server.ts";

const argv = Bun.argv.slice(2);
const retained = Number(flag(argv, "retained") ?? 1_000_000);
const tasks = Number(flag(argv, "tasks") ?? 30_000);
const rounds = Number(flag(argv, "rounds") ?? 3);
const after = Number(flag(argv, "after") ?? 10);

await using redis = await startRedisServer({ args: ["--enable-debug-command", "local"] });
const env = { REDIS_URL: redis.url, FAAS_PREFIX: "bench" };
const admin = new Redis(redis.url);

/** "yes" while the main key table is being rehashed into a bigger one, else "no". */
async function rehashing(): Promise<string> {
  const stats = String(await admin.call("DEBUG", "HTSTATS", "0"));
  const main = stats.split("[Expires HT]")[0] ?? "";
  return main.includes("rehashing target") ? "yes" : "no";
}

async function round(label: string, url: string, fid: string): Promise<void> {
  const before = { cpu: redisCpuMicros(await admin.info("cpu")), rehash: await rehashing() };
  const rate = await noopRound(url, fid, tasks, 1000);
  const cpu = (redisCpuMicros(await admin.info("cpu")) - before.cpu) / tasks;
  const keys = await admin.dbsize();
  console.log(`${label.padEnd(9)} ${String(Math.round(rate)).padStart(7)} tasks/s  redis ${cpu.toFixed(1).padStart(5)} us/task  ${String(keys).padStart(9)} keys  rehashing ${before.rehash} -> ${await rehashing()}`);
}

try {
  const api = await spawnServer("api", [], env);
  spawnEntry("dispatcher", ["--mode", "local", "--workers", "2", "--isolation", "thread"], { ...env, LOG_LEVEL: "warn" });
  const { function_id } = await postJson(`${api.url}/register_function`, { name: "noop", payload: "() => null" });
  await noopRound(api.url, function_id, tasks, 1000); // warm-up
  console.log(`redis, local dispatcher (2 threads): rounds of ${tasks} no-op tasks, then filled to ${retained} retained`);
  for (let i = 0; i < rounds; i++) await round("fresh", api.url, function_id);
  const t0 = performance.now();
  let filled = await admin.dbsize();
  while (filled < retained) {
    await noopRound(api.url, function_id, Math.min(50_000, retained - filled), 1000);
    filled = await admin.dbsize();
  }
  console.log(`filled to ${filled} keys in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  for (let i = 0; i < after; i++) await round("retained", api.url, function_id);
} finally {
  admin.disconnect();
  await killAll();
}
