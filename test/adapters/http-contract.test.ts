/** The REST contract against a real Bun.serve on port 0 (embedded mode, in-memory store, 2 threads). */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Embedded } from "../../src/app/roots/embedded.ts";
import { call, register, run } from "../../scripts/lib/http.ts";
import { removeTempDirs, tempDir } from "../../scripts/lib/temp-dirs.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { startEmbeddedHere as startTestServer } from "../helpers/roots.ts";

let app: Embedded;
let base: string;
beforeAll(() => {
  app = startTestServer({ maxQueue: 20_000 });
  base = app.url;
});
afterAll(async () => {
  await app.stop();
  removeTempDirs();
});

const SLOW = "async (ms) => { await new Promise((r) => setTimeout(r, ms)); return ms }";

describe("course contract", () => {
  test("register returns 201 with a function_id", async () => {
    const r = await call(`${base}/register_function`, { name: "add", payload: "(a, b) => a + b" });
    expect(r.status).toBe(201);
    expect(typeof r.body.function_id).toBe("string");
  });

  test("an invalid function payload is 400 with the error shape", async () => {
    const r = await call(`${base}/register_function`, { name: "bad", payload: "this is not code" });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("InvalidFunction");
    expect(r.body.field).toBe("payload");
    expect(typeof r.body.message).toBe("string");
  });

  test("execute returns 201 with a task_id and the status is valid right away", async () => {
    const fid = await register(base, "(a, b) => a + b");
    const r = await call(`${base}/execute_function`, { function_id: fid, payload: "[2, 3]" });
    expect(r.status).toBe(201);
    const s = await call(`${base}/status/${r.body.task_id}`);
    expect(s.status).toBe(200);
    expect(s.body.task_id).toBe(r.body.task_id);
    expect(["QUEUED", "RUNNING", "COMPLETED"]).toContain(s.body.status);
  });

  test("result is 200 with result null while the task is pending", async () => {
    const fid = await register(base, SLOW);
    const r = await call(`${base}/execute_function`, { function_id: fid, payload: "[1500]" });
    const res = await call(`${base}/result/${r.body.task_id}`);
    expect(res.status).toBe(200);
    expect(["QUEUED", "RUNNING"]).toContain(res.body.status);
    expect(res.body.result).toBeNull();
  });

  test("roundtrip: (a, b) => a + b with [2, 3] completes with 5", async () => {
    const fid = await register(base, "(a, b) => a + b");
    const r = await run(base, fid, "[2, 3]");
    expect(r.status).toBe("COMPLETED");
    expect(JSON.parse(r.result!)).toBe(5);
  });
});

describe("payloads", () => {
  test("TypeScript functions run with their types stripped", async () => {
    const fid = await register(base, "(xs: number[]): { total: number } => ({ total: xs.reduce((a: number, b: number) => a + b, 0) })");
    const r = await run(base, fid, "[[1, 2, 3]]");
    expect(JSON.parse(r.result!)).toEqual({ total: 6 });
  });

  test("async functions are awaited", async () => {
    const fid = await register(base, "async function (x) { await null; return { twice: x * 2 } }");
    expect(JSON.parse((await run(base, fid, "[21]")).result!)).toEqual({ twice: 42 });
  });

  test("injection attempts are refused and never run", async () => {
    const g = globalThis as Record<string, unknown>;
    g.__pwned = false;
    for (const payload of ["0); globalThis.__pwned = true; (0", "(() => { globalThis.__pwned = true })()", "x => x); globalThis.__pwned = true; (y => y"]) {
      const r = await call(`${base}/register_function`, { name: "evil", payload });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe("InvalidFunction");
    }
    expect(g.__pwned).toBe(false);
  });

  test("a thrown error ends FAILED with {name, message, stack}", async () => {
    const fid = await register(base, "() => { throw new RangeError('too far') }");
    const r = await run(base, fid, "[]");
    expect(r.status).toBe("FAILED");
    const e = JSON.parse(r.result!);
    expect([e.name, e.message, typeof e.stack]).toEqual(["RangeError", "too far", "string"]);
  });

  test("a thrown non-Error value ends FAILED too", async () => {
    const fid = await register(base, "() => { throw 'plain string' }");
    const r = await run(base, fid, "[]");
    expect(r.status).toBe("FAILED");
    expect(JSON.parse(r.result!).message).toContain("plain string");
  });

  test("executor threads see an empty environment", async () => {
    process.env.FAAS_TEST_SECRET = "s3cret";
    const fid = await register(base, "() => ({ secret: process.env.FAAS_TEST_SECRET ?? null, keys: Object.keys(process.env).length })");
    const r = await run(base, fid, "[]");
    expect(JSON.parse(r.result!)).toEqual({ secret: null, keys: 0 });
  });
});

