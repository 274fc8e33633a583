/**
 * Sentinel failover benchmark (not a test): a master, a replica and three Sentinels
 * (down-after-milliseconds 1000), `bun run api` and one `bun run dispatcher` through them.
 *
 * 1. Failover under load, `--runs` times without and with --redis-wait-replicas 1: `--clients`
 *    clients submit batches of `--batch` no-op tasks as fast as they can; the master is killed -9
 *    mid-run; once a replica is promoted the clients stop. Reported per run: tasks acknowledged (201),
 *    how many of those Redis no longer knows (lost: /wait lists them unknown), how far the replica was
 *    behind, the time from the kill to the promotion and to the first task completing again. With
 *    --pause-replica-ms, the replica is frozen (SIGSTOP) that long before the kill and thawed after it:
 *    a replica that lags behind, as over a slow or congested link.
 * 2. The latency cost of WAIT: p50/p99 of one task at a time (execute, then ?wait for the result)
 *    through two api processes on the same Redis, one with --redis-wait-replicas 1 and one without,
 *    taking turns task by task.
 *
 *   bun scripts/bench-failover.ts [--runs 3] [--clients 4] [--batch 200] [--serial 1000] [--pause-replica-ms 0]
 */
import Redis from "ioredis";
import { flag } from "../src/app/config.ts";
import { commandStats, percentile, postJson } from "./bench-lib.ts";
import { call } from "./lib/http.ts";
import { killAll, spawnEntry, spawnServer } from "./lib/processes.ts";
import type { RedisServer } from "./lib/redis-server.ts";
import { startSentinelGroup, type SentinelGroup } from "./lib/redis-sentinel.ts";
import { waitFor } from "./lib/wait-for.ts";

const argv = Bun.argv.slice(2);
const runs = Number(flag(argv, "runs") ?? 3);
const clients = Number(flag(argv, "clients") ?? 4);
const batch = Number(flag(argv, "batch") ?? 200);
const serial = Number(flag(argv, "serial") ?? 1000);
const pauseReplicaMs = Number(flag(argv, "pause-replica-ms") ?? 0);
const PREFIX = "bench";

function envOf(group: SentinelGroup): Record<string, string> {
  return { REDIS_SENTINELS: group.addresses, REDIS_SENTINEL_NAME: group.name, FAAS_PREFIX: PREFIX };
}

interface RunResult {
  readonly accepted: number;
  readonly lost: number;
  readonly promotedMs: number;
  readonly firstCompletionMs: number;
  /** Bytes of replication stream the replica had not received just before the kill (INFO replication; its last acknowledgement when paused). */
  readonly lagBytes: number;
}

async function failoverRun(waitReplicas: number): Promise<RunResult> {
  await using group = await startSentinelGroup({ replicas: 1, sentinels: 3, downAfterMs: 1000 });
  const env = envOf(group);
  try {
    const api = await spawnServer("api", ["--redis-wait-replicas", String(waitReplicas)], env);
    spawnEntry("dispatcher", ["--mode", "local", "--workers", "2", "--liveness", "3s"], { ...env, LOG_LEVEL: "warn" });
    const { function_id } = await postJson(`${api.url}/register_function`, { name: "noop", payload: "() => null" });
    const masterAdmin = new Redis(group.master.port, "127.0.0.1", { retryStrategy: () => null });
    const accepted: string[] = [];
    let submitting = true;
    const lanes = Array.from({ length: clients }, async () => {
      while (submitting) {
        const r = await call(`${api.url}/execute_batch`, { function_id, payloads: Array.from({ length: batch }, () => "[]") }).catch(() => undefined);
        if (r?.status === 201) accepted.push(...(r.body.task_ids as string[]));
        else await Bun.sleep(20);
      }
    });
    await waitFor(() => accepted.length >= 20_000, "20,000 tasks accepted before the kill", 120_000, 20);
    const replica = group.replicas[0] as RedisServer;
    if (pauseReplicaMs > 0) {
      replica.freeze(); // a replica that falls behind (busy, slow link): the master keeps acknowledging
      await Bun.sleep(pauseReplicaMs);
    }
    const replicaAdmin = new Redis(replica.port, "127.0.0.1", { retryStrategy: () => null });
    const [onMaster, onReplica] = await Promise.all([masterAdmin.info("replication"), pauseReplicaMs > 0 ? Promise.resolve("") : replicaAdmin.info("replication")]);
    await group.master.stop({ kill: true });
    const killedAt = Date.now();
    replica.thaw();
    masterAdmin.disconnect();
    const received = pauseReplicaMs > 0 ? Number(/^slave0:.*offset=(\d+)/m.exec(onMaster)?.[1]) : Number(/^slave_repl_offset:(\d+)/m.exec(onReplica)?.[1]);
    const lagBytes = Number(/^master_repl_offset:(\d+)/m.exec(onMaster)?.[1]) - received;
    replicaAdmin.disconnect();
    const promoted = await group.failedOver(60_000);
    const promotedMs = Date.now() - killedAt;
    submitting = false;
    await Promise.all(lanes);
    // Lost: acknowledged, but unknown to the promoted master. Wait for the rest to end.
    let lost = 0;
    let pending = [...accepted];
    while (pending.length > 0) {
      const next: string[] = [];
      for (let i = 0; i < pending.length; i += 5000) {
        const r = await call(`${api.url}/wait`, { task_ids: pending.slice(i, i + 5000), timeout_s: 2 });
        if (r.status !== 200) {
          next.push(...pending.slice(i, i + 5000));
          continue;
        }
        lost += (r.body.unknown as string[]).length;
        next.push(...(r.body.pending as string[]));
      }
      pending = next;
    }
    const admin = new Redis(promoted.port, "127.0.0.1");
    let first = Number.POSITIVE_INFINITY;
    for (let i = 0; i < accepted.length; i += 5000) {
      for (const json of await admin.mget(accepted.slice(i, i + 5000).map((id) => `${PREFIX}:task:${id}`))) {
        const at = json === null ? 0 : (JSON.parse(json) as { updatedAt: number }).updatedAt;
        if (at > killedAt && at < first) first = at;
      }
    }
    admin.disconnect();
    return { accepted: accepted.length, lost, promotedMs, firstCompletionMs: first - killedAt, lagBytes };
  } finally {
    await killAll();
  }
}

