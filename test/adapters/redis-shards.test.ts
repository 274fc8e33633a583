/**
 * The Redis adapters with the queue split into shards, on one private redis-server: the contract
 * suites with 3 shards, and what sharding adds: ids that name their shard, keys of one hash slot per
 * shard, claims that visit every shard in turn and wake on any, functions in every shard, the shard
 * count stored and enforced, and entries a live dispatcher lost track of adopted without an error.
 */
import type { LimitsTable } from "../../src/domain/tenant-limits.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { GROUP, keySlot, openRedisBackend, ShardCountMismatchError, shardOfTask, type RedisBackend } from "../../src/adapters/redis/index.ts";
import { CLAIM } from "../../src/adapters/redis/lua/claim.ts";
import { systemClock } from "../../src/adapters/system/index.ts";
import type { Clock } from "../../src/domain/ports.ts";
import { newTask, type Task } from "../../src/domain/task.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { describeRedisContracts, F1, type OpenedBackend } from "../helpers/redis-contracts.ts";

let server: RedisServer;
let admin: Redis;
const opened: RedisBackend[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});

afterAll(async () => {
  await Promise.all(opened.map((b) => b.close()));
  admin?.disconnect();
  await server?.[Symbol.asyncDispose]();
});

let seq = 0;
const never = new AbortController().signal;

async function open(o: { prefix?: string; shards?: number; clock?: Clock; withF1?: boolean; reclaimEveryMs?: number; agingMs?: number; limits?: LimitsTable } = {}): Promise<OpenedBackend & { dispatcherId: string }> {
  const backend = openRedisBackend({ url: server.url, prefix: o.prefix ?? `shards-${process.pid}-${++seq}`, shards: o.shards ?? 3, clock: o.clock ?? systemClock, retentionMs: 60_000, ...(o.agingMs !== undefined && { agingMs: o.agingMs }), ...(o.limits !== undefined && { limits: o.limits }) });
  opened.push(backend);
  const dispatcherId = `d-${++seq}`;
  const queue = backend.dispatchQueue({ dispatcherId, reclaimEveryMs: o.reclaimEveryMs ?? 50 });
  expect(await backend.ready(5000)).toBe(true);
  if (o.withF1 !== false) await backend.functions.save(F1);
  const close = async (): Promise<void> => {
    opened.splice(opened.indexOf(backend), 1);
    await backend.close();
  };
  return { backend, queue, dispatcherId, close };
}

/** A batch of `n` tasks of "f-1" with ids from the backend (one shard per batch, in turn). */
function batch(b: RedisBackend, n: number): Task[] {
  const ids = b.taskIds.batch?.(n) as string[];
  return ids.map((id) => newTask(id, "f-1", "[1]", 3, 1000, Date.now()));
}

describeRedisContracts("redis, 3 shards", (o) => open(o), () => admin);

