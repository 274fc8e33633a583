/**
 * GET /metrics in the embedded mode (in-memory store, real executor threads): after tasks that
 * complete, throw, time out and are cancelled, the exposition text parses and its numbers are exactly
 * what was done. Also: the content type, and 503 with the error shape when the backend is down.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Embedded } from "../../src/app/roots/embedded.ts";
import { BackendUnavailableError } from "../../src/domain/errors.ts";
import { call, register, run } from "../../scripts/lib/http.ts";
import { startEmbeddedHere as startTestServer } from "../helpers/roots.ts";
import { memoryHttpApp } from "../helpers/http-app.ts";
import { checkHistogram, parsePrometheus, type ParsedMetrics } from "../helpers/prometheus-text.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

let app: Embedded;
let base: string;
beforeAll(() => {
  app = startTestServer({ workers: 2 });
  base = app.url;
});
afterAll(() => app.stop());

async function scrape(url: string): Promise<{ status: number; type: string | null; metrics: ParsedMetrics }> {
  const r = await fetch(`${url}/metrics`);
  return { status: r.status, type: r.headers.get("content-type"), metrics: parsePrometheus(await r.text()) };
}

describe("GET /metrics (embedded)", () => {
  test("before any work: parses, every counter 0, content type of format 0.0.4", async () => {
    const own = startTestServer();
    try {
      const s = await scrape(own.url);
      expect(s.status).toBe(200);
      expect(s.type).toStartWith("text/plain; version=0.0.4");
      expect(s.metrics.value("faas_tasks_submitted_total")).toBe(0);
      expect(s.metrics.value("faas_tasks_finished_total", { status: "COMPLETED" })).toBe(0);
      expect(checkHistogram(s.metrics, "faas_task_duration_seconds").count).toBe(0);
      expect(s.metrics.value("faas_functions_registered")).toBe(0);
      expect(s.metrics.value("process_resident_memory_bytes")).toBeGreaterThan(1_000_000);
      const start = s.metrics.value("process_start_time_seconds");
      expect(start).toBeLessThanOrEqual(Date.now() / 1000);
      expect(start).toBeGreaterThan(Date.now() / 1000 - process.uptime() - 60);
    } finally {
      await own.stop();
    }
  });

  test("tasks that complete, throw, time out and are cancelled are counted exactly", async () => {
    const double = await register(base, "(x) => x * 2");
    const typeError = await register(base, "() => { throw new TypeError('bad') }");
    const ownError = await register(base, "() => { const e = new Error('no db'); e.name = 'DatabaseError'; throw e }");
    const spin = await register(base, "() => { for (;;) {} }", { timeout_ms: 300 });
    const spinLong = await register(base, "() => { for (;;) {} }", { timeout_ms: 600_000 });

    const outcomes = await Promise.all([
      run(base, double, "[1]"),
      run(base, double, "[2]"),
      run(base, double, "[3]"),
      run(base, typeError, "[]"),
      run(base, ownError, "[]"),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["COMPLETED", "COMPLETED", "COMPLETED", "FAILED", "FAILED"]);
    const timedOut = await run(base, spin, "[]");
    expect(JSON.parse(timedOut.result as string).name).toBe("TimeoutError");
    const r = await call(`${base}/execute_function`, { function_id: spinLong, payload: "[]" });
    const id = r.body.task_id as string;
    await waitFor(async () => (await call(`${base}/status/${id}`)).body.status === "RUNNING", "the long spin to be RUNNING");
    expect((await fetch(`${base}/tasks/${id}`, { method: "DELETE" })).status).toBe(200);

    const { status, metrics: m } = await scrape(base);
    expect(status).toBe(200);
    expect(m.value("faas_tasks_submitted_total")).toBe(7);
    expect(["COMPLETED", "FAILED", "CANCELLED"].map((s) => m.value("faas_tasks_finished_total", { status: s }))).toEqual([3, 3, 1]);
    expect(["TypeError", "UserError", "TimeoutError", "WorkerFailure"].map((error) => m.value("faas_task_failures_total", { error }))).toEqual([1, 1, 1, 0]);
    expect(m.value("faas_task_retries_total")).toBe(0);
    expect(m.value("faas_queue_depth")).toBe(0);
    expect(m.value("faas_tasks_running")).toBe(0);
    expect(m.value("faas_functions_registered")).toBe(5);
    const h = checkHistogram(m, "faas_task_duration_seconds");
    expect(h.count).toBe(7);
    // The timed-out task took at least its 300 ms deadline: never in a bucket of 0.1 s or less.
    expect(h.cumulative[h.bounds.indexOf(0.1)]).toBeLessThanOrEqual(6);
    expect(h.sum).toBeGreaterThanOrEqual(0.3);
  });

  test("other methods than GET are 405 naming GET", async () => {
    const r = await fetch(`${base}/metrics`, { method: "POST" });
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("GET");
  });
});

describe("GET /metrics with the backend down", () => {
  test("503 with the error shape", async () => {
    const handler = memoryHttpApp({
      metrics: async () => {
        throw new BackendUnavailableError("Redis is not reachable");
      },
    });
    const r = await handler(new Request("http://x/metrics"));
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ error: "BackendUnavailable", message: "Redis is not reachable" });
  });
});
