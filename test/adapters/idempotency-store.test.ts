/**
 * The IdempotencyStore adapters: the contract suite on memory and on one Redis (the shard and Cluster
 * runs are in redis-contracts.ts), then what only each has: the memory store's expiry to the
 * millisecond on a fake clock and the dropping of expired keys; the Redis key's name and time to live,
 * and a remembered key on the replica before it returns with --redis-wait-replicas.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { MemoryIdempotencyStore } from "../../src/adapters/memory/index.ts";
import { openRedisBackend, type RedisBackend } from "../../src/adapters/redis/index.ts";
import { systemClock } from "../../src/adapters/system/index.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { describeIdempotencyStore } from "../contracts/idempotency-store.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { expireIdempotencyKeys } from "../helpers/redis-contracts.ts";

let server: RedisServer;
let replica: RedisServer;
let admin: Redis;
let replicaClient: Redis;
const opened: RedisBackend[] = [];
let seq = 0;

beforeAll(async () => {
  server = await startRedisServer();
  replica = await startRedisServer({ args: ["--replicaof", "127.0.0.1", String(server.port)] });
  admin = new Redis(server.url);
  replicaClient = new Redis(replica.url);
  await waitFor(async () => (await replicaClient.info("replication")).includes("master_link_status:up"), "the replica to sync", 15_000);
});

afterAll(async () => {
  await Promise.all(opened.map((b) => b.close()));
  admin?.disconnect();
  replicaClient?.disconnect();
  await replica?.[Symbol.asyncDispose]();
  await server?.[Symbol.asyncDispose]();
});

async function open(waitReplicas = 0): Promise<RedisBackend> {
  const b = openRedisBackend({ url: server.url, prefix: `idem-${process.pid}-${++seq}`, waitReplicas, clock: systemClock, retentionMs: 60_000 });
  opened.push(b);
  expect(await b.ready(5000)).toBe(true);
  return b;
}

describeIdempotencyStore("memory", async () => {
  const clock = new FakeClock();
  return { store: new MemoryIdempotencyStore(clock), expireAll: async () => clock.advance(86_400_001), close: async () => {} };
});

describeIdempotencyStore("redis", async () => {
  const b = await open();
  const close = async (): Promise<void> => {
    opened.splice(opened.indexOf(b), 1);
    await b.close();
  };
  return { store: b.idempotency, expireAll: () => expireIdempotencyKeys(admin, b), close };
});

describe("memory idempotency store", () => {
  test("a key is known until its time to live has passed, to the millisecond, and dropped after", async () => {
    const clock = new FakeClock();
    const store = new MemoryIdempotencyStore(clock);
    await store.remember("default", "k", { fingerprint: "a", taskIds: ["t-1"] }, 1000);
    clock.advance(999);
    expect((await store.remember("default", "k", { fingerprint: "b", taskIds: ["t-2"] }, 1000)).fresh).toBe(false);
    for (let i = 0; i < 100; i++) await store.remember("default", `other-${i}`, { fingerprint: "o", taskIds: [] }, 1000);
    clock.advance(1);
    expect(await store.remember("default", "k", { fingerprint: "b", taskIds: ["t-2"] }, 1000)).toEqual({ fresh: true });
    clock.advance(1000);
    await store.remember("default", "last", { fingerprint: "l", taskIds: [] }, 1000);
    expect(store.size()).toBe(1); // every expired key was dropped, not only the one asked for
  });

  test("a key forgotten and remembered again keeps its new expiry when the old one passes", async () => {
    const clock = new FakeClock();
    const store = new MemoryIdempotencyStore(clock);
    await store.remember("default", "k", { fingerprint: "a", taskIds: ["t-1"] }, 1000);
    clock.advance(500);
    await store.forget("default", "k");
    await store.remember("default", "k", { fingerprint: "b", taskIds: ["t-2"] }, 1000);
    clock.advance(600); // past the first expiry, before the second
    expect(await store.remember("default", "k", { fingerprint: "c", taskIds: [] }, 1000)).toEqual({ fresh: false, record: { fingerprint: "b", taskIds: ["t-2"] } });
  });
});

describe("redis idempotency store", () => {
  test("one string per tenant and key, <prefix>:idem:<tenant>:<key>, expiring after the time to live", async () => {
    const b = await open();
    await b.idempotency.remember("alice", "order:42", { fingerprint: "fp", taskIds: ["t-1", "t-2"] }, 5000);
    const name = `${b.keys.prefix}:idem:alice:order:42`;
    expect(await admin.keys(`${b.keys.prefix}:idem:*`)).toEqual([name]);
    expect(JSON.parse((await admin.get(name)) as string)).toEqual({ f: "fp", t: ["t-1", "t-2"] });
    const ttl = await admin.pttl(name);
    expect(ttl > 0 && ttl <= 5000).toBe(true);
    await b.idempotency.forget("alice", "order:42");
    expect(await admin.exists(name)).toBe(0);
  });

  test("with --redis-wait-replicas 1, a remembered key is on the replica when remember returns", async () => {
    const b = await open(1);
    for (let i = 0; i < 5; i++) {
      expect((await b.idempotency.remember("default", `k-${i}`, { fingerprint: "fp", taskIds: [`t-${i}`] }, 60_000)).fresh).toBe(true);
      expect(await replicaClient.exists(`${b.keys.prefix}:idem:default:k-${i}`)).toBe(1);
    }
  });
});
