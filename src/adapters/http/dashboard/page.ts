/**
 * The HTML of GET /dashboard and of its sign-in form: rendered by the server with the figures of the
 * moment, then kept live without reloading by the dashboard's script (/dashboard/assets/app.js, which
 * polls /dashboard/live, /tasks and /workers and redraws the counts, the charts and the lists). No
 * external assets: the script and the style sheet come from this server, under a strict
 * Content-Security-Policy (scripts and styles only from here, no inline handlers). Every value that
 * comes from users (function names, ids, results) goes through {@link escapeHtml}. Pure rendering.
 *
 * @example
 * htmlReply(renderDashboard(view));
 * htmlReply(loginPage("Sign in with an API key."), 401);
 */
import type { FunctionActivity, ListedTask } from "../../../domain/operations-service.ts";
import { DURATION_BUCKETS_MS, FINISHED_STATUSES, runningTasks } from "../../../domain/metrics.ts";
import type { TaskStatus } from "../../../domain/task.ts";
import type { DispatcherReport } from "../../../domain/worker-directory.ts";
import type { MetricsReport } from "../prometheus.ts";
import { functionRows, taskRows, workerRows } from "./sections.ts";

/** What the dashboard shows. */
export interface DashboardView {
  readonly version: string;
  /** The same report GET /metrics renders. */
  readonly report: MetricsReport;
  /** Newest first, at most `MAX_FUNCTIONS_SHOWN`, with their counters. */
  readonly functions: readonly FunctionActivity[];
  readonly functionCount: number;
  /** The first page of the task list, as filtered. */
  readonly tasks: readonly ListedTask[];
  readonly filter: { readonly status?: TaskStatus; readonly functionId?: string; readonly cursor?: string };
  /** The cursor of the next (older) page, if any. */
  readonly nextCursor?: string;
  readonly workers: readonly DispatcherReport[];
  /** The task looked up with `?task=`, if any. */
  readonly lookup?: TaskLookup;
  /** The form token of the viewer (hidden field of every action form). */
  readonly token: string;
  /** A line to show at the top (the outcome of an action). */
  readonly notice?: string;
  /** How often the script polls, in ms. */
  readonly pollMs: number;
  /** Signed in with a key (API keys on): show a sign-out button. */
  readonly signOut?: boolean;
}

export type TaskLookup =
  | { readonly taskId: string; readonly found: true; readonly status: TaskStatus; readonly result: string | null }
  | { readonly taskId: string; readonly found: false; readonly message: string };

export const MAX_FUNCTIONS_SHOWN = 200;
const MAX_RESULT_CHARS = 20_000;
const STATUS_TABS: readonly (TaskStatus | "")[] = ["", "QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"];

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** An HTML reply with the page's security headers. */
export function htmlReply(html: string, status = 200, headers?: Record<string, string>): Response {
  return new Response(html, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": CSP,
      "x-content-type-options": "nosniff",
      // same-origin, not no-referrer: under no-referrer Chromium sends "Origin: null" with the page's own
      // form posts (sign-in, actions), which the edge refuses as a foreign origin.
      "referrer-policy": "same-origin",
      "cache-control": "no-store",
      ...headers,
    },
  });
}

/** The sign-in form (POST /dashboard/login with the field `key`). */
export function loginPage(message: string): string {
  return page(
    "bunfaas: sign in",
    `<h1>bunfaas dashboard</h1>
<p>${escapeHtml(message)}</p>
<form method="post" action="/dashboard/login">
<label>API key <input type="password" name="key" autocomplete="current-password" required autofocus></label>
<button type="submit">Sign in</button>
</form>`,
  );
}

/** A page with one message and a link back to the dashboard. */
export function messagePage(message: string): string {
  return page("bunfaas dashboard", `<h1>bunfaas dashboard</h1>
<p data-message>${escapeHtml(message)}</p>
<p><a href="/dashboard">Back to the dashboard</a></p>`);
}

