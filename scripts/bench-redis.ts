/**
 * Redis-mode benchmark (not a test): starts its own redis-server, `bun run api` and one local-mode
 * dispatcher (--workers 2), then measures no-op tasks/s through /execute_batch with every result read
 * back (POST /wait), and Redis commands per task from INFO commandstats (delta over the measured runs).
 *
 * Then p50/p99 of one task at a time from execute to result (?wait).
 *
 *   bun scripts/bench-redis.ts [--tasks 10000] [--batch 1000] [--rounds 3] [--workers 2] [--serial 1000]
 */
import Redis from "ioredis";
import { flag } from "../src/app/config.ts";
import { startRedisServer } from "../test/helpers/redis-server.ts";
import { postJson, serialLatency, spawnServer, waitAll } from "./bench-lib.ts";

const argv = Bun.argv.slice(2);
const total = Number(flag(argv, "tasks") ?? 10_000);
const batch = Number(flag(argv, "batch") ?? 1000);
const rounds = Number(flag(argv, "rounds") ?? 3);
const workers = flag(argv, "workers") ?? "2";
const serial = Number(flag(argv, "serial") ?? 1000);

await using redis = await startRedisServer();
const env = { REDIS_URL: redis.url, FAAS_PREFIX: "bench" };
const api = await spawnServer("src/app/api.ts", [], env);
const dispatcher = Bun.spawn([process.execPath, "src/app/dispatcher.ts", "--mode", "local", "--workers", workers], {
  env: { ...process.env, LOG_LEVEL: "warn", ...env },
  stdout: "inherit",
  stderr: "inherit",
});
const stats = new Redis(redis.url);
try {
  const { function_id } = await postJson(`${api.url}/register_function`, { name: "noop", payload: "() => null" });
  const round = async (): Promise<number> => {
    const t0 = performance.now();
    const chunks: Promise<{ task_ids: string[] }>[] = [];
    for (let sent = 0; sent < total; sent += batch) {
      const n = Math.min(batch, total - sent);
      chunks.push(postJson(`${api.url}/execute_batch`, { function_id, payloads: Array.from({ length: n }, () => "[]") }));
    }
    const ids = (await Promise.all(chunks)).flatMap((c) => c.task_ids);
    const results = [...(await waitAll(api.url, ids)).values()];
    const seconds = (performance.now() - t0) / 1000;
    if (results.length !== total) throw new Error(`read back ${results.length} of ${total}`);
    const bad = results.filter((r) => r.status !== "COMPLETED").length;
    if (bad > 0) throw new Error(`${bad} tasks did not complete`);
    return total / seconds;
  };
  await round(); // warm-up (threads compiled, scripts cached)
  const before = commandStats(await stats.info("commandstats"));
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) rates.push(await round());
  const after = commandStats(await stats.info("commandstats"));
  const tasks = total * rounds;
  const delta = [...after].map(([cmd, n]) => [cmd, n - (before.get(cmd) ?? 0)] as const).filter(([, n]) => n > 0);
  delta.sort((a, b) => b[1] - a[1]);
  const perTask = delta.reduce((sum, [, n]) => sum + n, 0) / tasks;
  console.log(`mode=redis, 1 dispatcher --workers ${workers}, tasks=${total} per round, batch=${batch}, results read by POST /wait`);
  console.log(`throughput: ${rates.map((r) => Math.round(r)).join(", ")} tasks/s (best ${Math.round(Math.max(...rates))})`);
  console.log(`redis commands per task: ${perTask.toFixed(2)} (over ${tasks} tasks; commands inside scripts included)`);
  for (const [cmd, n] of delta) console.log(`  ${cmd.padEnd(12)} ${(n / tasks).toFixed(3)} per task  (${n})`);
  const lat = await serialLatency(api.url, function_id, serial);
  console.log(`one at a time (${serial}): p50 ${lat.p50.toFixed(3)} ms, p99 ${lat.p99.toFixed(3)} ms`);
} finally {
  stats.disconnect();
  dispatcher.kill();
  await dispatcher.exited;
  await api.stop();
}

/** calls per command from `INFO commandstats` ("cmdstat_get:calls=3,usec=..."). */
function commandStats(info: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1] as string, Number(m[2]));
  return out;
}
