/**
 * The dashboard's page of one task (GET /dashboard/tasks/{id}): function, arguments, result, or the
 * error with its stack as preformatted text, every attempt with where it ran, the timestamps, links to
 * the task it re-runs or that re-ran it, and its actions: cancel (QUEUED or RUNNING), retry (FAILED or
 * CANCELLED, not run again yet) as forms that carry the form token, and a button that copies the id.
 * While the task runs, the dashboard's script watches GET /tasks/{id} and reloads the page once it ends.
 *
 * @example
 * htmlReply(renderTaskPage({ task, functionName: "add", token, version: "0.1.0" }));
 */
import { retriable } from "../../../domain/task-retries.ts";
import { isTerminal, type Task } from "../../../domain/task.ts";
import { taskError } from "../operations-routes.ts";
import { escapeHtml, page, pretty } from "./page.ts";

export interface TaskPageView {
  readonly task: Task;
  readonly functionName: string;
  readonly token: string;
  readonly version: string;
  readonly notice?: string;
  readonly pollMs?: number;
}

function time(ms: number | undefined): string {
  return ms === undefined ? `<span class="muted">-</span>` : `<time datetime="${new Date(ms).toISOString()}">${new Date(ms).toISOString().replace("T", " ").slice(0, 23)}</time>`;
}

function taskLink(id: string): string {
  return `<a href="/dashboard/tasks/${encodeURIComponent(id)}"><code>${escapeHtml(id)}</code></a>`;
}

function action(task: Task, name: "retry" | "cancel", label: string, token: string): string {
  return `<form method="post" action="/dashboard/tasks/${encodeURIComponent(task.id)}/${name}" class="inline"><input type="hidden" name="token" value="${escapeHtml(token)}"><button type="submit" data-action="${name}">${label}</button></form>`;
}

/** The page of one task. */
export function renderTaskPage(v: TaskPageView): string {
  const t = v.task;
  const attempts = t.attempts ?? [];
  const error = taskError(t);
  const outcome =
    error !== null
      ? `<h2>Error</h2><p class="err"><strong data-error-name>${escapeHtml(error.name)}</strong>: <span data-error-message>${escapeHtml(error.message)}</span></p><pre data-stack>${escapeHtml(error.stack || "(no stack)")}</pre>`
      : t.status === "COMPLETED"
        ? `<h2>Result</h2><pre data-result>${escapeHtml(pretty(t.result ?? "null"))}</pre>`
        : "";
  const actions = [
    isTerminal(t.status) ? "" : action(t, "cancel", "Cancel", v.token),
    retriable(t) ? action(t, "retry", "Retry", v.token) : "",
    `<button type="button" data-copy="${escapeHtml(t.id)}">Copy id</button>`,
  ].join(" ");
  const rows: Array<[string, string]> = [
    ["Task", `<code data-task-id>${escapeHtml(t.id)}</code>`],
    ["Status", `<span class="status ${t.status}" data-status>${t.status}</span>`],
    ["Function", `${escapeHtml(v.functionName || "(gone)")} <a href="/dashboard?function=${encodeURIComponent(t.functionId)}#tasks"><code>${escapeHtml(t.functionId)}</code></a>`],
    ["Tenant", escapeHtml(t.tenant)],
    ["Attempts", `${t.attempt} of at most ${t.maxAttempts}`],
    ["Deadline", `${t.timeoutMs} ms`],
    ["Priority", String(t.priority)],
    ["Created", time(t.createdAt)],
    ["Started", time(attempts[0]?.startedAt)],
    ["Finished", isTerminal(t.status) ? time(t.updatedAt) : time(undefined)],
    ...(t.retryOf === undefined ? [] : [["Runs again", taskLink(t.retryOf)] as [string, string]]),
    ...(t.retriedAs === undefined ? [] : [["Run again as", `<span data-retried-as>${taskLink(t.retriedAs)}</span>`] as [string, string]]),
  ];
  const attemptRows = attempts.map(
    (a) => `<tr data-attempt="${a.attempt}"><td class="n">${a.attempt}</td><td>${time(a.startedAt)}</td><td>${time(a.endedAt)}</td><td>${a.outcome ?? (t.status === "RUNNING" && a.attempt === t.attempt ? "running" : "-")}</td><td>${escapeHtml(a.ranOn ?? "")}</td></tr>`,
  );
  const notice = v.notice === undefined ? "" : `<p class="notice" data-notice>${escapeHtml(v.notice)}</p>`;
  const body = `<header><h1><a href="/dashboard">bunfaas dashboard</a> &rsaquo; task <span class="muted">v${escapeHtml(v.version)}</span></h1></header>
${notice}
<p class="actions">${actions}</p>
<table class="detail">${rows.map(([k, val]) => `<tr><th>${k}</th><td>${val}</td></tr>`).join("")}</table>
<h2>Arguments</h2><pre data-payload>${escapeHtml(pretty(t.args))}</pre>
${outcome}
<h2>Attempts</h2>
${attempts.length === 0 ? `<p class="muted">Not handed to an executor yet.</p>` : `<table class="list"><thead><tr><th>#</th><th>Started</th><th>Ended</th><th>Outcome</th><th>Ran on</th></tr></thead><tbody>${attemptRows.join("")}</tbody></table>`}`;
  return page(`bunfaas task ${t.id}`, body, { pollMs: v.pollMs ?? 2000, taskId: t.id, taskStatus: t.status, token: v.token });
}