describe("Redis with 3 shards", () => {
  test("a batch's ids name one shard, batches take the shards in turn, and each shard's keys share one hash slot", async () => {
    const { backend } = await open();
    const batches = [batch(backend, 4), batch(backend, 4), batch(backend, 4)];
    const shards = batches.map((ts) => new Set(ts.map((t) => shardOfTask(t.id, 3))));
    expect(shards.every((s) => s.size === 1)).toBe(true);
    expect(new Set(shards.map((s) => [...s][0])).size).toBe(3);
    expect(batches.flat().every((t) => /^[0-2]-[0-9a-f-]{36}$/.test(t.id))).toBe(true);
    for (const ts of batches) expect((await backend.tasks.enqueue(ts, { maxQueue: 100 })).ok).toBe(true);
    for (const k of backend.keys.shards) {
      const slots = new Set([k.queue, k.queued, k.functions, k.tenants, k.statsOf("default"), k.task("x"), k.live("d")].map(keySlot));
      expect(slots.size).toBe(1);
    }
    expect(new Set(backend.keys.shards.map((k) => keySlot(k.queue))).size).toBe(3);
    const stored = await backend.tasks.getMany(batches.flat().map((t) => t.id));
    expect(stored.map((t) => t?.status)).toEqual(batches.flat().map(() => "QUEUED"));
    expect(await backend.tasks.queueDepth()).toBe(12);
    expect(shardOfTask(crypto.randomUUID(), 3)).toBe(0); // a plain UUID (ids from before shards) lives in shard 0
  });

  test("claims start at the next shard each time: a shard with few tasks is not starved by long ones", async () => {
    const { backend, queue } = await open();
    const sizes = [100, 3, 100];
    for (let filled = 0; filled < 3; ) {
      const ts = batch(backend, 1); // learn the shard of the next batch, then fill it
      const shard = shardOfTask(ts[0]!.id, 3);
      const rest = Array.from({ length: sizes[shard]! - 1 }, () => newTask(`${shard}-${crypto.randomUUID()}`, "f-1", "[1]", 3, 1000, Date.now()));
      await backend.tasks.enqueue([...ts, ...rest], { maxQueue: 1000 });
      filled++;
    }
    const seen = new Set<number>();
    for (let i = 0; i < 3; i++) for (const t of await queue.claim(10, never)) seen.add(shardOfTask(t.id, 3));
    expect([...seen].sort()).toEqual([0, 1, 2]);
  });

  test("a claim waiting on every shard wakes when any shard gets a task", async () => {
    const { backend, queue } = await open();
    for (let shard = 0; shard < 3; shard++) {
      const waiting = queue.claim(10, never);
      const ts = batch(backend, 1);
      await backend.tasks.enqueue(ts, { maxQueue: 100 });
      expect((await waiting).map((t) => t.id)).toEqual([ts[0]!.id]);
    }
  });

  test("register writes the function into every shard; a shard that lost it refuses its batches with UnknownFunction", async () => {
    const { backend } = await open();
    for (const k of backend.keys.shards) expect(await admin.hexists(k.functions, "f-1")).toBe(1);
    expect(await backend.functions.count()).toBe(1);
    await admin.hdel(backend.keys.shards[2]!.functions, "f-1");
    const results = [];
    for (let i = 0; i < 3; i++) {
      const ts = batch(backend, 2);
      results.push([shardOfTask(ts[0]!.id, 3), (await backend.tasks.enqueue(ts, { maxQueue: 100 })).ok]);
    }
    expect(results.sort()).toEqual([
      [0, true],
      [1, true],
      [2, false],
    ]);
  });

  test("the shard count is the deployment's: a process with another is refused, naming both", async () => {
    const { backend } = await open();
    expect(await admin.get(backend.keys.shardCount)).toBe("3");
    const other = openRedisBackend({ url: server.url, prefix: backend.keys.prefix, shards: 2, clock: systemClock, retentionMs: 60_000 });
    opened.push(other);
    const refusal = await other.ready(5000).catch((e) => e);
    expect(refusal).toBeInstanceOf(ShardCountMismatchError);
    expect(String(refusal.message)).toContain("holds a queue of 3 shard(s)");
    expect(String(refusal.message)).toContain("--shards 2");
  });

  test("entries pending on a live dispatcher that it does not hold (a write lost in a failover) are adopted within a reclaim period, no error needed", async () => {
    const { backend, queue, dispatcherId } = await open({ reclaimEveryMs: 50 });
    const ts = batch(backend, 1);
    await backend.tasks.enqueue(ts, { maxQueue: 10 });
    const k = backend.keys.shards[shardOfTask(ts[0]!.id, 3)]!;
    // The entry is handed to this dispatcher behind its back, as when Redis acknowledged its APPLY and
    // a failover lost it: RUNNING, pending on it, and it does not know.
    await CLAIM.run(admin, k.scriptKeys, [GROUP, dispatcherId, 1, Date.now(), 30_000]);
    expect((await backend.tasks.get(ts[0]!.id))?.attempt).toBe(1);
    const adopted = await waitFor(async () => {
      const got = await queue.claim(10, AbortSignal.timeout(1000));
      return got.length > 0 ? got : undefined;
    }, "the dispatcher to adopt the entry it did not know about", 10_000);
    expect(adopted.map((t) => [t.id, t.attempt])).toEqual([[ts[0]!.id, 2]]);
  });
});