/** The dashboard: counts, charts, task list with filters, workers, functions, failures, durations, task lookup. */
export function renderDashboard(v: DashboardView): string {
  const s = v.report.stats;
  const counters: Array<[string, string, number]> = [
    ["queue_depth", "Queued", s.queued],
    ["running", "Running", runningTasks(s)],
    ...FINISHED_STATUSES.map((st): [string, string, number] => [`finished_${st}`, `${st[0]}${st.slice(1).toLowerCase()}`, s.finished[st]]),
    ["submitted", "Submitted", s.submitted],
    ["retries", "Retries (lost attempts)", s.retries],
    ["functions", "Functions", v.report.functions],
  ];
  const failures = Object.entries(s.failures).filter(([, n]) => n > 0).sort(([a], [b]) => a.localeCompare(b));
  const signOut = v.signOut === true ? `<form method="post" action="/dashboard/logout" class="inline"><button type="submit" data-action="sign-out">Sign out</button></form>` : "";
  const notice = v.notice === undefined ? "" : `<p class="notice" data-notice>${escapeHtml(v.notice)}</p>`;
  const body = `<header><h1>bunfaas dashboard <span class="muted">v${escapeHtml(v.version)}</span></h1>${signOut}<span class="muted" id="live-state" data-live-state>live</span></header>
${notice}
<p class="muted">Task figures cover the whole deployment (the same numbers as <a href="/metrics">/metrics</a>); they update every ${v.pollMs / 1000} s without reloading.</p>
<section class="cards">${counters.map(([id, label, n]) => `<div class="card"><div class="label">${label}</div><div class="n" data-metric="${id}">${n}</div></div>`).join("")}</section>
<section class="charts">
<figure><figcaption>Tasks finished per second, last 15 minutes <span class="key ok">completed</span> <span class="key bad">failed</span></figcaption><svg id="chart-throughput" class="chart" viewBox="0 0 900 160" role="img" aria-label="tasks finished per second"></svg></figure>
<figure><figcaption>Submission to end per second (ms) <span class="key p50">p50</span> <span class="key p95">p95</span> <span class="key p99">p99</span></figcaption><svg id="chart-latency" class="chart" viewBox="0 0 900 160" role="img" aria-label="latency quantiles per second"></svg></figure>
</section>
<h2 id="tasks">Tasks</h2>
${filters(v)}
<table class="list"><thead><tr><th>Task</th><th>Function</th><th>Status</th><th>Attempt</th><th>Created</th><th>Finished</th><th>Error</th></tr></thead><tbody id="task-rows">${taskRows(v.tasks)}</tbody></table>
<p id="task-paging">${v.nextCursor === undefined ? "" : `<a data-older href="${escapeHtml(listUrl({ ...v.filter, cursor: v.nextCursor }))}">Older tasks &rarr;</a>`}${v.filter.cursor === undefined ? "" : ` <a href="${escapeHtml(listUrl({ ...v.filter, cursor: undefined }))}">Newest</a>`}</p>
<h2>Workers</h2>
<table class="list"><thead><tr><th>Dispatcher</th><th>Host</th><th>Mode</th><th>Worker / executors</th><th>Capacity</th><th>In flight</th><th>Done</th><th>Connected since</th><th>Last heard</th></tr></thead><tbody id="worker-rows">${workerRows(v.workers)}</tbody></table>
<h2>Functions (<span data-function-count>${v.functionCount}</span>)</h2>
<table class="list"><thead><tr><th>Name</th><th>Id</th><th>timeout_ms</th><th>max_attempts</th><th>Created</th><th>Submitted</th><th>Active</th><th>Completed</th><th>Failed</th><th>Failure rate</th><th>p50</th><th></th></tr></thead><tbody id="function-rows">${functionRows(v.functions, v.token)}</tbody></table>
${v.functionCount > v.functions.length ? `<p class="muted">Showing the newest ${v.functions.length} of ${v.functionCount}.</p>` : ""}
${failures.length === 0 ? "" : `<h2>Failures by error</h2><table>${failures.map(([name, n]) => `<tr><th>${escapeHtml(name)}</th><td class="n" data-failure="${escapeHtml(name)}">${n}</td></tr>`).join("")}</table>`}
<h2>Time from submission to end (all time, at page load)</h2>
${durationSummary(s.duration.buckets, s.duration.sumMs)}
<h2>Look up a task</h2>
<form method="get" action="/dashboard"><input name="task" size="40" placeholder="task id" value="${escapeHtml(v.lookup?.taskId ?? "")}"> <button type="submit">Look up</button></form>
${v.lookup === undefined ? "" : lookupSection(v.lookup)}`;
  const data = { pollMs: v.pollMs, status: v.filter.status ?? "", functionId: v.filter.functionId ?? "", paged: v.filter.cursor === undefined ? "" : "1", token: v.token };
  return page("bunfaas dashboard", body, data);
}