describe("batches and load", () => {
  test("execute_batch returns ids in order and every result matches its payload", async () => {
    const fid = await register(base, "(i) => i * i");
    const payloads = Array.from({ length: 500 }, (_, i) => `[${i}]`);
    const r = await call(`${base}/execute_batch`, { function_id: fid, payloads });
    expect(r.status).toBe(201);
    expect(r.body.task_ids.length).toBe(500);
    const w = await call(`${base}/wait`, { task_ids: r.body.task_ids, timeout_s: 30 });
    expect(w.status).toBe(200);
    let pending: string[] = w.body.pending;
    const results = new Map<string, string>(w.body.results.map((x: any) => [x.task_id, x.result]));
    while (pending.length > 0) {
      const more = await call(`${base}/wait`, { task_ids: pending, timeout_s: 30 });
      for (const x of more.body.results) results.set(x.task_id, x.result);
      pending = more.body.pending;
    }
    expect(r.body.task_ids.map((id: string) => Number(results.get(id)))).toEqual(payloads.map((_, i) => i * i));
  });

  test("a batch with one bad payload is 400 naming its index, and nothing is queued", async () => {
    const fid = await register(base, "(i) => i");
    const before = (await call(`${base}/healthz`)).body.queued;
    const r = await call(`${base}/execute_batch`, { function_id: fid, payloads: ["[1]", "[2]", "nope"] });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe("payloads/2");
    expect((await call(`${base}/healthz`)).body.queued).toBe(before);
  });

  test("a batch of more than 10,000 is 400", async () => {
    const fid = await register(base, "(i) => i");
    const r = await call(`${base}/execute_batch`, { function_id: fid, payloads: Array.from({ length: 10_001 }, () => "[]") });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe("payloads");
    expect(r.body.message).toContain("10000");
  });

  test("2,000 concurrent tasks all complete with the right results", async () => {
    const fid = await register(base, "async (i) => { await null; return i + 1 }");
    const ids = await Promise.all(
      Array.from({ length: 2000 }, async (_, i) => (await call(`${base}/execute_function`, { function_id: fid, payload: `[${i}]` })).body.task_id as string),
    );
    const results = new Map<string, string>();
    let pending = ids;
    while (pending.length > 0) {
      const w = await call(`${base}/wait`, { task_ids: pending, timeout_s: 30 });
      for (const x of w.body.results) {
        expect(x.status).toBe("COMPLETED");
        results.set(x.task_id, x.result);
      }
      pending = w.body.pending;
    }
    expect(ids.map((id) => Number(results.get(id)))).toEqual(ids.map((_, i) => i + 1));
  });
});

