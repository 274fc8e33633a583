/**
 * The queue's task semantics (test/contracts/task-queue.ts: priorities and aging, delays, policy
 * retries, fair shares, running and rate limits, dependencies) and the schedule store's contract, once
 * against a master found through a Sentinel, as `REDIS_SENTINELS` deployments reach it. The cheapest such setup: a master and one
 * Sentinel, no replica (failover is tested in redis-sentinel.test.ts); one shard, as under Sentinel the
 * keys keep their plain names.
 */
import { afterAll, beforeAll, setDefaultTimeout } from "bun:test";
import { openRedisBackend, type RedisBackend } from "../../src/adapters/redis/index.ts";
import type { LimitsTable } from "../../src/domain/tenant-limits.ts";
import { startSentinelGroup, type SentinelGroup } from "../../scripts/lib/redis-sentinel.ts";
import { removeTempDirs } from "../../scripts/lib/temp-dirs.ts";
import { describeScheduleStore } from "../contracts/schedule-store.ts";
import { describeTaskQueue } from "../contracts/task-queue.ts";
import { F1 } from "../helpers/redis-contracts.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

setDefaultTimeout(30_000); // processes start slowly on a busy machine
let group: SentinelGroup;
const opened: RedisBackend[] = [];
let seq = 0;

beforeAll(async () => {
  group = await startSentinelGroup({ replicas: 0, sentinels: 1 });
});

afterAll(async () => {
  await Promise.all(opened.map((b) => b.close()));
  await group?.[Symbol.asyncDispose]();
  removeTempDirs();
});

/** A backend on a fresh prefix of the master the Sentinel names, "f-1" registered. */
async function open(o: { clock?: FakeClock; agingMs?: number; limits?: LimitsTable } = {}): Promise<{ backend: RedisBackend; close(): Promise<void> }> {
  const backend = openRedisBackend({
    location: { kind: "sentinel", sentinels: group.sentinelAddresses, name: group.name },
    prefix: `sq-${process.pid}-${++seq}`,
    clock: o.clock ?? new FakeClock(Date.now()),
    retentionMs: 60_000,
    ...(o.agingMs !== undefined && { agingMs: o.agingMs }),
    ...(o.limits !== undefined && { limits: o.limits }),
  });
  opened.push(backend);
  if (!(await backend.ready(10_000))) throw new Error("the master named by the Sentinel did not answer within 10 s");
  await backend.functions.save(F1);
  const close = async (): Promise<void> => {
    opened.splice(opened.indexOf(backend), 1);
    await backend.close();
  };
  return { backend, close };
}

describeTaskQueue("redis via Sentinel", async (o) => {
  const clock = new FakeClock(Date.now());
  const { backend, close } = await open({ clock, ...o });
  return { store: backend.tasks, queue: backend.dispatchQueue({ dispatcherId: `d-${seq}`, reclaimEveryMs: 50 }), clock, close };
});

describeScheduleStore("redis via Sentinel", async () => {
  const { backend, close } = await open();
  return { store: backend.schedules, close };
});
