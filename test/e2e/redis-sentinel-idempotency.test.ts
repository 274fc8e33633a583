/**
 * Idempotency keys across a Sentinel failover (a master, a replica, three Sentinels; real processes on
 * free ports): a client sends batches, each under its own Idempotency-Key, and sends a batch again with
 * the same key until it gets a 2xx, through 503s and 504s ("may have been applied") while the master
 * is killed -9 and the replica promoted. Every answer for a key names the same ids, every task
 * completes, and Redis holds exactly the tasks that were answered: no retry queued a batch twice.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import Redis from "ioredis";
import { awaitAll, call, register } from "../../scripts/lib/http.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { startSentinelGroup, type SentinelGroup } from "../../scripts/lib/redis-sentinel.ts";
import { removeTempDirs } from "../../scripts/lib/temp-dirs.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { startApiHere, startDispatcherHere, stopAllHere, type RedisTarget } from "../helpers/roots.ts";

setDefaultTimeout(120_000);

let group: SentinelGroup;
let spare: RedisServer | undefined;
let target: RedisTarget;

beforeAll(async () => {
  group = await startSentinelGroup({ replicas: 1, sentinels: 3, downAfterMs: 1000 });
  target = { url: "", prefix: "e2e-sentinel-idem", env: { REDIS_SENTINELS: group.addresses, REDIS_SENTINEL_NAME: group.name } };
});

afterAll(async () => {
  await stopAllHere();
  await spare?.[Symbol.asyncDispose]();
  await group?.[Symbol.asyncDispose]();
  removeTempDirs();
});

test("batches resent under their key through a failover (503, 504) are each stored once, with the ids first answered", async () => {
  const api = await startApiHere(target, ["--redis-wait-replicas", "1"]);
  await startDispatcherHere(target, ["--workers", "2", "--liveness", "3s"]);
  const fid = await register(api.url, "(i) => i");

  const answered = new Map<string, string[][]>(); // key -> the task ids of every 2xx for it
  const statuses: number[] = [];
  let sending = true;
  let n = 0;
  const client = (async () => {
    while (sending) {
      const key = `batch-${n}`;
      const body = { function_id: fid, payloads: Array.from({ length: 10 }, (_, i) => `[${n * 10 + i}]`) };
      for (;;) {
        const r = await call(`${api.url}/execute_batch`, body, { headers: { "idempotency-key": key } }).catch(() => ({ status: 0, body: {} as any }));
        statuses.push(r.status);
        if (r.status === 200 || r.status === 201) {
          answered.set(key, [...(answered.get(key) ?? []), r.body.task_ids as string[]]);
          // Sometimes send it once more, as a client that lost the reply would.
          if (n % 3 === 0) {
            const again = await call(`${api.url}/execute_batch`, body, { headers: { "idempotency-key": key } });
            if (again.status === 200) answered.get(key)!.push(again.body.task_ids as string[]);
          }
          break;
        }
        expect([0, 503, 504]).toContain(r.status);
        await new Promise((resolve) => setTimeout(resolve, 20)); // pace this client's retries
      }
      n++;
    }
  })();
  await waitFor(() => answered.size >= 20, "20 batches answered before the kill", 30_000);
  await group.master.stop({ kill: true });
  const promoted = await group.failedOver(30_000);
  // A new replica of the promoted master, so WAIT 1 can be met again. (Restarting the killed master
  // instead brings it back empty and, until the Sentinels reconfigure it, a master: a client that
  // reaches it in that window sees an empty Redis, e.g. 404 for the function.)
  spare = await startRedisServer({ args: ["--replicaof", "127.0.0.1", String(promoted.port)] });
  const atRestart = answered.size;
  await waitFor(() => answered.size >= atRestart + 5, "batches answered again after the failover", 60_000);
  sending = false;
  await client;

  for (const [key, replies] of answered) expect([key, new Set(replies.map((ids) => ids.join())).size]).toEqual([key, 1]);
  const ids = [...answered.values()].flatMap((replies) => replies[0] as string[]);
  expect(new Set(ids).size).toBe(answered.size * 10);
  const done = await awaitAll(api.url, ids, 90_000);
  expect(ids.filter((id) => done.get(id)?.status !== "COMPLETED")).toEqual([]);
  expect(statuses.filter((s) => s !== 200 && s !== 201).length).toBeGreaterThan(0); // the failover was seen

  const admin = new Redis(promoted.port, "127.0.0.1");
  try {
    const stored = await admin.keys(`${target.prefix}:task:*`);
    expect(stored.length).toBe(ids.length); // nothing but the answered tasks: no batch stored twice
  } finally {
    admin.disconnect();
  }
});
