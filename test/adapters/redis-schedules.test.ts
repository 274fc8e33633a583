/**
 * What the Redis ScheduleStore adds to its contract: with shards, a schedule lives in the shard its id
 * names (ids from the backend's `taskIds.batch(1)`), its two hashes share that shard's hash slot, and
 * its tick tasks (`<id>@<tick>`) land in the same shard, stored once however often the tick is sent.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { keySlot, openRedisBackend, shardOfTask, type RedisBackend } from "../../src/adapters/redis/index.ts";
import { systemClock } from "../../src/adapters/system/index.ts";
import { tickTaskId, type Schedule } from "../../src/domain/schedule.ts";
import { newTask } from "../../src/domain/task.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { F1 } from "../helpers/redis-contracts.ts";

let server: RedisServer;
let admin: Redis;
let backend: RedisBackend;

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
  backend = openRedisBackend({ url: server.url, prefix: `sched-${process.pid}`, shards: 3, clock: systemClock, retentionMs: 60_000 });
  expect(await backend.ready(5000)).toBe(true);
  await backend.functions.save(F1);
});

afterAll(async () => {
  await backend?.close();
  admin?.disconnect();
  await server?.[Symbol.asyncDispose]();
});

test("a schedule lives in the shard its id names, in one hash slot with the tasks of its ticks, which are stored once", async () => {
  const shardsSeen = new Set<number>();
  for (let i = 0; i < 3; i++) {
    const [id] = backend.taskIds.batch?.(1) as [string];
    const k = shardOfTask(id, 3);
    shardsSeen.add(k);
    const s: Schedule = { id, tenant: "default", functionId: "f-1", everyMs: 1000, args: "[1]", paused: false, nextAt: 1_700_000_001_000, createdAt: 1_700_000_000_000 };
    await backend.schedules.create(s);
    const keys = backend.keys.shards[k]!;
    expect(await admin.hexists(keys.schedules, id)).toBe(1);
    for (const other of backend.keys.shards.filter((_, j) => j !== k)) expect(await admin.hexists(other.schedules, id)).toBe(0);
    const tick = tickTaskId(id, s.nextAt);
    expect(shardOfTask(tick, 3)).toBe(k);
    expect(new Set([keys.schedules, keys.scheduleState, keys.task(tick), keys.queue].map(keySlot)).size).toBe(1);
    const task = newTask(tick, "f-1", "[1]", 3, 1000, Date.now());
    for (let n = 0; n < 3; n++) expect((await backend.tasks.enqueue([task], { maxQueue: 100, ifAbsent: true })).ok).toBe(true);
    expect(await admin.exists(keys.task(tick))).toBe(1);
  }
  expect(shardsSeen.size).toBe(3);
  expect((await backend.tasks.snapshot()).submitted).toBe(3); // one per tick, though each was sent three times
  expect(await backend.tasks.queueDepth()).toBe(3);
});