describe("long-poll", () => {
  test("?wait answers as soon as the task is terminal, long before the wait runs out", async () => {
    // The task waits for a gate file; the long-poll (60 s) is answered when the gate opens, within this
    // test's 15 s timeout, so it cannot be the wait running out.
    const gate = join(tempDir("gate"), "open");
    const fid = await register(base, "async (gate) => { const fs = process.getBuiltinModule('node:fs'); while (!fs.existsSync(gate)) await new Promise((r) => setTimeout(r, 5)); return 'opened' }");
    const r = await call(`${base}/execute_function`, { function_id: fid, payload: JSON.stringify([gate]) });
    const pending = call(`${base}/result/${r.body.task_id}?wait=60`, undefined, { signal: AbortSignal.timeout(70_000) });
    await waitFor(() => app.tasks.waitingCount() === 1, "the long-poll to wait");
    writeFileSync(gate, "");
    const res = await pending;
    expect(res.body).toEqual({ task_id: r.body.task_id, status: "COMPLETED", result: '"opened"' });
  }, 15_000);

  test("?wait times out with the current status and a null result", async () => {
    const fid = await register(base, SLOW);
    const r = await call(`${base}/execute_function`, { function_id: fid, payload: "[5000]" });
    const res = await call(`${base}/result/${r.body.task_id}?wait=0.3`);
    expect(res.status).toBe(200);
    expect(["QUEUED", "RUNNING"]).toContain(res.body.status);
    expect(res.body.result).toBeNull();
  });

  test("a long-poll longer than Bun's default 10 s idle timeout is answered, not cut", async () => {
    const fid = await register(base, SLOW);
    const r = await call(`${base}/execute_function`, { function_id: fid, payload: "[30000]" });
    const res = await call(`${base}/result/${r.body.task_id}?wait=22`, undefined, { signal: AbortSignal.timeout(35_000) }); // Bun cuts an idle request within 2x its timeout
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("RUNNING");
  }, 40_000);

  test("POST /execute_function?wait=S answers in one call with the status and result once terminal, or the current status after S", async () => {
    const add = await register(base, "(a, b) => a + b");
    const done = await call(`${base}/execute_function?wait=10`, { function_id: add, payload: "[2, 3]" });
    expect(done.status).toBe(201);
    expect(done.body).toEqual({ task_id: expect.any(String), status: "COMPLETED", result: "5" });
    const slow = await register(base, SLOW);
    const waiting = await call(`${base}/execute_function?wait=0.2`, { function_id: slow, payload: "[5000]" });
    expect(waiting.status).toBe(201);
    expect(["QUEUED", "RUNNING"]).toContain(waiting.body.status);
    expect(waiting.body.result).toBeNull();
    const bad = await call(`${base}/execute_function?wait=0`, { function_id: add, payload: "[1, 1]" });
    expect([bad.status, bad.body.field]).toEqual([400, "wait"]);
    const plain = await call(`${base}/execute_function`, { function_id: add, payload: "[1, 1]" });
    expect(Object.keys(plain.body)).toEqual(["task_id"]);
  });

  test("?wait outside 0 < S <= 60 is 400", async () => {
    const fid = await register(base, "() => 1");
    const r = await call(`${base}/execute_function`, { function_id: fid, payload: "[]" });
    for (const w of ["0", "-1", "61", "abc", ""]) {
      const res = await call(`${base}/result/${r.body.task_id}?wait=${w}`);
      expect(res.status).toBe(400);
      expect(res.body.field).toBe("wait");
    }
  });
});

describe("functions, openapi, health", () => {
  test("GET /functions and /functions/{id} show options, the source only when asked", async () => {
    const fid = await register(base, "(x) => x", { timeout_ms: 1234, max_attempts: 2 });
    const one = await call(`${base}/functions/${fid}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ function_id: fid, name: "f", timeout_ms: 1234, max_attempts: 2 });
    expect(typeof one.body.created).toBe("string");
    expect(one.body.payload).toBeUndefined();
    expect((await call(`${base}/functions/${fid}?source=true`)).body.payload).toBe("(x) => x");
    const all = await call(`${base}/functions`);
    expect(all.body.functions.some((f: any) => f.function_id === fid)).toBe(true);
  });

  test("/openapi.json is generated from the request schemas", async () => {
    const doc = (await call(`${base}/openapi.json`)).body;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.paths["/register_function"].post.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/RegisterBody" });
    const reg = doc.components.schemas.RegisterBody;
    expect(reg.required).toEqual(["name", "payload"]);
    expect(reg.properties.timeout_ms.type).toBe("integer");
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/execute_function", "/execute_batch", "/status/{task_id}", "/result/{task_id}", "/wait", "/functions", "/healthz"]));
  });

  test("/healthz answers ok with the queue depth (nothing waits here: 256 executor slots)", async () => {
    const h = await call(`${base}/healthz`);
    expect(h.status).toBe(200);
    expect(h.body).toEqual({ status: "ok", queued: 0 }); // a non-zero depth is checked on Redis (test/app/redis-api.test.ts)
  });
});
