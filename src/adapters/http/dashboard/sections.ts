/**
 * Table rows of the dashboard's lists as the server renders them on first load: tasks, workers,
 * functions with their counters. The dashboard's script (assets/app.js) redraws the same rows from the
 * JSON of /tasks, /workers and /dashboard/live, with the same columns and data-* attributes.
 *
 * @example
 * `<tbody id="task-rows">${taskRows(page.tasks)}</tbody>`
 */
import { quantileMs } from "../../../domain/activity.ts";
import { activeTasks, failureRate } from "../../../domain/function-stats.ts";
import type { FunctionActivity, ListedTask } from "../../../domain/operations-service.ts";
import type { DispatcherReport } from "../../../domain/worker-directory.ts";
import { escapeHtml, formatMs } from "./page.ts";

function time(ms: number | undefined): string {
  return ms === undefined ? "" : `<time datetime="${new Date(ms).toISOString()}">${new Date(ms).toISOString().replace("T", " ").slice(0, 23)}</time>`;
}

/** Rows of the task list. */
export function taskRows(tasks: readonly ListedTask[]): string {
  if (tasks.length === 0) return `<tr class="empty"><td colspan="7" class="muted">No tasks.</td></tr>`;
  return tasks
    .map(
      (t) =>
        `<tr data-task="${escapeHtml(t.id)}"><td><a href="/dashboard/tasks/${encodeURIComponent(t.id)}"><code>${escapeHtml(t.id)}</code></a></td><td>${escapeHtml(t.functionName)}</td><td><span class="status ${t.status}" data-status>${t.status}</span>${t.retriedAs === undefined ? "" : ` <span class="muted">retried</span>`}</td><td class="n">${t.attempt}</td><td>${time(t.createdAt)}</td><td>${time(t.finishedAt)}</td><td>${escapeHtml(t.errorName ?? "")}</td></tr>`,
    )
    .join("");
}

/** Rows of the workers pane: one per remote worker, or one per local dispatcher (its executors). */
export function workerRows(reports: readonly DispatcherReport[]): string {
  const rows: string[] = [];
  for (const r of reports) {
    const d = `<td><code>${escapeHtml(r.id)}</code>${r.claiming ? "" : ` <span class="status FAILED">not claiming</span>`}</td>`;
    if (r.executors !== undefined) {
      rows.push(`<tr data-dispatcher="${escapeHtml(r.id)}">${d}<td>${escapeHtml(r.host)}</td><td>${r.mode}</td><td>${r.executors.live} ${escapeHtml(r.executors.isolation)} executors (max ${r.executors.max})</td><td class="n"></td><td class="n">${r.inFlight}</td><td class="n">${r.tasksDone}</td><td>${time(r.startedAt)}</td><td>${time(r.reportedAt)}</td></tr>`);
    }
    for (const w of r.workers ?? []) {
      rows.push(`<tr data-worker="${escapeHtml(w.id)}">${d}<td>${escapeHtml(w.host)}</td><td>${w.mode}${w.draining ? " (draining)" : ""}</td><td><code>${escapeHtml(w.id)}</code></td><td class="n">${w.capacity}</td><td class="n">${w.inFlight}</td><td class="n">${w.tasksDone}</td><td>${time(w.connectedSince)}</td><td>${time(w.lastHeartbeat)}</td></tr>`);
    }
    if (r.executors === undefined && (r.workers ?? []).length === 0) rows.push(`<tr data-dispatcher="${escapeHtml(r.id)}">${d}<td>${escapeHtml(r.host)}</td><td>${r.mode}</td><td class="muted">no workers connected</td><td></td><td class="n">${r.inFlight}</td><td class="n">${r.tasksDone}</td><td>${time(r.startedAt)}</td><td>${time(r.reportedAt)}</td></tr>`);
  }
  return rows.length === 0 ? `<tr class="empty"><td colspan="9" class="muted">No dispatcher has reported.</td></tr>` : rows.join("");
}

/** Rows of the functions pane, each with a form to run its failed tasks again when it has some. */
export function functionRows(fns: readonly FunctionActivity[], token: string): string {
  if (fns.length === 0) return `<tr class="empty"><td colspan="12" class="muted">No functions registered.</td></tr>`;
  return fns
    .map(({ fn: f, counts: c }) => {
      const p50 = quantileMs(c.latency, 0.5);
      const retry =
        c.failed > 0
          ? `<form method="post" action="/dashboard/retry" class="inline"><input type="hidden" name="token" value="${escapeHtml(token)}"><input type="hidden" name="status" value="FAILED"><input type="hidden" name="function_id" value="${escapeHtml(f.id)}"><button type="submit" data-action="retry-all">Retry failed</button></form>`
          : "";
      return `<tr data-function="${escapeHtml(f.id)}"><td>${escapeHtml(f.name)}</td><td><code>${escapeHtml(f.id)}</code></td><td class="n">${f.timeoutMs}</td><td class="n">${f.maxAttempts}</td><td>${new Date(f.createdAt).toISOString()}</td><td class="n" data-fn="submitted">${c.submitted}</td><td class="n" data-fn="active">${activeTasks(c)}</td><td class="n" data-fn="completed">${c.completed}</td><td class="n" data-fn="failed">${c.failed}</td><td class="n" data-fn="failure_rate">${(100 * failureRate(c)).toFixed(1)}%</td><td class="n" data-fn="p50">${p50 === undefined ? "" : `&le; ${formatMs(p50)}`}</td><td>${retry}</td></tr>`;
    })
    .join("");
}
