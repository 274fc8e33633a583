/**
 * The REST API (startApi) + a local-mode dispatcher (startDispatcher), both in this process, on a
 * private redis-server behave as in the embedded mode: the same calls, statuses and error shape,
 * long-polls included, plus the Redis-mode settings (queue cap, retention, prefix). The command-line
 * behaviour of the real processes (exit codes, signals) is in test/e2e/processes.test.ts.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { call, register, submit } from "../../scripts/lib/http.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { startApiHere, startDispatcherHere, stopAllHere } from "../helpers/roots.ts";

setDefaultTimeout(20_000);
let redis: RedisServer;
let api: Awaited<ReturnType<typeof startApiHere>>;
const target = { url: "", prefix: "app-api" };

beforeAll(async () => {
  redis = await startRedisServer();
  target.url = redis.url;
  api = await startApiHere(target);
  await startDispatcherHere(target, ["--workers", "2"]);
});

afterAll(async () => {
  await stopAllHere();
  await redis?.[Symbol.asyncDispose]();
});

describe("REST on Redis", () => {
  test("register, execute, status and result (long-poll) of one task", async () => {
    const fid = await register(api.url, "(a: number, b: number): number => a + b");
    const ex = await call(`${api.url}/execute_function`, { function_id: fid, payload: "[2, 3]" });
    expect(ex.status).toBe(201);
    const id = ex.body.task_id as string;
    const res = await call(`${api.url}/result/${id}?wait=30`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ task_id: id, status: "COMPLETED", result: "5" });
    expect((await call(`${api.url}/status/${id}`)).body).toEqual({ task_id: id, status: "COMPLETED" });
  });

  test("the start line names the mode, the address and the backend", () => {
    const start = api.log.entries.filter((e) => e.fields.event === "api.listening");
    expect(start.map((e) => e.fields)).toEqual([expect.objectContaining({ mode: "api", url: api.url, backend: "redis", redis: target.url, prefix: "app-api" })]);
  });

  test("a long-poll answers when the task finishes, with the result", async () => {
    const fid = await register(api.url, "async (ms) => { await new Promise((r) => setTimeout(r, ms)); return ms; }");
    const ex = await call(`${api.url}/execute_function`, { function_id: fid, payload: "[300]" });
    const res = await call(`${api.url}/result/${ex.body.task_id}?wait=30`);
    expect(res.body.status).toBe("COMPLETED");
    expect(res.body.result).toBe("300");
  });

  test("a pending task's result is null; a long-poll that runs out answers the current status", async () => {
    const fid = await register(api.url, "async () => { await new Promise((r) => setTimeout(r, 4000)); return 1; }");
    const ex = await call(`${api.url}/execute_function`, { function_id: fid, payload: "[]" });
    const now = await call(`${api.url}/result/${ex.body.task_id}`);
    expect(now.body.result).toBeNull();
    expect(["QUEUED", "RUNNING"]).toContain(now.body.status);
    const later = await call(`${api.url}/result/${ex.body.task_id}?wait=0.5`);
    expect(later.status).toBe(200);
    expect(later.body.result).toBeNull();
  });

  test("execute_batch and POST /wait", async () => {
    const fid = await register(api.url, "(x) => x * 2");
    const ids = await submit(api.url, fid, ["[1]", "[2]", "[3]"]);
    const seen = new Map<string, string>();
    let pending = ids;
    while (pending.length > 0) {
      const w = await call(`${api.url}/wait`, { task_ids: [...pending, "no-such-task"], timeout_s: 10 });
      expect(w.status).toBe(200);
      expect(w.body.unknown).toEqual(["no-such-task"]);
      for (const t of w.body.results) seen.set(t.task_id, t.result);
      pending = w.body.pending;
    }
    expect(ids.map((id) => seen.get(id))).toEqual(["2", "4", "6"]);
  });

  test("POST /wait with ALL_COMPLETED answers once, with every task in the order listed", async () => {
    const fid = await register(api.url, "async (ms) => { await new Promise((r) => setTimeout(r, ms)); return ms; }");
    const ids = await submit(api.url, fid, ["[400]", "[0]", "[200]", "[100]"]);
    const w = await call(`${api.url}/wait`, { task_ids: [...ids, "no-such-task"], timeout_s: 10, return_when: "ALL_COMPLETED" });
    expect(w.status).toBe(200);
    expect(w.body.results.map((t: { task_id: string; result: string }) => [t.task_id, t.result])).toEqual(ids.map((id, i) => [id, ["400", "0", "200", "100"][i]]));
    expect([w.body.pending, w.body.unknown]).toEqual([[], ["no-such-task"]]);
  });

  test("a thrown error ends FAILED with name and message; a deadline ends FAILED TimeoutError", async () => {
    const boom = await register(api.url, "() => { throw new RangeError('too big'); }");
    const spin = await register(api.url, "() => { for (;;) {} }", { timeout_ms: 300 });
    const a = await call(`${api.url}/execute_function`, { function_id: boom, payload: "[]" });
    const b = await call(`${api.url}/execute_function`, { function_id: spin, payload: "[]" });
    const ra = await call(`${api.url}/result/${a.body.task_id}?wait=30`);
    const rb = await call(`${api.url}/result/${b.body.task_id}?wait=30`);
    expect(ra.body.status).toBe("FAILED");
    expect(JSON.parse(ra.body.result)).toMatchObject({ name: "RangeError", message: "too big" });
    expect(rb.body.status).toBe("FAILED");
    expect(JSON.parse(rb.body.result).name).toBe("TimeoutError");
  });

  test("errors have one shape: 400, 404 and the bad field", async () => {
    const bad = await call(`${api.url}/register_function`, { name: "x", payload: "const x = 1" });
    expect(bad.status).toBe(400);
    expect(typeof bad.body.error).toBe("string");
    expect(typeof bad.body.message).toBe("string");
    const fid = await register(api.url, "(x) => x");
    const notArray = await call(`${api.url}/execute_function`, { function_id: fid, payload: "{}" });
    expect([notArray.status, notArray.body.field]).toEqual([400, "payload"]);
    const batch = await call(`${api.url}/execute_batch`, { function_id: fid, payloads: ["[1]", "nope"] });
    expect([batch.status, batch.body.field]).toEqual([400, "payloads/1"]);
    expect((await call(`${api.url}/execute_function`, { function_id: "missing", payload: "[]" })).status).toBe(404);
    expect((await call(`${api.url}/status/missing`)).status).toBe(404);
    expect((await call(`${api.url}/result/missing`)).status).toBe(404);
    const wait0 = await call(`${api.url}/result/missing?wait=0`);
    expect([wait0.status, wait0.body.field]).toEqual([400, "wait"]);
  });

  test("functions are listed and inspected", async () => {
    const fid = await register(api.url, "(s) => s.length", { max_attempts: 2 });
    const list = await call(`${api.url}/functions`);
    expect(list.body.functions.map((f: { function_id: string }) => f.function_id)).toContain(fid);
    const one = await call(`${api.url}/functions/${fid}?source=true`);
    expect(one.body).toMatchObject({ function_id: fid, max_attempts: 2, payload: "(s) => s.length" });
    expect((await call(`${api.url}/functions/missing`)).status).toBe(404);
  });

  test("/healthz reports the queue depth", async () => {
    const t = { url: redis.url, prefix: "app-health" }; // no dispatcher: tasks stay queued
    const a = await startApiHere(t);
    expect((await call(`${a.url}/healthz`)).body).toEqual({ status: "ok", queued: 0 });
    const fid = await register(a.url, "() => 1");
    await submit(a.url, fid, ["[]", "[]", "[]"]);
    expect((await call(`${a.url}/healthz`)).body).toEqual({ status: "ok", queued: 3 });
  });
});

describe("Redis-mode settings", () => {
  test("--max-queue: a batch past it is refused whole with 429 and Retry-After", async () => {
    const capped = await startApiHere({ url: redis.url, prefix: "app-capped" }, ["--max-queue", "3"]);
    const fid = await register(capped.url, "() => 1");
    expect((await call(`${capped.url}/execute_batch`, { function_id: fid, payloads: ["[]", "[]"] })).status).toBe(201);
    const full = await call(`${capped.url}/execute_batch`, { function_id: fid, payloads: ["[]", "[]"] });
    expect(full.status).toBe(429);
    expect(full.body.error).toBe("QueueFull");
    expect(Number(full.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await call(`${capped.url}/healthz`)).body.queued).toBe(2);
  });

  test("--retention: a finished task is gone (404) once it passes; prefixes keep deployments apart", async () => {
    const short = { url: redis.url, prefix: "app-short" };
    const shortApi = await startApiHere(short);
    await startDispatcherHere(short, ["--workers", "1", "--retention", "300ms"]);
    const fid = await register(shortApi.url, "() => 7");
    expect((await call(`${api.url}/functions/${fid}`)).status).toBe(404); // another prefix
    const ex = await call(`${shortApi.url}/execute_function`, { function_id: fid, payload: "[]" });
    expect((await call(`${shortApi.url}/result/${ex.body.task_id}?wait=30`)).body.result).toBe("7");
    await waitFor(async () => (await call(`${shortApi.url}/status/${ex.body.task_id}`)).status === 404, "the finished task to expire");
  });

  test("--isolation process: the dispatcher runs tasks in child processes under --max-memory-mb", async () => {
    const iso = { url: redis.url, prefix: "app-iso" };
    const isoApi = await startApiHere(iso);
    await startDispatcherHere(iso, ["--workers", "1", "--isolation", "process", "--max-memory-mb", "160"]);
    const pid = await register(isoApi.url, "() => process.pid");
    const hog = await register(isoApi.url, "() => { const keep = []; for (;;) keep.push(new Array(1e6).fill(1)) }");
    const a = await call(`${isoApi.url}/execute_function`, { function_id: pid, payload: "[]" });
    const b = await call(`${isoApi.url}/execute_function`, { function_id: hog, payload: "[]" });
    const ra = await call(`${isoApi.url}/result/${a.body.task_id}?wait=30`);
    const rb = await call(`${isoApi.url}/result/${b.body.task_id}?wait=30`);
    expect(ra.body.status).toBe("COMPLETED");
    expect(Number(ra.body.result)).not.toBe(process.pid); // ran in a child of the dispatcher
    expect(rb.body.status).toBe("FAILED");
    expect(JSON.parse(rb.body.result).name).toBe("ResourceLimit");
  });

  test("a hung Redis makes execute answer 504 BackendTimeout (maybe applied), not 503; service resumes", async () => {
    const fid = await register(api.url, "(x) => x");
    redis.freeze();
    try {
      const r = await call(`${api.url}/execute_function`, { function_id: fid, payload: "[1]" });
      expect(r.status).toBe(504);
      expect(r.body.error).toBe("BackendTimeout");
      expect(r.body.message).toContain("check before sending it again");
    } finally {
      redis.thaw();
    }
    await waitFor(async () => (await call(`${api.url}/execute_function`, { function_id: fid, payload: "[2]" })).status === 201, "execute to work again");
  });
});
