/**
 * Where Redis spends its time per task, script by script (not a test): starts its own redis-server,
 * `bun run api` and one local dispatcher (2 executor threads, thread isolation), runs no-op rounds
 * through /execute_batch + POST /wait, and reads every command Redis ran from its SLOWLOG (threshold
 * 0, so each call is logged with its duration). EVALSHA and FCALL calls are named by their script.
 * With --serial, tasks run one at a time through `POST /execute_function?wait=10` instead (what one
 * task costs Redis on its own: the one-at-a-time latency's share). Per command: the mean per task and
 * per call, and the median, p90 and p99 of its calls: a lone task meets the median; the mean carries
 * what runs only now and then (APPLY's drain of the deferred bookkeeping about every 32 lone tasks,
 * Lua's collector stepped every 50 script calls), which shows in the p99.
 *
 *   bun scripts/profile-redis-scripts.ts [--tasks 10000] [--batch 1000] [--serial]
 */
import Redis from "ioredis";
import { flag } from "../src/app/config.ts";
import { LuaScript } from "../src/adapters/redis/lua-script.ts";
import * as m0 from "../src/adapters/redis/lua/adopt.ts";
import * as m1 from "../src/adapters/redis/lua/apply.ts";
import * as m2 from "../src/adapters/redis/lua/cancel.ts";
import * as m3 from "../src/adapters/redis/lua/claim.ts";
import * as m4 from "../src/adapters/redis/lua/dependencies.ts";
import * as m5 from "../src/adapters/redis/lua/enqueue.ts";
import * as m6 from "../src/adapters/redis/lua/list-tasks.ts";
import * as m7 from "../src/adapters/redis/lua/reclaim.ts";
import * as m8 from "../src/adapters/redis/lua/register.ts";
import * as m9 from "../src/adapters/redis/lua/retry-marks.ts";
import * as m10 from "../src/adapters/redis/lua/read-counts.ts";
import * as m11 from "../src/adapters/redis/lua/stats.ts";
import * as m12 from "../src/adapters/redis/lua/drain.ts";
import { noopRound, postJson } from "./bench-lib.ts";
import { percentile } from "./evaluate/stats.ts";
import { killAll, spawnEntry, spawnServer } from "./lib/processes.ts";
import { startRedisServer } from "./lib/redis-server.ts";

const argv = Bun.argv.slice(2);
const total = Number(flag(argv, "tasks") ?? 10_000);
const batch = Number(flag(argv, "batch") ?? 1000);
const serial = argv.includes("--serial");

const names = new Map<string, string>();
for (const s of [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12].flatMap((m) => Object.values(m))) {
  if (!(s instanceof LuaScript)) continue;
  names.set(s.sha, s.name);
  if (s.library !== undefined) names.set(s.library.name, s.name); // run with FCALL <function name>
}

await using redis = await startRedisServer();
const env = { REDIS_URL: redis.url, FAAS_PREFIX: "bench" };
const admin = new Redis(redis.url);
try {
  const api = await spawnServer("api", [], env);
  spawnEntry("dispatcher", ["--mode", "local", "--workers", "2", "--isolation", "thread"], { ...env, LOG_LEVEL: "warn" });
  const { function_id } = await postJson(`${api.url}/register_function`, { name: "noop", payload: "() => null" });
  const run = async (): Promise<void> => {
    if (!serial) await noopRound(api.url, function_id, total, batch);
    else for (let i = 0; i < total; i++) await postJson(`${api.url}/execute_function?wait=10`, { function_id, payload: "[]" });
  };
  await run();
  await admin.config("SET", "slowlog-max-len", "1000000");
  await admin.config("SET", "slowlog-log-slower-than", "0");
  await admin.slowlog("RESET");
  await run();
  await admin.config("SET", "slowlog-log-slower-than", "10000");
  const log = (await admin.call("SLOWLOG", "GET", "-1")) as [number, number, number, string[]][];
  const by = new Map<string, { calls: number; us: number; each: number[] }>();
  for (const [, , us, args] of log) {
    const cmd = String(args[0]).toLowerCase();
    const key = cmd === "evalsha" || cmd === "fcall" ? `script ${names.get(String(args[1])) ?? String(args[1]).slice(0, 8)}` : cmd;
    const e = by.get(key) ?? { calls: 0, us: 0, each: [] };
    e.calls++;
    e.us += us;
    e.each.push(us);
    by.set(key, e);
  }
  const sum = [...by.values()].reduce((s, e) => s + e.us, 0);
  console.log(`${total} no-op tasks, ${serial ? "one at a time" : `batches of ${batch}`}: ${(sum / total).toFixed(1)} us of commands per task (SLOWLOG durations, in-script commands counted in their script)`);
  for (const [k, e] of [...by].sort((a, b) => b[1].us - a[1].us)) {
    const [p50, p90, p99] = [50, 90, 99].map((p) => percentile(e.each, p));
    console.log(`  ${k.padEnd(24)} ${(e.us / total).toFixed(2)} us per task  ${e.calls} calls, ${(e.us / e.calls).toFixed(0)} us per call (median ${p50}, p90 ${p90}, p99 ${p99})`);
  }
} finally {
  admin.disconnect();
  await killAll();
}
