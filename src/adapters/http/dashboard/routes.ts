/**
 * The dashboard as one module: GET /dashboard (the page, kept live by its script), GET /dashboard/live
 * (the figures the script polls: counts, per-second activity, functions), GET /dashboard/tasks/{id}
 * (one task), the script and style sheet (GET /dashboard/assets/...), the actions (actions.ts: retry,
 * cancel, retry all failed, as forms with a form token), its sign-in form POST /dashboard/login (only
 * when API keys are on) and the sessions they share (sessions.ts). The page shows the same report as
 * GET /metrics, the task lists of GET /tasks, the workers of GET /workers.
 *
 * Signing in: the form posts the key; a valid key gets a session cookie (HttpOnly, SameSite=Strict,
 * Secure over https, an opaque token, never the key) and a redirect to /dashboard. A valid `?key=` on
 * /dashboard also starts a session, answered with a redirect to the same page without the key, so it
 * does not stay in the address bar or the history. Failed sign-ins are limited per client address
 * (429 past the limit); POST /dashboard/logout ends the session. Without a session, /dashboard answers
 * with the sign-in form (401, or 403 for a wrong key).
 *
 * @example
 * const routes = dashboardRoutes({ functions, tasks, operations, metrics, version, keys, sessions, sessionTtlMs, signInLimit, tokens });
 */
import { dirname, join } from "node:path";
import type { FunctionService } from "../../../domain/function-service.ts";
import { activeTasks, failureRate } from "../../../domain/function-stats.ts";
import { quantileMs } from "../../../domain/activity.ts";
import { runningTasks } from "../../../domain/metrics.ts";
import type { OperationsService } from "../../../domain/operations-service.ts";
import type { TaskService } from "../../../domain/task-service.ts";
import { isTerminal } from "../../../domain/task.ts";
import type { ApiKeys } from "../auth.ts";
import { readLimited } from "../body.ts";
import { listQuery } from "../operations-routes.ts";
import type { MetricsReport } from "../prometheus.ts";
import { errorReply, json } from "../replies.ts";
import { route, type Route } from "../route.ts";
import * as S from "../schemas.ts";
import { dashboardActions, noticeText } from "./actions.ts";
import { subjectOf, type FormTokens } from "./form-tokens.ts";
import { htmlReply, loginPage, MAX_FUNCTIONS_SHOWN, messagePage, renderDashboard, type TaskLookup } from "./page.ts";
import { readCookie, SESSION_COOKIE, type Sessions } from "./sessions.ts";
import type { SignInLimit } from "./sign-in-limit.ts";
import { renderTaskPage } from "./task-page.ts";

export interface DashboardDeps {
  readonly functions: FunctionService;
  readonly tasks: TaskService;
  readonly operations: OperationsService;
  /** The report for a viewer (its tenant's tasks, or all for admin). */
  readonly metrics: (viewer: string) => Promise<MetricsReport>;
  readonly version: string;
  readonly keys: ApiKeys;
  readonly sessions: Sessions;
  readonly sessionTtlMs: number;
  readonly signInLimit: SignInLimit;
  readonly tokens: FormTokens;
  /** How often the page's script polls for new figures, in ms (default 2000). */
  readonly pollMs?: number;
}

/** Default lifetime of a dashboard session. */
export const DEFAULT_SESSION_TTL_MS = 12 * 3600 * 1000;
const MAX_LOGIN_BODY = 4096;
const MAX_TASK_ID = 200;
const HTML = { description: "HTML page", contentType: "text/html", schema: S.Text };
const ASSETS_DIR = join(dirname(new URL(import.meta.url).pathname), "assets");
const ASSETS: Readonly<Record<string, string>> = { "app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8" };

