/**
 * Issue 16's task semantics over REST, the same in every mode (embedded, and Redis with a local, push
 * or pull dispatcher): retry policies (per function, per call, `on`), delays and run_at, priorities'
 * validation, dependencies with args_from and DependencyFailed, POST /execute_graph, and a tenant's
 * queued quota (429 naming it). Ordering, fairness and limits are covered store by store in
 * test/contracts/task-queue.ts.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { call } from "../../scripts/lib/http.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { embeddedConfig } from "../../src/app/config.ts";
import { startApiHere, startDispatcherHere, startEmbeddedHere, startWorkerHere, stopAllHere } from "../helpers/roots.ts";
import { FLAKY, startHitCounter, type HitCounter } from "../helpers/hit-counter.ts";

setDefaultTimeout(30_000);
const LIMITS = "*:queued=50";

let redis: RedisServer;
/** Counts calls per path: the functions below count their attempts here. */
let counter: HitCounter;
beforeAll(async () => {
  redis = await startRedisServer();
  counter = startHitCounter();
});
afterAll(async () => {
  await stopAllHere();
  counter?.stop();
  await redis?.[Symbol.asyncDispose]();
});

const modes: Record<string, () => Promise<string>> = {
  embedded: async () => startEmbeddedHere({ queuePolicy: embeddedConfig(["--tenant-limits", LIMITS], {}).queuePolicy }).url,
  "redis, local dispatcher": async () => {
    const target = { url: redis.url, prefix: "sem-local" };
    await startDispatcherHere(target);
    return (await startApiHere(target, ["--tenant-limits", LIMITS])).url;
  },
  "redis, push workers": async () => remote("push"),
  "redis, pull workers": async () => remote("pull"),
};

async function remote(mode: "push" | "pull"): Promise<string> {
  const target = { url: redis.url, prefix: `sem-${mode}` };
  const d = await startDispatcherHere(target, ["--mode", mode]);
  startWorkerHere(["--mode", mode, "--url", d.endpoint as string]);
  await waitFor(() => d.log.count("worker.registered") > 0, "the worker to register");
  return (await startApiHere(target, ["--tenant-limits", LIMITS])).url;
}