/** The status tabs and the function filter of the task list. */
function filters(v: DashboardView): string {
  const tabs = STATUS_TABS.map((st) => {
    const current = (v.filter.status ?? "") === st;
    const label = st === "" ? "All" : st;
    return current ? `<strong data-tab="${st}">${label}</strong>` : `<a data-tab="${st}" href="${escapeHtml(listUrl({ ...v.filter, status: st === "" ? undefined : st, cursor: undefined }))}">${label}</a>`;
  });
  const options = v.functions.map(({ fn }) => `<option value="${escapeHtml(fn.id)}"${fn.id === v.filter.functionId ? " selected" : ""}>${escapeHtml(fn.name)} (${escapeHtml(fn.id.slice(0, 8))})</option>`);
  const bulk =
    v.filter.functionId !== undefined && v.filter.status === "FAILED"
      ? ` <form method="post" action="/dashboard/retry" class="inline"><input type="hidden" name="token" value="${escapeHtml(v.token)}"><input type="hidden" name="status" value="FAILED"><input type="hidden" name="function_id" value="${escapeHtml(v.filter.functionId)}"><button type="submit" data-action="retry-all">Retry all failed of this function</button></form>`
      : "";
  return `<nav class="tabs">${tabs.join(" ")}</nav>
<form method="get" action="/dashboard" class="inline" id="function-filter">${v.filter.status === undefined ? "" : `<input type="hidden" name="status" value="${v.filter.status}">`}<label>Function <select name="function" data-function-filter><option value="">any</option>${options.join("")}</select></label> <button type="submit">Filter</button></form>${bulk}`;
}

/** The dashboard URL of a task list. */
export function listUrl(f: { status?: string; functionId?: string; cursor?: string }): string {
  const q = new URLSearchParams();
  if (f.status !== undefined) q.set("status", f.status);
  if (f.functionId !== undefined) q.set("function", f.functionId);
  if (f.cursor !== undefined) q.set("cursor", f.cursor);
  const text = q.toString();
  return `/dashboard${text === "" ? "" : `?${text}`}#tasks`;
}

function durationSummary(buckets: readonly number[], sumMs: number): string {
  const count = buckets.reduce((a, b) => a + b, 0);
  if (count === 0) return `<p class="muted" data-metric="duration_count">No finished tasks yet.</p>`;
  const quantile = (q: number): string => {
    const target = Math.ceil(q * count);
    let cumulative = 0;
    for (let i = 0; i < buckets.length; i++) {
      cumulative += buckets[i] ?? 0;
      if (cumulative >= target) {
        const bound = DURATION_BUCKETS_MS[i];
        return bound === undefined ? `&gt; ${formatMs(DURATION_BUCKETS_MS[DURATION_BUCKETS_MS.length - 1] ?? 0)}` : `&le; ${formatMs(bound)}`;
      }
    }
    return "?";
  };
  let cumulative = 0;
  const rows = buckets.map((n, i) => {
    cumulative += n;
    const bound = DURATION_BUCKETS_MS[i];
    return `<tr><th>${bound === undefined ? "+Inf" : `&le; ${formatMs(bound)}`}</th><td class="n">${cumulative}</td></tr>`;
  });
  return `<table>
<tr><th>Count</th><td class="n" data-metric="duration_count">${count}</td></tr>
<tr><th>Mean</th><td class="n" data-metric="duration_mean_ms">${formatMs(sumMs / count)}</td></tr>
<tr><th>p50</th><td class="n">${quantile(0.5)}</td></tr><tr><th>p95</th><td class="n">${quantile(0.95)}</td></tr><tr><th>p99</th><td class="n">${quantile(0.99)}</td></tr>
</table>
<details><summary>Buckets (cumulative)</summary><table>${rows.join("")}</table></details>`;
}

function lookupSection(l: TaskLookup): string {
  if (!l.found) return `<p class="err" data-lookup="missing">${escapeHtml(l.message)}</p>`;
  const result = l.result === null ? `<p class="muted">No result yet.</p>` : `<pre data-lookup="result">${escapeHtml(pretty(l.result))}</pre>`;
  return `<table><tr><th>Task</th><td><a href="/dashboard/tasks/${encodeURIComponent(l.taskId)}">${escapeHtml(l.taskId)}</a></td></tr><tr><th>Status</th><td data-lookup="status">${l.status}</td></tr></table>
${result}`;
}

/** JSON text indented when it parses, cut at MAX_RESULT_CHARS. */
export function pretty(text: string): string {
  let out = text;
  try {
    out = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // not JSON: show as stored
  }
  return out.length > MAX_RESULT_CHARS ? `${out.slice(0, MAX_RESULT_CHARS)}\n... (${out.length - MAX_RESULT_CHARS} more characters)` : out;
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(3))} s` : `${Number(ms.toFixed(3))} ms`;
}

/** A page with the dashboard's style sheet and script; `data` goes on <body> as data-* attributes for the script. */
export function page(title: string, body: string, data?: Record<string, string | number>): string {
  const attrs = data === undefined ? "" : Object.entries(data).map(([k, val]) => ` data-${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}="${escapeHtml(String(val))}"`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><link rel="stylesheet" href="/dashboard/assets/app.css"></head>
<body${attrs}>
${body}
${data === undefined ? "" : `<script src="/dashboard/assets/app.js"></script>`}
</body></html>
`;
}
