/**
 * `--redis-wait-replicas`: enqueues and registrations answer only once that many replicas have them
 * (WAIT on the connection that wrote), else BackendTimeoutError (504: may have been applied). A private
 * master with one replica, both redis-servers on free ports.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { openRedisBackend, type RedisBackend } from "../../src/adapters/redis/index.ts";
import { systemClock } from "../../src/adapters/system/index.ts";
import { BackendTimeoutError } from "../../src/domain/errors.ts";
import { newTask } from "../../src/domain/task.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { F1 } from "../helpers/redis-contracts.ts";

let master: RedisServer;
let replica: RedisServer;
let replicaClient: Redis;
const opened: RedisBackend[] = [];

beforeAll(async () => {
  master = await startRedisServer();
  replica = await startRedisServer({ args: ["--replicaof", "127.0.0.1", String(master.port)] });
  replicaClient = new Redis(replica.url);
  await waitFor(async () => (await replicaClient.info("replication")).includes("master_link_status:up"), "the replica to sync", 15_000);
});

afterAll(async () => {
  await Promise.all(opened.map((b) => b.close()));
  replicaClient?.disconnect();
  await replica?.[Symbol.asyncDispose]();
  await master?.[Symbol.asyncDispose]();
});

async function open(waitReplicas: number, shards = 1, waitTimeoutMs = 200): Promise<RedisBackend> {
  const b = openRedisBackend({ url: master.url, prefix: `wait-${waitReplicas}-${shards}`, shards, waitReplicas, waitTimeoutMs, commandTimeoutMs: waitTimeoutMs + 1000, clock: systemClock, retentionMs: 60_000 });
  opened.push(b);
  expect(await b.ready(5000)).toBe(true);
  return b;
}

test("with one replica to wait for, a registration and an enqueue are on the replica when they return", async () => {
  const b = await open(1, 3, 5000); // answers as soon as the replica has it; the bound only matters on a loaded machine
  await b.functions.save(F1);
  for (const k of b.keys.shards) expect(await replicaClient.hexists(k.functions, "f-1")).toBe(1);
  for (let i = 0; i < 3; i++) {
    const ids = b.taskIds.batch?.(5) as string[];
    expect((await b.tasks.enqueue(ids.map((id) => newTask(id, "f-1", "[1]", 3, 1000, Date.now())), { maxQueue: 100 })).ok).toBe(true);
    const k = b.keys.shards.find((s) => ids[0]!.startsWith(`${b.keys.shards.indexOf(s)}-`))!;
    expect((await replicaClient.mget(ids.map((id) => k.task(id)))).every((json) => json !== null)).toBe(true);
  }
});

test("waiting for more replicas than there are answers BackendTimeoutError (may have been applied), and the write is on the master", async () => {
  const b = await open(2);
  const failed = await b.functions.save(F1).catch((e) => e);
  expect(failed).toBeInstanceOf(BackendTimeoutError);
  expect(String(failed.message)).toMatch(/[01] of 2 replica\(s\) confirmed it within 200 ms/); // 0 when the loaded replica is slower than 200 ms
  expect(await b.functions.get("f-1")).toEqual(F1);
  const t = newTask("t-1", "f-1", "[1]", 3, 1000, Date.now());
  expect(await b.tasks.enqueue([t], { maxQueue: 100 }).catch((e) => e.constructor.name)).toBe("BackendTimeoutError");
  expect((await b.tasks.get("t-1"))?.status).toBe("QUEUED");
  // Refused writes change nothing, so there is nothing to wait for: the answer is the refusal.
  expect(await b.tasks.enqueue([newTask("t-2", "f-1", "[1]", 3, 1000, Date.now())], { maxQueue: 1 })).toMatchObject({ ok: false, error: { kind: "QueueFull" } });
  expect(await b.tasks.enqueue([newTask("t-3", "nope", "[1]", 3, 1000, Date.now())], { maxQueue: 100 })).toEqual({ ok: false, error: { kind: "UnknownFunction", functionId: "nope" } });
}, 15_000);
