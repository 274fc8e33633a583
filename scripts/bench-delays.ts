/**
 * How late delayed tasks start (not a test): submits tasks with `run_at` spread over the next seconds
 * (one per call, each at its own time), the function returns Date.now() when it starts, and the lag
 * is that minus run_at. Embedded, then Redis with a local dispatcher (own redis-server). Prints
 * p50/p99/max of the lag in ms.
 *
 *   bun scripts/bench-delays.ts [--tasks 200] [--spread-ms 3000]
 */
import { flag } from "../src/app/config.ts";
import { percentile, postJson, waitAll } from "./bench-lib.ts";
import { killAll, spawnEntry, spawnServer } from "./lib/processes.ts";
import { startRedisServer } from "./lib/redis-server.ts";

const argv = Bun.argv.slice(2);
const total = Number(flag(argv, "tasks") ?? 200);
const spreadMs = Number(flag(argv, "spread-ms") ?? 3000);

async function measure(url: string): Promise<number[]> {
  const { function_id } = await postJson(`${url}/register_function`, { name: "now", payload: "() => Date.now()" });
  const base = Date.now() + 500;
  const runAt = Array.from({ length: total }, (_, i) => base + Math.round((i * spreadMs) / total));
  const ids: string[] = [];
  for (const at of runAt) ids.push((await postJson(`${url}/execute_function`, { function_id, payload: "[]", run_at: new Date(at).toISOString() })).task_id);
  const done = await waitAll(url, ids);
  return ids.map((id, i) => Number(JSON.parse(done.get(id).result)) - (runAt[i] as number)).sort((a, b) => a - b);
}

function report(what: string, lags: number[]): void {
  console.log(`${what}: ${lags.length} delayed tasks, start lag p50 ${percentile(lags, 0.5)} ms, p99 ${percentile(lags, 0.99)} ms, max ${lags.at(-1)} ms, min ${lags[0]} ms`);
}

try {
  const embedded = await spawnServer("start", ["--workers", "2"], {});
  report("embedded", await measure(embedded.url));
  await killAll();
  await using redis = await startRedisServer();
  const env = { REDIS_URL: redis.url, FAAS_PREFIX: "delays" };
  const api = await spawnServer("api", [], env);
  spawnEntry("dispatcher", ["--mode", "local", "--workers", "2", "--isolation", "thread"], { ...env, LOG_LEVEL: "warn" });
  report("redis, local dispatcher", await measure(api.url));
} finally {
  await killAll();
}
