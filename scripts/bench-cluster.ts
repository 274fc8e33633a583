/**
 * Sharding benchmark (not a test): the same no-op run as bench-redis.ts (`bun run api` and one
 * `bun run dispatcher --mode local`, tasks through /execute_batch, results read by POST /wait) against
 * one redis-server (--shards 1) and against a 3-master Redis Cluster (--shards 3), reporting the
 * commands per task each node ran (INFO commandstats, delta over the measured rounds): each master
 * should carry about a third. These machines have 2 cores, so the point is the split, not the total.
 *
 *   bun scripts/bench-cluster.ts [--tasks 10000] [--batch 1000] [--rounds 3] [--workers 2] [--replicas 0]
 */
import Redis from "ioredis";
import { redisKeys } from "../src/adapters/redis/index.ts";
import { flag } from "../src/app/config.ts";
import { commandDelta, commandStats, noopRound, postJson } from "./bench-lib.ts";
import { killAll, spawnEntry, spawnServer } from "./lib/processes.ts";
import { startRedisCluster } from "./lib/redis-cluster.ts";
import { startRedisServer, type RedisServer } from "./lib/redis-server.ts";

const argv = Bun.argv.slice(2);
const total = Number(flag(argv, "tasks") ?? 10_000);
const batch = Number(flag(argv, "batch") ?? 1000);
const rounds = Number(flag(argv, "rounds") ?? 3);
const workers = flag(argv, "workers") ?? "2";
const replicas = Number(flag(argv, "replicas") ?? 0);
const PREFIX = "bench";

/** Runs the rounds against `env`'s Redis and prints throughput and each node's share of the commands. */
async function measure(title: string, env: Record<string, string>, nodes: readonly RedisServer[], shards: number): Promise<void> {
  const quiet = { ...env, LOG_LEVEL: "warn" };
  const admins = nodes.map((n) => new Redis(n.port, "127.0.0.1"));
  try {
    const api = await spawnServer("api", [], env);
    spawnEntry("dispatcher", ["--mode", "local", "--workers", workers], quiet);
    const { function_id } = await postJson(`${api.url}/register_function`, { name: "noop", payload: "() => null" });
    await noopRound(api.url, function_id, total, batch); // warm-up
    const before = await Promise.all(admins.map(async (a) => commandStats(await a.info("commandstats"))));
    const rates: number[] = [];
    for (let i = 0; i < rounds; i++) rates.push(await noopRound(api.url, function_id, total, batch));
    const deltas = await Promise.all(admins.map(async (a, i) => commandDelta(before[i] as Map<string, number>, commandStats(await a.info("commandstats")))));
    const tasks = total * rounds;
    const sums = deltas.map((d) => d.reduce((s, [, n]) => s + n, 0));
    const all = sums.reduce((a, b) => a + b, 0);
    const keys = redisKeys(PREFIX, { shards, hashTags: shards > 1 });
    console.log(`\n${title}: tasks=${total} per round x ${rounds}, batch=${batch}, 1 dispatcher --workers ${workers}`);
    console.log(`  throughput: ${rates.map((r) => Math.round(r)).join(", ")} tasks/s (best ${Math.round(Math.max(...rates))})`);
    console.log(`  redis commands per task, all nodes: ${(all / tasks).toFixed(2)}`);
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i] as RedisServer;
      const role = (await (admins[i] as Redis).info("replication")).match(/^role:(\w+)/m)?.[1] ?? "?";
      const owned = await shardsOn(admins[i] as Redis, keys.shards.map((k) => k.queue));
      const scripts = deltas[i]?.find(([c]) => c === "evalsha")?.[1] ?? 0;
      const share = all === 0 ? 0 : (100 * (sums[i] as number)) / all;
      console.log(`  node :${node.port} ${role.padEnd(6)} shards [${owned.join(",")}]: ${((sums[i] as number) / tasks).toFixed(3)} commands per task (${share.toFixed(1)}%), ${(scripts / tasks).toFixed(3)} scripts per task`);
    }
  } finally {
    for (const a of admins) a.disconnect();
    await killAll();
  }
}

/** Which of `queues` (one per shard) this node serves as a master (all of them on a single server). */
async function shardsOn(admin: Redis, queues: readonly string[]): Promise<number[]> {
  const info = String(await admin.info("cluster"));
  if (!info.includes("cluster_enabled:1")) return queues.map((_, i) => i);
  const myself = (String(await admin.call("CLUSTER", "MYID")));
  const slots = (await admin.call("CLUSTER", "SLOTS")) as [number, number, [string, number, string]][];
  const out: number[] = [];
  for (let i = 0; i < queues.length; i++) {
    const slot = Number(await admin.call("CLUSTER", "KEYSLOT", queues[i] as string));
    if (slots.some(([from, to, master]) => slot >= from && slot <= to && master[2] === myself)) out.push(i);
  }
  return out;
}

{
  await using single = await startRedisServer();
  await measure("one redis-server, --shards 1", { REDIS_URL: single.url, FAAS_PREFIX: PREFIX }, [single], 1);
}
{
  await using cluster = await startRedisCluster({ masters: 3, replicas });
  await measure(`Redis Cluster, 3 masters + ${3 * replicas} replicas, --shards 3`, { REDIS_CLUSTER: cluster.addresses, FAAS_SHARDS: "3", FAAS_PREFIX: PREFIX }, cluster.nodes, 3);
}
