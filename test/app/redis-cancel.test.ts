/**
 * DELETE /tasks/{task_id} on Redis with the API and the dispatchers as separate roots (in this
 * process, talking only through Redis): the API cancels in Redis and signals on `<prefix>:cancels`; a
 * local-mode dispatcher stops the running job and keeps serving; a push dispatcher forwards the cancel
 * to its worker. A task cancelled while QUEUED is never run, and its stream entry is dropped by the
 * claim that reaches it.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import Redis from "ioredis";
import { call, register } from "../../scripts/lib/http.ts";
import { readLog } from "../../scripts/lib/processes.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { removeTempDirs, tempDir } from "../../scripts/lib/temp-dirs.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { GROUP } from "../../src/adapters/redis/index.ts";
import { startApiHere, startDispatcherHere, startWorkerHere, stopAllHere } from "../helpers/roots.ts";

setDefaultTimeout(30_000);
let redis: RedisServer;
let admin: Redis;
let api: { url: string };
const target = { url: "", prefix: "app-cancel" };

beforeAll(async () => {
  redis = await startRedisServer();
  admin = new Redis(redis.url);
  target.url = redis.url;
  api = await startApiHere(target);
});

afterAll(async () => {
  await stopAllHere();
  admin?.disconnect();
  await redis?.[Symbol.asyncDispose]();
  removeTempDirs();
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

describe("cancel on Redis, API and dispatchers apart", () => {
  test("a QUEUED task cancelled before any dispatcher runs is never run; a dispatcher started later serves the rest", async () => {
    const t = { url: redis.url, prefix: "app-cancel-queued" };
    const a = await startApiHere(t);
    // Each run appends its argument to a file, so a run of the cancelled task would show.
    const runs = join(tempDir("cancel-runs"), "runs.log");
    const fid = await register(a.url, `(log, x) => { process.getBuiltinModule("node:fs").appendFileSync(log, x + "\\n"); return x * 2 }`);
    const doomed = await execute(a.url, fid, JSON.stringify([runs, 1]));
    const kept = await execute(a.url, fid, JSON.stringify([runs, 2]));
    expect(await cancel(a.url, doomed)).toEqual({ status: 200, body: { task_id: doomed, status: "CANCELLED" } });
    expect((await call(`${a.url}/healthz`)).body.queued).toBe(1);
    await startDispatcherHere(t, ["--workers", "1"]);
    expect((await call(`${a.url}/result/${kept}?wait=30`)).body).toEqual({ task_id: kept, status: "COMPLETED", result: "4" });
    expect((await call(`${a.url}/result/${doomed}`)).body).toEqual({ task_id: doomed, status: "CANCELLED", result: null });
    expect(readLog(runs)).toBe("2\n");
    // The claim that read the cancelled task's entry dropped it; the finished task's entry was acked.
    expect(((await admin.xpending(`${t.prefix}:queue`, GROUP)) as unknown[])[0]).toBe(0);
    expect((await call(`${a.url}/healthz`)).body.queued).toBe(0);
  });

  test("a RUNNING infinite loop on a dispatcher is stopped; the dispatcher keeps serving", async () => {
    await startDispatcherHere(target, ["--workers", "1"]); // one executor: the loop would block every other job on it
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
  });

  test("--mode push: a RUNNING infinite loop on a remote worker is stopped through the dispatcher; the worker keeps serving", async () => {
    const t = { url: redis.url, prefix: "app-cancel-push" };
    const a = await startApiHere(t);
    const d = await startDispatcherHere(t, ["--mode", "push", "--heartbeat", "200ms"]);
    startWorkerHere(["--mode", "push", "--url", d.endpoint as string, "--procs", "1", "--heartbeat", "200ms"]); // one executor
    await waitFor(() => d.log.count("worker.registered") > 0, "the worker to register", 15_000);
    await waitFor(async () => (await cancelSubscribers(t.prefix)) >= 1, "the dispatcher to subscribe to cancel signals", 15_000);
    const spin = await register(a.url, "() => { for (;;) {} }", { timeout_ms: 600_000 });
    const id = await execute(a.url, spin);
    await waitFor(async () => (await call(`${a.url}/status/${id}`)).body.status === "RUNNING", "the loop to run", 15_000);
    expect(await cancel(a.url, id)).toEqual({ status: 200, body: { task_id: id, status: "CANCELLED" } });
    const add = await register(a.url, "(a, b) => a + b");
    const next = await execute(a.url, add, "[20, 22]");
    expect((await call(`${a.url}/result/${next}?wait=30`)).body).toEqual({ task_id: next, status: "COMPLETED", result: "42" });
    expect((await call(`${a.url}/result/${id}`)).body).toEqual({ task_id: id, status: "CANCELLED", result: null });
  });
});
