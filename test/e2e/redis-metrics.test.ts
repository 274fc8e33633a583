/**
 * GET /metrics across processes: a private redis-server, the API (in this process) and local-mode
 * dispatchers (a real process, killed -9, then one in this process). The
 * counters are kept in Redis by the scripts the dispatcher runs, so the API reports work it never saw:
 * completions, thrown errors, timeouts, a task taken over from a dispatcher killed -9 (a retry), a
 * cancel. With Redis gone, /metrics answers 503.
 */
import { describe, expect, test } from "bun:test";
import { awaitAll, call, register, submit } from "../../scripts/lib/http.ts";
import { withLogs } from "../../scripts/lib/processes.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { checkHistogram, parsePrometheus, type ParsedMetrics } from "../helpers/prometheus-text.ts";
import { useRedisStack } from "../helpers/redis-stack.ts";
import { startDispatcherHere } from "../helpers/roots.ts";

const stack = useRedisStack("e2e-metrics");

async function scrape(): Promise<ParsedMetrics> {
  const r = await fetch(`${stack.api.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (r.status !== 200) throw new Error(`/metrics: ${r.status} ${await r.text()}`);
  expect(r.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
  return parsePrometheus(await r.text());
}

const finished = (m: ParsedMetrics): number[] => ["COMPLETED", "FAILED", "CANCELLED"].map((status) => m.value("faas_tasks_finished_total", { status }));

describe("GET /metrics on Redis", () => {
  test("the API reports what dispatcher processes did: completions, failures by name, a retry after kill -9, a cancel", () =>
    withLogs(async () => {
      const first = stack.dispatcherProcess(["--workers", "2", "--liveness", "1s"]);
      const ok = await register(stack.api.url, "(x) => x + 1");
      const thrower = await register(stack.api.url, "(x) => { throw new RangeError('x=' + x) }");
      const spinShort = await register(stack.api.url, "() => { for (;;) {} }", { timeout_ms: 300 });
      const spinLong = await register(stack.api.url, "() => { for (;;) {} }", { timeout_ms: 600_000 });

      const quick = [
        ...(await submit(stack.api.url, ok, Array.from({ length: 20 }, (_, i) => `[${i}]`))),
        ...(await submit(stack.api.url, thrower, ["[1]", "[2]"])),
        ...(await submit(stack.api.url, spinShort, ["[]"])),
      ];
      const results = [...(await awaitAll(stack.api.url, quick)).values()];
      expect(results.filter((r) => r.status === "COMPLETED").length).toBe(20);

      const m1 = await scrape();
      expect(m1.value("faas_tasks_submitted_total")).toBe(23);
      expect(finished(m1)).toEqual([20, 3, 0]);
      expect(m1.value("faas_task_failures_total", { error: "RangeError" })).toBe(2);
      expect(m1.value("faas_task_failures_total", { error: "TimeoutError" })).toBe(1);
      expect(m1.value("faas_functions_registered")).toBe(4);
      expect(checkHistogram(m1, "faas_task_duration_seconds").count).toBe(23);

      // A task running on the first dispatcher when it is killed: the second takes it over.
      const [held] = await submit(stack.api.url, spinLong, ["[]"]);
      await waitFor(async () => (await call(`${stack.api.url}/status/${held}`)).body.status === "RUNNING", "the long task to run", 15_000);
      const m2 = await scrape();
      expect([m2.value("faas_tasks_running"), m2.value("faas_queue_depth")]).toEqual([1, 0]);
      await first.kill("SIGKILL");
      await startDispatcherHere(stack.target, ["--workers", "2", "--liveness", "1s"]);
      await waitFor(async () => (await scrape()).value("faas_task_retries_total") === 1, "the second dispatcher to take the task over (a retry)", 20_000, 50);
      expect((await call(`${stack.api.url}/status/${held}`)).body.status).toBe("RUNNING");

      const cancelled = await fetch(`${stack.api.url}/tasks/${held}`, { method: "DELETE", signal: AbortSignal.timeout(10_000) });
      expect(cancelled.status).toBe(200);

      const m3 = await scrape();
      expect(m3.value("faas_tasks_submitted_total")).toBe(24);
      expect(finished(m3)).toEqual([20, 3, 1]);
      expect(m3.value("faas_task_retries_total")).toBe(1);
      expect([m3.value("faas_tasks_running"), m3.value("faas_queue_depth")]).toEqual([0, 0]);
      const h = checkHistogram(m3, "faas_task_duration_seconds");
      expect(h.count).toBe(24);
      expect(h.sum).toBeGreaterThanOrEqual(0.3); // the timed-out task alone took its 300 ms deadline
    }), 60_000);

  test("with Redis down, /metrics answers 503 with the error shape", () =>
    withLogs(async () => {
      await stack.redis.stop({ kill: true });
      const r = await waitFor(async () => {
        const reply = await call(`${stack.api.url}/metrics`);
        return reply.status === 503 ? reply : undefined;
      }, "/metrics to answer 503", 15_000, 50);
      expect(r.body.error).toBe("BackendUnavailable");
      expect(typeof r.body.message).toBe("string");
    }), 30_000);
});