export function dashboardRoutes(d: DashboardDeps): Route[] {
  const cookie = (scheme: string, token: string, maxAgeS = Math.floor(d.sessionTtlMs / 1000)): string => {
    const secure = scheme === "https" ? "; Secure" : "";
    return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`;
  };
  const denied = (status: 401 | 403): Response =>
    status === 401
      ? htmlReply(loginPage("Sign in with an API key."), 401, { "www-authenticate": "Bearer" })
      : htmlReply(loginPage("That key is not valid for this server."), 403);

  return [
    route({
      method: "GET",
      path: "/dashboard",
      access: "browser",
      operationId: "dashboard",
      tag: "dashboard",
      summary: "HTML dashboard, live without reloading: counts by state, throughput and latency charts, task lists by state and function with paging, workers, functions with counts, failure rate and p50; with API keys, a sign-in form until signed in",
      query: [
        { name: "status", description: "Task list: only this status", schema: { type: "string" } },
        { name: "function", description: "Task list: only this function", schema: { type: "string" } },
        { name: "cursor", description: "Task list: the page after this cursor", schema: { type: "string" } },
        { name: "task", description: "A task id to look up", schema: { type: "string" } },
        { name: "notice", description: "The outcome of an action to show (set by the actions' redirects)", schema: { type: "string" } },
      ],
      responses: { 200: HTML, 401: { ...HTML, description: "Not signed in: the sign-in form" }, 403: { ...HTML, description: "Wrong key: the sign-in form" } },
      denied,
      handle: async ({ req, url, caller, scheme, keyInUrl }) => {
        if (keyInUrl) {
          // Signed in by ?key=: start a session and send the browser to the same page without the key.
          const clean = new URL(url);
          clean.searchParams.delete("key");
          const location = `${clean.pathname}${clean.search}`;
          return new Response(null, { status: 303, headers: { location, "set-cookie": cookie(scheme, d.sessions.create(caller.tenant)), "cache-control": "no-store", "referrer-policy": "no-referrer" } });
        }
        const taskId = url.searchParams.get("task")?.trim() ?? "";
        const forList = new URL(url);
        forList.searchParams.set("function_id", url.searchParams.get("function") ?? "");
        const filter = listQuery(forList);
        if (filter instanceof Response) return filter;
        const [report, functions, page, workers, lookup] = await Promise.all([
          d.metrics(caller.tenant),
          d.operations.functionActivity(caller.tenant, MAX_FUNCTIONS_SHOWN),
          d.operations.listTasks(caller.tenant, filter),
          d.operations.workers(),
          lookupTask(d.tasks, caller.tenant, taskId),
        ]);
        if (!page.ok) return errorReply(400, "InvalidRequest", `cursor: ${page.error.kind === "InvalidRequest" ? page.error.message : page.error.kind}`, "cursor");
        const notice = noticeText(url.searchParams.get("notice"));
        const view = {
          version: d.version,
          report,
          functions: functions.functions,
          functionCount: functions.total,
          tasks: page.value.tasks,
          filter: { ...(filter.status !== undefined && { status: filter.status }), ...(filter.functionId !== undefined && { functionId: filter.functionId }), ...(filter.cursor !== undefined && { cursor: filter.cursor }) },
          ...(page.value.next !== undefined && { nextCursor: page.value.next }),
          workers,
          token: d.tokens.issue(subjectOf(req, caller.tenant)),
          pollMs: d.pollMs ?? 2000,
          signOut: d.keys.size > 0,
          ...(notice !== undefined && { notice }),
          ...(lookup !== undefined && { lookup }),
        };
        return htmlReply(renderDashboard(view));
      },
    }),
    route({
      method: "GET",
      path: "/dashboard/live",
      access: "browser",
      operationId: "dashboardLive",
      tag: "dashboard",
      summary: "The figures the dashboard's script polls: counts by state, per-second activity of the last 15 minutes (finished tasks, p50/p95/p99), functions with their counters",
      responses: { 200: { description: "Live figures", schema: S.DashboardLive } },
      handle: async ({ caller }) => {
        const [report, activity, fns] = await Promise.all([d.metrics(caller.tenant), d.operations.activity(caller.tenant), d.operations.functionActivity(caller.tenant, MAX_FUNCTIONS_SHOWN)]);
        const s = report.stats;
        return json({
          counts: { queued: s.queued, running: runningTasks(s), completed: s.finished.COMPLETED, failed: s.finished.FAILED, cancelled: s.finished.CANCELLED, submitted: s.submitted, retries: s.retries },
          activity: { from: activity.fromSecond, completed: activity.completed, failed: activity.failed, cancelled: activity.cancelled, p50_ms: activity.p50, p95_ms: activity.p95, p99_ms: activity.p99 },
          functions: fns.functions.map(({ fn, counts: c }) => ({
            function_id: fn.id,
            name: fn.name,
            timeout_ms: fn.timeoutMs,
            max_attempts: fn.maxAttempts,
            created: new Date(fn.createdAt).toISOString(),
            submitted: c.submitted,
            active: activeTasks(c),
            completed: c.completed,
            failed: c.failed,
            cancelled: c.cancelled,
            failure_rate: failureRate(c),
            p50_ms: quantileMs(c.latency, 0.5) ?? null,
          })),
          function_count: fns.total,
        });
      },
    }),
    route({
      method: "GET",
      path: "/dashboard/tasks/{task_id}",
      access: "browser",
      operationId: "dashboardTask",
      tag: "dashboard",
      summary: "HTML page of one task: detail, error stack, attempts and where they ran, cancel / retry / copy id",
      query: [{ name: "notice", description: "The outcome of an action to show", schema: { type: "string" } }],
      responses: { 200: HTML, 401: { ...HTML, description: "Not signed in: the sign-in form" }, 403: { ...HTML, description: "Wrong key: the sign-in form" }, 404: { ...HTML, description: "Unknown or expired task" } },
      denied,
      handle: async ({ req, url, params, caller }) => {
        const id = params.task_id as string;
        const t = await d.operations.taskDetail(caller.tenant, id);
        if (!t.ok) return htmlReply(messagePage(`No task ${id.slice(0, 200)} (unknown, or expired after the retention period).`), 404);
        const notice = noticeText(url.searchParams.get("notice"));
        return htmlReply(renderTaskPage({ ...t.value, token: d.tokens.issue(subjectOf(req, caller.tenant)), version: d.version, pollMs: d.pollMs ?? 2000, ...(notice !== undefined && { notice }) }));
      },
    }),
    route({
      method: "GET",
      path: "/dashboard/assets/{asset}",
      access: "open",
      operationId: "dashboardAsset",
      tag: "dashboard",
      summary: "The dashboard's script and style sheet (served by this server; nothing comes from elsewhere)",
      responses: { 200: { description: "A file of the page" }, 404: { description: "Not one of the page's files", schema: S.ErrorReply } },
      handle: async ({ params }) => {
        const name = params.asset as string;
        const type = ASSETS[name];
        if (type === undefined) return errorReply(404, "NotFound", `The dashboard serves ${Object.keys(ASSETS).join(", ")}; got "${name.slice(0, 80)}"`);
        return new Response(Bun.file(join(ASSETS_DIR, name)), { headers: { "content-type": type, "x-content-type-options": "nosniff", "cache-control": "no-cache" } });
      },
    }),
    ...dashboardActions({ operations: d.operations, tasks: d.tasks, tokens: d.tokens, denied }),
    route({
      method: "POST",
      path: "/dashboard/login",
      access: "open",
      onlyWithKeys: true,
      operationId: "dashboardLogin",
      tag: "dashboard",
      summary: "Sign in to the dashboard with an API key (form field key); sets an HttpOnly session cookie (only when API keys are on)",
      formBody: { contentType: "application/x-www-form-urlencoded", schema: { type: "object", properties: { key: { type: "string" } }, required: ["key"] } },
      responses: {
        303: { description: "Signed in: Set-Cookie faas_session, Location /dashboard" },
        401: { ...HTML, description: "No key: the form again" },
        403: { ...HTML, description: "Wrong key: the form again" },
        413: { description: "Form over 4 KiB", schema: S.ErrorReply },
        429: { description: "Too many failed sign-ins from this address (Retry-After)", schema: S.ErrorReply },
      },
      handle: async ({ req, clientIp, scheme }) => {
        const wait = d.signInLimit.blockedFor(clientIp);
        if (wait > 0) {
          const s = Math.ceil(wait / 1000);
          return errorReply(429, "TooManySignIns", `Too many failed sign-ins from this address; try again in ${s} s`, undefined, { "retry-after": String(s) });
        }
        const read = await readLimited(req, MAX_LOGIN_BODY);
        if (!read.ok) return errorReply(413, "PayloadTooLarge", `A sign-in form must be at most ${MAX_LOGIN_BODY} bytes, got ${read.size} or more`);
        const key = new URLSearchParams(new TextDecoder().decode(read.bytes)).get("key") ?? "";
        const tenant = key === "" ? undefined : d.keys.tenantOf(key);
        if (tenant === undefined) {
          d.signInLimit.failed(clientIp);
          return denied(key === "" ? 401 : 403);
        }
        return new Response(null, { status: 303, headers: { location: "/dashboard", "set-cookie": cookie(scheme, d.sessions.create(tenant)), "cache-control": "no-store" } });
      },
    }),
    route({
      method: "POST",
      path: "/dashboard/logout",
      access: "open",
      onlyWithKeys: true,
      operationId: "dashboardLogout",
      tag: "dashboard",
      summary: "Sign out of the dashboard: ends the session and clears its cookie",
      responses: { 303: { description: "Signed out: the cookie cleared, Location /dashboard" } },
      handle: async ({ req, scheme }) => {
        const token = readCookie(req.headers.get("cookie"), SESSION_COOKIE);
        if (token !== undefined && token !== "") d.sessions.end(token);
        return new Response(null, { status: 303, headers: { location: "/dashboard", "set-cookie": cookie(scheme, "", 0), "cache-control": "no-store" } });
      },
    }),
  ];
}

async function lookupTask(tasks: TaskService, viewer: string, taskId: string): Promise<TaskLookup | undefined> {
  if (taskId === "") return undefined;
  if (taskId.length > MAX_TASK_ID) return { taskId: taskId.slice(0, MAX_TASK_ID), found: false, message: `A task id has at most ${MAX_TASK_ID} characters, got ${taskId.length}` };
  const t = await tasks.task(viewer, taskId);
  if (!t.ok) return { taskId, found: false, message: `No task ${taskId} (unknown, or expired after the retention period)` };
  return { taskId, found: true, status: t.value.status, result: isTerminal(t.value.status) ? t.value.result : null };
}