for (const [mode, start] of Object.entries(modes)) {
  describe(`task semantics, ${mode}`, () => {
    let url = "";
    const counterUrl = (name: string): string => counter.url(`${mode.replace(/\W+/g, "-")}/${name}`);
    const register = async (payload: string, extra: Record<string, unknown> = {}): Promise<string> => {
      const r = await call(`${url}/register_function`, { name: "f", payload, ...extra });
      expect(r.status).toBe(201);
      return r.body.function_id;
    };
    const execute = async (body: Record<string, unknown>): Promise<{ status: number; body: any }> => call(`${url}/execute_function`, body);
    const result = async (id: string): Promise<{ status: string; result: string | null }> => (await call(`${url}/result/${id}?wait=20`)).body;

    beforeAll(async () => {
      url = await start();
    });

    test("a function's retry policy re-runs a thrown error as new attempts; a call may override it; `on` limits it to the names listed", async () => {
      const fid = await register(FLAKY, { retry: { max_retries: 3, backoff_ms: 10, factor: 1 } });
      const ok = await execute({ function_id: fid, payload: JSON.stringify([counterUrl("a"), 3]) });
      expect(await result(ok.body.task_id)).toMatchObject({ status: "COMPLETED", result: "3" });
      const over = await execute({ function_id: fid, payload: JSON.stringify([counterUrl("b"), 3]), retry: { max_retries: 1, backoff_ms: 10 } });
      const failed = await result(over.body.task_id);
      expect(failed.status).toBe("FAILED");
      expect(JSON.parse(failed.result as string)).toMatchObject({ name: "FetchError", message: "not yet 2" });
      const detail = (await call(`${url}/tasks/${over.body.task_id}`)).body;
      expect(detail).toMatchObject({ status: "FAILED", retries: 1, attempt: 2 });
      expect(detail.attempts.map((a: { outcome: string; error: unknown }) => [a.outcome, a.error])).toEqual([
        ["RETRIED", { name: "FetchError", message: "not yet 1" }],
        ["FAILED", { name: "FetchError", message: "not yet 2" }],
      ]);
      const other = await execute({ function_id: fid, payload: JSON.stringify([counterUrl("c"), 3]), retry: { max_retries: 3, backoff_ms: 10, on: ["TypeError"] } });
      expect(JSON.parse((await result(other.body.task_id)).result as string).message).toBe("not yet 1");
    });

    test("delay_ms keeps a task QUEUED until then; run_at in the past runs it now; both, or a bad time, are 400 naming the field", async () => {
      const fid = await register("() => Date.now()");
      const before = Date.now();
      const later = await execute({ function_id: fid, payload: "[]", delay_ms: 400 });
      expect(later.status).toBe(201);
      expect((await call(`${url}/status/${later.body.task_id}`)).body.status).toBe("QUEUED");
      const waiting = (await call(`${url}/tasks/${later.body.task_id}`)).body;
      expect(Date.parse(waiting.run_at)).toBeGreaterThanOrEqual(before + 400);
      const ran = await result(later.body.task_id);
      expect(Number(ran.result)).toBeGreaterThanOrEqual(before + 400);
      const past = await execute({ function_id: fid, payload: "[]", run_at: new Date(Date.now() - 60_000).toISOString() });
      expect((await result(past.body.task_id)).status).toBe("COMPLETED");
      const both = await execute({ function_id: fid, payload: "[]", delay_ms: 5, run_at: new Date().toISOString() });
      expect([both.status, both.body.field]).toEqual([400, "delay_ms"]);
      const bad = await execute({ function_id: fid, payload: "[]", run_at: "tomorrow" });
      expect([bad.status, bad.body.field]).toEqual([400, "run_at"]);
      const urgent = await execute({ function_id: fid, payload: "[]", priority: 10 });
      expect([urgent.status, urgent.body.field]).toEqual([400, "priority"]);
    });

    test("after + args_from: a task runs on its dependencies' results; a failed dependency fails it DependencyFailed; an unknown one is 400", async () => {
      const add = await register("(...xs) => xs.reduce((a, b) => a + b, 0)");
      const boom = await register("() => { throw new RangeError('boom') }");
      const a = (await execute({ function_id: add, payload: "[1, 2]" })).body.task_id;
      const b = (await execute({ function_id: add, payload: "[10]" })).body.task_id;
      const sum = await execute({ function_id: add, payload: "[100]", after: [a, b], args_from: "results" });
      expect(await result(sum.body.task_id)).toMatchObject({ status: "COMPLETED", result: "113" });
      const bad = (await execute({ function_id: boom, payload: "[]" })).body.task_id;
      const blocked = await execute({ function_id: add, payload: "[1]", after: [bad] });
      const failed = await result(blocked.body.task_id);
      expect(failed.status).toBe("FAILED");
      expect(JSON.parse(failed.result as string)).toMatchObject({ name: "DependencyFailed", message: expect.stringContaining(bad) });
      const unknown = await execute({ function_id: add, payload: "[1]", after: [a, "no-such-task"] });
      expect([unknown.status, unknown.body.field]).toEqual([400, "after/1"]);
    });

    test("POST /execute_graph queues a DAG by local names, all or nothing; a cycle is 400 naming it", async () => {
      const add = await register("(...xs) => xs.reduce((a, b) => a + b, 0)");
      const graph = await call(`${url}/execute_graph`, {
        tasks: [
          { name: "total", function_id: add, payload: "[]", after: ["left", "right"], args_from: "results" },
          { name: "left", function_id: add, payload: "[1, 2]" },
          { name: "right", function_id: add, payload: "[3]", after: ["left"], args_from: "results" },
        ],
      });
      expect(graph.status).toBe(201);
      expect(Object.keys(graph.body.task_ids).sort()).toEqual(["left", "right", "total"]);
      expect(await result(graph.body.task_ids.total)).toMatchObject({ status: "COMPLETED", result: "9" });
      const cycle = await call(`${url}/execute_graph`, {
        tasks: [
          { name: "x", function_id: add, payload: "[]", after: ["y"] },
          { name: "y", function_id: add, payload: "[]", after: ["x"] },
        ],
      });
      expect(cycle.status).toBe(400);
      expect(cycle.body.message).toContain("cycle: x -> y -> x");
      const twice = await call(`${url}/execute_graph`, { tasks: [{ name: "x", function_id: add, payload: "[]" }, { name: "x", function_id: add, payload: "[]" }] });
      expect([twice.status, twice.body.field]).toEqual([400, "tasks/1"]);
    });

    test("a tenant past its queued quota (--tenant-limits queued=N) gets 429 naming the limit; nothing of the batch is queued", async () => {
      const fid = await register("() => 1");
      const held = await call(`${url}/execute_batch`, { function_id: fid, payloads: Array.from({ length: 45 }, () => "[]"), delay_ms: 60_000 });
      expect(held.status).toBe(201);
      const over = await call(`${url}/execute_batch`, { function_id: fid, payloads: Array.from({ length: 10 }, () => "[]") });
      expect(over.status).toBe(429);
      expect(over.body.message).toContain("--tenant-limits queued=50");
      for (const id of held.body.task_ids) expect((await call(`${url}/tasks/${id}`, undefined, { method: "DELETE" })).status).toBe(200);
    });
  });
}
