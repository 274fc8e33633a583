/**
 * DELETE /tasks/{task_id} across processes: `bun run api` cancels in Redis and signals on
 * `<prefix>:cancels`; a local-mode dispatcher (another process) stops the running job and keeps serving.
 * A task cancelled while QUEUED is never run, and its stream entry is dropped by the claim that reaches it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { GROUP } from "../../src/adapters/redis/index.ts";
import { join } from "node:path";
import { call, freePort, killAll, readLog, register, startApi, startDispatcher, startRemoteDispatcher, startWorker, tempDir, withLogs, type ApiProcess } from "../helpers/processes.ts";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.ts";
import { waitFor } from "../helpers/wait-for.ts";

let redis: RedisServer;
let admin: Redis;
let api: ApiProcess;
const target = { url: "", prefix: "e2e-cancel" };

beforeAll(async () => {
  redis = await startRedisServer();
  admin = new Redis(redis.url);
  target.url = redis.url;
  api = await startApi(target);
});

afterAll(async () => {
  await killAll();
  admin?.disconnect();
  await redis?.stop({ kill: true });
});

async function cancel(base: string, id: string): Promise<{ status: number; body: any }> {
  const r = await fetch(`${base}/tasks/${id}`, { method: "DELETE", signal: AbortSignal.timeout(10_000) });
  return { status: r.status, body: await r.json() };
}

async function execute(base: string, fid: string, args = "[]"): Promise<string> {
  const r = await call(`${base}/execute_function`, { function_id: fid, payload: args });
  if (r.status !== 201) throw new Error(`execute: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.task_id as string;
}

/** True once `n` processes subscribe to the prefix's cancels channel (the dispatchers' subscriptions). */
async function cancelSubscribers(prefix: string): Promise<number> {
  const reply = (await admin.call("PUBSUB", "NUMSUB", `${prefix}:cancels`)) as [string, number];
  return Number(reply[1]);
}

describe("cancel on Redis, across processes", () => {
  test("a QUEUED task cancelled before any dispatcher runs is never run; a dispatcher started later serves the rest", () =>
    withLogs(async () => {
      const t = { url: redis.url, prefix: "e2e-cancel-queued" };
      const a = await startApi(t);
      // Each run appends its argument to a file, so a run of the cancelled task would show.
      const runs = join(tempDir("cancel-runs"), "runs.log");
      const fid = await register(a.url, `(log, x) => { process.getBuiltinModule("node:fs").appendFileSync(log, x + "\\n"); return x * 2 }`);
      const doomed = await execute(a.url, fid, JSON.stringify([runs, 1]));
      const kept = await execute(a.url, fid, JSON.stringify([runs, 2]));
      expect(await cancel(a.url, doomed)).toEqual({ status: 200, body: { task_id: doomed, status: "CANCELLED" } });
      expect((await call(`${a.url}/healthz`)).body.queued).toBe(1);
      startDispatcher(t, ["--workers", "1"]);
      expect((await call(`${a.url}/result/${kept}?wait=30`)).body).toEqual({ task_id: kept, status: "COMPLETED", result: "4" });
      expect((await call(`${a.url}/result/${doomed}`)).body).toEqual({ task_id: doomed, status: "CANCELLED", result: null });
      expect(readLog(runs)).toBe("2\n");
      // The claim that read the cancelled task's entry dropped it; the finished task's entry was acked.
      expect(await admin.xlen(`${t.prefix}:queue`)).toBe(0);
      expect(((await admin.xpending(`${t.prefix}:queue`, GROUP)) as unknown[])[0]).toBe(0);
      expect((await call(`${a.url}/healthz`)).body.queued).toBe(0);
    }));

  test("a RUNNING infinite loop on a dispatcher in another process is stopped; the dispatcher keeps serving", () =>
    withLogs(async () => {
      startDispatcher(target, ["--workers", "1"]); // one thread: the loop would block every other job on it
      await waitFor(async () => (await cancelSubscribers(target.prefix)) >= 1, "the dispatcher to subscribe to cancel signals", 15_000);
      const spin = await register(api.url, "() => { for (;;) {} }", { timeout_ms: 600_000 });
      const id = await execute(api.url, spin);
      await waitFor(async () => (await call(`${api.url}/status/${id}`)).body.status === "RUNNING", "the loop to run", 15_000);
      const longPoll = call(`${api.url}/result/${id}?wait=60`);
      expect(await cancel(api.url, id)).toEqual({ status: 200, body: { task_id: id, status: "CANCELLED" } });
      expect((await longPoll).body).toEqual({ task_id: id, status: "CANCELLED", result: null });
      expect(((await admin.xpending(`${target.prefix}:queue`, GROUP)) as unknown[])[0]).toBe(0);
      // Only a replaced executor thread can run this one.
      const add = await register(api.url, "(a, b) => a + b");
      const next = await execute(api.url, add, "[2, 3]");
      expect((await call(`${api.url}/result/${next}?wait=30`)).body).toEqual({ task_id: next, status: "COMPLETED", result: "5" });
      expect((await call(`${api.url}/status/${id}`)).body.status).toBe("CANCELLED");
      const again = await cancel(api.url, id);
      expect([again.status, again.body.error]).toEqual([409, "AlreadyTerminal"]);
      expect((await cancel(api.url, "no-such-task")).status).toBe(404);
    }));
  test("--mode push: a RUNNING infinite loop on a remote worker is stopped through the dispatcher; the worker keeps serving", () =>
    withLogs(async () => {
      const t = { url: redis.url, prefix: "e2e-cancel-push" };
      const a = await startApi(t);
      const port = freePort();
      const d = startRemoteDispatcher(t, "push", port, ["--heartbeat", "200ms"]);
      startWorker("push", `tcp://127.0.0.1:${port}`, ["--procs", "1", "--heartbeat", "200ms"]); // one thread
      await waitFor(() => readLog(d.log).includes('"msg":"worker registered"'), "the worker to register", 15_000);
      await waitFor(async () => (await cancelSubscribers(t.prefix)) >= 1, "the dispatcher to subscribe to cancel signals", 15_000);
      const spin = await register(a.url, "() => { for (;;) {} }", { timeout_ms: 600_000 });
      const id = await execute(a.url, spin);
      await waitFor(async () => (await call(`${a.url}/status/${id}`)).body.status === "RUNNING", "the loop to run", 15_000);
      expect(await cancel(a.url, id)).toEqual({ status: 200, body: { task_id: id, status: "CANCELLED" } });
      const add = await register(a.url, "(a, b) => a + b");
      const next = await execute(a.url, add, "[20, 22]");
      expect((await call(`${a.url}/result/${next}?wait=30`)).body).toEqual({ task_id: next, status: "COMPLETED", result: "42" });
      expect((await call(`${a.url}/result/${id}`)).body).toEqual({ task_id: id, status: "CANCELLED", result: null });
    }));
});
