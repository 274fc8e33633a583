import { describe, expect, test } from "bun:test";
import { escapeLabelValue, formatValue, renderMetrics, type MetricsReport } from "../../src/adapters/http/prometheus.ts";
import { DURATION_BUCKETS_MS, emptyStats } from "../../src/domain/metrics.ts";
import { checkHistogram, parsePrometheus } from "../helpers/prometheus-text.ts";

function report(over: Partial<MetricsReport["stats"]> = {}): MetricsReport {
  return { stats: { ...emptyStats(), ...over }, functions: 4, process: { residentMemoryBytes: 123_456_789, startTimeSeconds: 1_767_225_600.5, waitingRequests: 3 } };
}

describe("Prometheus text rendering", () => {
  test("every family has HELP and TYPE lines and the values of the report", () => {
    const buckets = emptyStats().duration.buckets.slice();
    buckets[0] = 2;
    buckets[3] = 5;
    buckets[DURATION_BUCKETS_MS.length] = 1; // +Inf
    const text = renderMetrics(
      report({
        submitted: 20,
        finished: { COMPLETED: 5, FAILED: 2, CANCELLED: 1 },
        failures: { TimeoutError: 1, UserError: 1 },
        retries: 3,
        queued: 7,
        duration: { buckets, sumMs: 61_234 },
      }),
    );
    const m = parsePrometheus(text);
    const types = Object.fromEntries([...m.families.values()].map((f) => [f.name, f.type]));
    expect(types).toEqual({
      faas_tasks_submitted_total: "counter",
      faas_tasks_finished_total: "counter",
      faas_task_failures_total: "counter",
      faas_task_retries_total: "counter",
      faas_queue_depth: "gauge",
      faas_tasks_running: "gauge",
      faas_task_duration_seconds: "histogram",
      faas_functions_registered: "gauge",
      process_resident_memory_bytes: "gauge",
      process_start_time_seconds: "gauge",
      faas_waiting_requests: "gauge",
    });
    for (const f of m.families.values()) expect(f.help.length).toBeGreaterThan(10);
    expect(m.value("faas_tasks_submitted_total")).toBe(20);
    expect(["COMPLETED", "FAILED", "CANCELLED"].map((status) => m.value("faas_tasks_finished_total", { status }))).toEqual([5, 2, 1]);
    expect(m.value("faas_task_failures_total", { error: "TimeoutError" })).toBe(1);
    expect(m.value("faas_task_failures_total", { error: "UserError" })).toBe(1);
    expect(m.value("faas_task_failures_total", { error: "WorkerFailure" })).toBe(0); // known labels start at 0
    expect(m.value("faas_task_retries_total")).toBe(3);
    expect(m.value("faas_queue_depth")).toBe(7);
    expect(m.value("faas_tasks_running")).toBe(20 - 8 - 7);
    expect(m.value("faas_functions_registered")).toBe(4);
    expect(m.value("process_resident_memory_bytes")).toBe(123_456_789);
    expect(m.value("process_start_time_seconds")).toBe(1_767_225_600.5);
    expect(m.value("faas_waiting_requests")).toBe(3);
    expect(text).toContain('# TYPE faas_task_duration_seconds histogram\nfaas_task_duration_seconds_bucket{le="0.001"} 2\n');
  });

  test("histogram buckets are cumulative, bounds in seconds, +Inf equal to _count, _sum in seconds", () => {
    const buckets = emptyStats().duration.buckets.slice();
    buckets[0] = 2;
    buckets[3] = 5;
    buckets[DURATION_BUCKETS_MS.length] = 1;
    const m = parsePrometheus(renderMetrics(report({ duration: { buckets, sumMs: 61_234 } })));
    const h = checkHistogram(m, "faas_task_duration_seconds");
    expect(h.bounds).toEqual([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, Number.POSITIVE_INFINITY]);
    expect(h.cumulative).toEqual([2, 2, 2, 7, 7, 7, 7, 7, 7, 7, 8]);
    expect(h.count).toBe(8);
    expect(h.sum).toBeCloseTo(61.234, 9);
  });

  test("label values are escaped: backslash, double quote, line feed", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const odd = 'we\\ird"na\nme';
    const text = renderMetrics(report({ failures: { [odd]: 2 } }));
    expect(text).toContain('faas_task_failures_total{error="we\\\\ird\\"na\\nme"} 2\n');
    expect(parsePrometheus(text).value("faas_task_failures_total", { error: odd })).toBe(2);
  });

  test("values: integers plain, fractions as JavaScript writes them, infinities and NaN by name", () => {
    expect([0, 42, 0.005, 1e21, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN].map(formatValue)).toEqual(["0", "42", "0.005", "1e+21", "+Inf", "-Inf", "NaN"]);
  });

  test("the test parser rejects what a scraper would reject (so the checks above can fail)", () => {
    expect(() => parsePrometheus("faas_x 1\n")).toThrow("before any TYPE");
    expect(() => parsePrometheus("# HELP a h\n# TYPE a counter\na{x=\"1} 1\n")).toThrow("bad labels");
    expect(() => parsePrometheus("# HELP a h\n# TYPE a counter\nb 1\n")).toThrow("does not belong");
    expect(() => parsePrometheus("# HELP a h\n# TYPE a counter\na 1")).toThrow("line feed");
    const notCumulative = '# HELP h x\n# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n';
    expect(() => checkHistogram(parsePrometheus(notCumulative), "h")).toThrow("not cumulative");
    const countOff = '# HELP h x\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n';
    expect(() => checkHistogram(parsePrometheus(countOff), "h")).toThrow("differs from _count");
  });
});
