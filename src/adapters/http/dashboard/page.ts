/**
 * The HTML of GET /dashboard and of its sign-in form: server-rendered, no external assets, one static
 * inline style and one static inline script (auto-refresh), both allowed by hash in a strict
 * Content-Security-Policy. Every value that comes from users (function names, ids, results) goes
 * through {@link escapeHtml}. Pure rendering.
 *
 * @example
 * htmlReply(renderDashboard(view));
 * htmlReply(loginPage("Sign in with an API key."), 401);
 */
import type { FunctionRecord } from "../../../domain/function-record.ts";
import { DURATION_BUCKETS_MS, FINISHED_STATUSES, runningTasks } from "../../../domain/metrics.ts";
import type { TaskStatus } from "../../../domain/task.ts";
import type { MetricsReport } from "../prometheus.ts";

/** What the dashboard shows. */
export interface DashboardView {
  readonly version: string;
  /** The same report GET /metrics renders. */
  readonly report: MetricsReport;
  /** Newest first, at most `MAX_FUNCTIONS_SHOWN`. */
  readonly functions: readonly FunctionRecord[];
  readonly functionCount: number;
  /** The task looked up with `?task=`, if any. */
  readonly lookup?: TaskLookup;
  readonly refreshS: number;
  /** Signed in with a key (API keys on): show a sign-out button. */
  readonly signOut?: boolean;
}

export type TaskLookup =
  | { readonly taskId: string; readonly found: true; readonly status: TaskStatus; readonly result: string | null }
  | { readonly taskId: string; readonly found: false; readonly message: string };

export const MAX_FUNCTIONS_SHOWN = 200;
const MAX_RESULT_CHARS = 20_000;

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}h1{font-size:1.3rem}h2{font-size:1.05rem;margin-top:1.5rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f4f4f4;padding:.5rem;max-height:20rem;overflow:auto;white-space:pre-wrap;word-break:break-all}.muted{color:#777}.err{color:#a00}`;
// Reloads the page every data-refresh-s seconds, but not while the user is typing in a field.
const SCRIPT = `(function(){var b=document.body,s=Number(b.dataset.refreshS)*1000;function t(){var a=document.activeElement;if(a&&a.tagName==="INPUT"){setTimeout(t,1000);return}location.replace(b.dataset.refreshUrl)}if(s>0)setTimeout(t,s)})();`;
const CSP = `default-src 'none'; style-src '${hash(STYLE)}'; script-src '${hash(SCRIPT)}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

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
      "referrer-policy": "no-referrer",
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

/** The dashboard: task counters, duration summary, task lookup, functions. */
export function renderDashboard(v: DashboardView): string {
  const s = v.report.stats;
  const taskQuery = v.lookup === undefined ? "" : `?task=${encodeURIComponent(v.lookup.taskId)}`;
  const counters: Array<[string, string, number]> = [
    ["queue_depth", "Queued (queue depth)", s.queued],
    ["running", "Running", runningTasks(s)],
    ["submitted", "Submitted", s.submitted],
    ...FINISHED_STATUSES.map((st): [string, string, number] => [`finished_${st}`, `Finished ${st}`, s.finished[st]]),
    ["retries", "Retries (lost attempts)", s.retries],
    ["functions", "Functions registered", v.report.functions],
  ];
  const failures = Object.entries(s.failures).filter(([, n]) => n > 0).sort(([a], [b]) => a.localeCompare(b));
  const signOut = v.signOut === true ? `<form method="post" action="/dashboard/logout"><button type="submit" data-action="sign-out">Sign out</button></form>` : "";
  const body = `<h1>bunfaas dashboard <span class="muted">v${escapeHtml(v.version)}</span></h1>${signOut}
<p class="muted">Refreshes every ${v.refreshS} s. Task figures cover the whole deployment (the same numbers as <a href="/metrics">/metrics</a>).</p>
<h2>Tasks</h2>
<table>${counters.map(([id, label, n]) => `<tr><th>${label}</th><td class="n" data-metric="${id}">${n}</td></tr>`).join("")}</table>
${failures.length === 0 ? "" : `<h2>Failures by error</h2><table>${failures.map(([name, n]) => `<tr><th>${escapeHtml(name)}</th><td class="n" data-failure="${escapeHtml(name)}">${n}</td></tr>`).join("")}</table>`}
<h2>Time from submission to end</h2>
${durationSummary(s.duration.buckets, s.duration.sumMs)}
<h2>Look up a task</h2>
<form method="get" action="/dashboard"><input name="task" size="40" placeholder="task id" value="${escapeHtml(v.lookup?.taskId ?? "")}"> <button type="submit">Look up</button></form>
${v.lookup === undefined ? "" : lookupSection(v.lookup)}
<h2>Functions (${v.functionCount})</h2>
${functionTable(v.functions, v.functionCount)}`;
  return page("bunfaas dashboard", body, { refreshS: v.refreshS, refreshUrl: `/dashboard${taskQuery}` });
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
  return `<table><tr><th>Task</th><td>${escapeHtml(l.taskId)}</td></tr><tr><th>Status</th><td data-lookup="status">${l.status}</td></tr></table>
${result}`;
}

function functionTable(fns: readonly FunctionRecord[], total: number): string {
  if (fns.length === 0) return `<p class="muted">No functions registered.</p>`;
  const rows = fns.map(
    (f) =>
      `<tr data-function="${escapeHtml(f.id)}"><td>${escapeHtml(f.name)}</td><td><code>${escapeHtml(f.id)}</code></td><td class="n">${f.timeoutMs}</td><td class="n">${f.maxAttempts}</td><td>${new Date(f.createdAt).toISOString()}</td></tr>`,
  );
  const more = total > fns.length ? `<p class="muted">Showing the newest ${fns.length} of ${total}.</p>` : "";
  return `<table><tr><th>Name</th><th>Id</th><th>timeout_ms</th><th>max_attempts</th><th>Created</th></tr>${rows.join("")}</table>${more}`;
}

/** JSON text indented when it parses, cut at MAX_RESULT_CHARS. */
function pretty(text: string): string {
  let out = text;
  try {
    out = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // not JSON: show as stored
  }
  return out.length > MAX_RESULT_CHARS ? `${out.slice(0, MAX_RESULT_CHARS)}\n... (${out.length - MAX_RESULT_CHARS} more characters)` : out;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(3))} s` : `${Number(ms.toFixed(3))} ms`;
}

function page(title: string, body: string, refresh?: { refreshS: number; refreshUrl: string }): string {
  const data = refresh === undefined ? "" : ` data-refresh-s="${refresh.refreshS}" data-refresh-url="${escapeHtml(refresh.refreshUrl)}"`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body${data}>
${body}
${refresh === undefined ? "" : `<script>${SCRIPT}</script>`}
</body></html>
`;
}

function hash(text: string): string {
  return `sha256-${Bun.CryptoHasher.hash("sha256", text, "base64")}`;
}