async function waitLatency(): Promise<void> {
  await using group = await startSentinelGroup({ replicas: 1, sentinels: 3, downAfterMs: 1000 });
  const env = envOf(group);
  try {
    const plain = await spawnServer("api", [], env);
    const waiting = await spawnServer("api", ["--redis-wait-replicas", "1"], env);
    spawnEntry("dispatcher", ["--mode", "local", "--workers", "2"], { ...env, LOG_LEVEL: "warn" });
    const { function_id } = await postJson(`${plain.url}/register_function`, { name: "noop", payload: "() => null" });
    const one = async (url: string): Promise<number> => {
      const t0 = performance.now();
      const { task_id } = await postJson(`${url}/execute_function`, { function_id, payload: "[]" });
      const r = (await (await fetch(`${url}/result/${task_id}?wait=10`)).json()) as { status: string };
      if (r.status !== "COMPLETED") throw new Error(`task ${task_id} ended ${r.status}`);
      return performance.now() - t0;
    };
    for (let i = 0; i < 100; i++) await one(i % 2 === 0 ? plain.url : waiting.url); // warm-up
    const master = new Redis(group.master.port, "127.0.0.1");
    const waits = async (): Promise<number> => commandStats(await master.info("commandstats")).get("wait") ?? 0;
    const waitsBefore = await waits();
    const lat: Record<string, number[]> = { plain: [], waiting: [] };
    for (let i = 0; i < serial; i++) {
      lat.plain!.push(await one(plain.url));
      lat.waiting!.push(await one(waiting.url));
    }
    console.log(`  WAIT commands run: ${(await waits()) - waitsBefore} (one per task through the api with --redis-wait-replicas 1)`);
    master.disconnect();
    for (const [name, xs] of Object.entries(lat)) {
      xs.sort((a, b) => a - b);
      console.log(`  ${name === "plain" ? "without WAIT          " : "--redis-wait-replicas 1"}: p50 ${percentile(xs, 50).toFixed(3)} ms, p99 ${percentile(xs, 99).toFixed(3)} ms (${xs.length} tasks)`);
    }
  } finally {
    await killAll();
  }
}

console.log(`Sentinel failover: master + 1 replica + 3 Sentinels (down-after 1000 ms); ${clients} clients submitting batches of ${batch} no-op tasks; kill -9 of the master after 20,000 accepted${pauseReplicaMs > 0 ? `, the replica frozen for ${pauseReplicaMs} ms before it` : ""}`);
for (const waitReplicas of [0, 1]) {
  for (let r = 0; r < runs; r++) {
    const x = await failoverRun(waitReplicas);
    console.log(`  --redis-wait-replicas ${waitReplicas}, run ${r + 1}: ${x.accepted} acknowledged, ${x.lost} lost (replica ${x.lagBytes} bytes behind just before the kill); replica promoted ${x.promotedMs} ms after the kill, first task completed again after ${x.firstCompletionMs} ms`);
  }
}
if (serial > 0) {
  console.log(`One task at a time through a Sentinel-watched master with one replica, same run:`);
  await waitLatency();
}
