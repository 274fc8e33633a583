/**
 * Idempotency keys through the API on Redis (startApi in this process, a private redis-server, 3 queue
 * shards, no dispatcher: tasks stay QUEUED): 201 then 200 with the same ids and nothing new queued,
 * 409 for another request, the key stored as `<prefix>:idem:<tenant>:<key>` expiring after
 * --retention; and a first request that stopped between remembering its key and storing its tasks (its
 * record written by hand) completed by the retry, with the ids it had chosen.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import Redis from "ioredis";
import { fingerprintOf } from "../../src/adapters/http/idempotency.ts";
import { call, register } from "../../scripts/lib/http.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { startApiHere, stopAllHere } from "../helpers/roots.ts";

setDefaultTimeout(20_000);
let redis: RedisServer;
let admin: Redis;
let api: { url: string };
const target = { url: "", prefix: "app-idem", env: { FAAS_SHARDS: "3" } };

beforeAll(async () => {
  redis = await startRedisServer();
  target.url = redis.url;
  admin = new Redis(redis.url);
  api = await startApiHere(target, ["--retention", "1h"]);
});

afterAll(async () => {
  admin?.disconnect();
  await stopAllHere();
  await redis?.[Symbol.asyncDispose]();
});

const queued = async (): Promise<number> => (await call(`${api.url}/healthz`)).body.queued as number;

describe("idempotency keys on Redis", () => {
  test("201, then 200 with the same ids and nothing new queued; another request under the key is 409", async () => {
    const fid = await register(api.url, "(x) => x");
    const body = { function_id: fid, payloads: ["[1]", "[2]"] };
    const key = { headers: { "idempotency-key": "redis-1" } };
    const first = await call(`${api.url}/execute_batch`, body, key);
    expect(first.status).toBe(201);
    const depth = await queued();
    const again = await call(`${api.url}/execute_batch`, body, key);
    expect([again.status, again.body]).toEqual([200, first.body]);
    expect(await queued()).toBe(depth);
    const other = await call(`${api.url}/execute_batch`, { ...body, payloads: ["[3]"] }, key);
    expect([other.status, other.body.error]).toEqual([409, "IdempotencyConflict"]);
    const stored = `${target.prefix}:idem:default:redis-1`;
    expect(JSON.parse((await admin.get(stored)) as string).t).toEqual(first.body.task_ids);
    const ttl = await admin.pttl(stored);
    expect(ttl > 3_500_000 && ttl <= 3_600_000).toBe(true); // --retention 1h
  });

  test("a first request that stopped after remembering its key is completed by the retry, with its ids", async () => {
    const fid = await register(api.url, "(x) => x");
    const body = { function_id: fid, payload: "[7]" };
    const chosen = `1-${crypto.randomUUID()}`; // an id of shard 1, never stored
    await admin.set(`${target.prefix}:idem:default:redis-2`, JSON.stringify({ f: fingerprintOf("/execute_function", body), t: [chosen] }), "PX", 60_000);
    expect((await call(`${api.url}/status/${chosen}`)).status).toBe(404);
    const depth = await queued();
    const retry = await call(`${api.url}/execute_function`, { ...body, idempotency_key: "redis-2" });
    expect([retry.status, retry.body]).toEqual([200, { task_id: chosen }]);
    expect((await call(`${api.url}/status/${chosen}`)).body).toEqual({ task_id: chosen, status: "QUEUED" });
    expect(await queued()).toBe(depth + 1);
    expect((await call(`${api.url}/execute_function`, body, { headers: { "idempotency-key": "redis-2" } })).status).toBe(200);
    expect(await queued()).toBe(depth + 1);
  });
});
