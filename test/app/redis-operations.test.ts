/**
 * The operators' view of a Redis deployment, with the API and the dispatchers as separate roots (in
 * this process) over 2 shards: GET /workers from the API shows every dispatcher's published report
 * (a push dispatcher with its worker and that worker's host, a local one with its executors) and drops
 * a dispatcher that stops; a task's attempts say which worker on which host ran it; GET /tasks pages
 * through both shards newest first; a retry queued by the API runs on a dispatcher; the dashboard's
 * live figures come from the counters the dispatchers' scripts wrote.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hostname } from "node:os";
import { awaitAll, call, register, run, submit } from "../../scripts/lib/http.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { startApiHere, startDispatcherHere, startWorkerHere, stopAllHere, type RedisTarget } from "../helpers/roots.ts";

let redis: RedisServer;
let target: RedisTarget;
beforeAll(async () => {
  redis = await startRedisServer();
  target = { url: redis.url, prefix: `ops-${process.pid}`, env: { FAAS_SHARDS: "2" } };
});
afterAll(async () => {
  await stopAllHere();
  await redis?.[Symbol.asyncDispose]();
});

const workersOf = async (u: string): Promise<any[]> => (await call(`${u}/workers`)).body.dispatchers;

describe("operators on Redis, API and dispatchers apart", () => {
  test("workers, where attempts ran, lists over shards, retries and live figures", async () => {
    const api = await startApiHere(target);
    const u = api.url;
    const push = await startDispatcherHere(target, ["--mode", "push"]);
    const worker = startWorkerHere(["--mode", "push", "--url", push.endpoint as string]);
    const host = hostname();
    const seen = await waitFor(async () => (await workersOf(u)).find((d) => d.dispatcher_id === push.id && d.workers.length === 1), "the push dispatcher's report with its worker");
    expect(seen).toMatchObject({ mode: "push", host, claiming: true, executors: null });
    expect(seen.workers[0]).toMatchObject({ worker_id: worker.id, host, mode: "push", capacity: expect.any(Number), in_flight: 0, draining: false });

    const fn = await register(u, "(x) => { if (x < 0) throw new Error('negative ' + x); return x }", { name: "checked" });
    const bad = await run(u, fn, "[-1]");
    expect(bad.status).toBe("FAILED");
    const detail = (await call(`${u}/tasks/${bad.task_id}`)).body;
    expect(detail.error.message).toBe("negative -1");
    expect(detail.attempts).toEqual([{ attempt: 1, started_at: expect.any(String), ended_at: expect.any(String), outcome: "FAILED", ran_on: expect.any(String), error: { name: "Error", message: "negative -1" } }]);
    expect(detail.attempts[0].ran_on).toMatch(new RegExp(`^worker ${worker.id} on ${host.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}, thread executor \\d+ \\(dispatcher ${push.id} on `));

    const local = await startDispatcherHere(target);
    await waitFor(async () => (await workersOf(u)).some((d) => d.dispatcher_id === local.id && d.executors?.isolation === "thread"), "the local dispatcher's report");

    const ids = [...(await submit(u, fn, Array.from({ length: 15 }, (_, i) => `[${i}]`))), ...(await submit(u, fn, Array.from({ length: 15 }, (_, i) => `[${i}]`)))];
    await awaitAll(u, ids);
    const pages: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await call(`${u}/tasks?limit=7${cursor === null ? "" : `&cursor=${cursor}`}`)).body;
      pages.push(...page.tasks);
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(pages.length).toBe(31);
    expect(new Set(pages.map((t) => t.task_id)).size).toBe(31);
    const times = pages.map((t) => Date.parse(t.finished_at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(new Set(ids.map((id) => id.split("-")[0])).size).toBe(2); // both shards hold some

    const rerun = await call(`${u}/tasks/${bad.task_id}/retry`, {});
    expect(rerun.status).toBe(201);
    expect((await awaitAll(u, [rerun.body.task_id])).get(rerun.body.task_id)?.status).toBe("FAILED");
    expect((await call(`${u}/tasks/${bad.task_id}`)).body.retried_as).toBe(rerun.body.task_id);

    const live = (await call(`${u}/dashboard/live`)).body;
    expect(live.counts).toMatchObject({ completed: 30, failed: 2, queued: 0, running: 0 });
    expect(live.activity.completed.reduce((a: number, b: number) => a + b, 0)).toBe(30);
    expect(live.activity.p50_ms.some((v: number | null) => v !== null)).toBe(true);
    expect(live.functions).toEqual([expect.objectContaining({ function_id: fn, submitted: 32, completed: 30, failed: 2, failure_rate: 2 / 32 })]);

    await push.stop();
    await waitFor(async () => !(await workersOf(u)).some((d) => d.dispatcher_id === push.id), "the stopped dispatcher to leave GET /workers");
  }, 60_000);
});
