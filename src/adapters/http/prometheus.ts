/**
 * GET /metrics as Prometheus text exposition format 0.0.4: the deployment's task counters (from the
 * store, so they cover every process) and a few facts about the answering process. Pure rendering.
 *
 * @example
 * new Response(renderMetrics(report), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } });
 */
import {
  DURATION_BUCKETS_MS,
  FINISHED_STATUSES,
  OTHER_ERROR,
  PLATFORM_ERRORS,
  runningTasks,
  type StatsSnapshot,
} from "../../domain/metrics.ts";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Facts about the process answering the scrape (not the deployment). */
export interface ProcessFacts {
  readonly residentMemoryBytes: number;
  /** Unix time the process started, in seconds. */
  readonly startTimeSeconds: number;
  /** Long-polls (GET /result?wait, POST /wait) this process holds open right now. */
  readonly waitingRequests: number;
}

/** Everything /metrics shows. */
export interface MetricsReport {
  readonly stats: StatsSnapshot;
  readonly functions: number;
  readonly process: ProcessFacts;
}

type Labels = Readonly<Record<string, string>>;

interface Sample {
  readonly suffix?: string;
  readonly labels?: Labels;
  readonly value: number;
}

/** The exposition text of a report: HELP and TYPE lines, then the samples of each metric family. */
export function renderMetrics(r: MetricsReport): string {
  const s = r.stats;
  const failureLabels = new Set([...PLATFORM_ERRORS, OTHER_ERROR, ...Object.keys(s.failures)]);
  const out: string[] = [
    family("faas_tasks_submitted_total", "counter", "Tasks submitted (execute_function and execute_batch).", [{ value: s.submitted }]),
    family(
      "faas_tasks_finished_total",
      "counter",
      "Tasks that reached a terminal status.",
      FINISHED_STATUSES.map((status) => ({ labels: { status }, value: s.finished[status] })),
    ),
    family(
      "faas_task_failures_total",
      "counter",
      "FAILED tasks by error name; thrown names other than the platform's and JavaScript's built-in ones count as UserError.",
      [...failureLabels].sort().map((error) => ({ labels: { error }, value: s.failures[error] ?? 0 })),
    ),
    family("faas_task_retries_total", "counter", "Attempts lost with their executor or dispatcher after which the task runs again.", [{ value: s.retries }]),
    family("faas_queue_depth", "gauge", "Tasks QUEUED, waiting for a dispatcher.", [{ value: s.queued }]),
    family("faas_tasks_running", "gauge", "Tasks RUNNING (submitted - finished - queued).", [{ value: runningTasks(s) }]),
    family("faas_task_duration_seconds", "histogram", "Time from submission to a terminal status.", histogram(s.duration.buckets, s.duration.sumMs / 1000)),
    family("faas_functions_registered", "gauge", "Functions registered.", [{ value: r.functions }]),
    family("process_resident_memory_bytes", "gauge", "Resident memory size of the process answering this scrape, in bytes.", [{ value: r.process.residentMemoryBytes }]),
    family("process_start_time_seconds", "gauge", "Start time of the process answering this scrape since unix epoch in seconds.", [{ value: r.process.startTimeSeconds }]),
    family("faas_waiting_requests", "gauge", "Long-polls (GET /result?wait, POST /wait) the answering process holds open.", [{ value: r.process.waitingRequests }]),
  ];
  return out.join("");
}

/** Cumulative `_bucket` samples (le = each bound, then +Inf), `_sum` and `_count`, from per-bucket counts. */
function histogram(counts: readonly number[], sumSeconds: number): Sample[] {
  const samples: Sample[] = [];
  let cumulative = 0;
  for (let i = 0; i <= DURATION_BUCKETS_MS.length; i++) {
    cumulative += counts[i] ?? 0;
    const bound = DURATION_BUCKETS_MS[i];
    samples.push({ suffix: "_bucket", labels: { le: bound === undefined ? "+Inf" : formatValue(bound / 1000) }, value: cumulative });
  }
  samples.push({ suffix: "_sum", value: sumSeconds }, { suffix: "_count", value: cumulative });
  return samples;
}

function family(name: string, type: "counter" | "gauge" | "histogram", help: string, samples: readonly Sample[]): string {
  let text = `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
  for (const s of samples) text += `${name}${s.suffix ?? ""}${formatLabels(s.labels)} ${formatValue(s.value)}\n`;
  return text;
}

function formatLabels(labels: Labels | undefined): string {
  if (labels === undefined) return "";
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** A label value as the format wants it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text: backslash and line feed escaped. */
function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A sample value: Go-style float text (`+Inf`, `-Inf`, `NaN`, integers without a fraction). */
export function formatValue(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "+Inf";
  if (n === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(n);
}
