/**
 * The dashboard as one module: GET /dashboard (the page), its sign-in form POST /dashboard/login
 * (only when API keys are on) and the sessions they share (sessions.ts). The page shows the same
 * report as GET /metrics, the functions, and the task named by `?task=`.
 *
 * Signing in: the form posts the key; a valid key gets a session cookie (HttpOnly, SameSite=Strict,
 * Secure over https, an opaque token, never the key) and a redirect to /dashboard. A valid `?key=` on
 * /dashboard also starts a session, answered with a redirect to the same page without the key, so it
 * does not stay in the address bar or the history. Failed sign-ins are limited per client address
 * (429 past the limit); POST /dashboard/logout ends the session. Without a session, /dashboard answers
 * with the sign-in form (401, or 403 for a wrong key).
 *
 * @example
 * const routes = dashboardRoutes({ functions, tasks, metrics, version, keys, sessions, sessionTtlMs });
 */
import type { FunctionService } from "../../../domain/function-service.ts";
import type { TaskService } from "../../../domain/task-service.ts";
import { isTerminal } from "../../../domain/task.ts";
import type { ApiKeys } from "../auth.ts";
import { readLimited } from "../body.ts";
import type { MetricsReport } from "../prometheus.ts";
import { errorReply } from "../replies.ts";
import { route, type Route } from "../route.ts";
import * as S from "../schemas.ts";
import { htmlReply, loginPage, MAX_FUNCTIONS_SHOWN, renderDashboard, type TaskLookup } from "./page.ts";
import { readCookie, SESSION_COOKIE, type Sessions } from "./sessions.ts";
import type { SignInLimit } from "./sign-in-limit.ts";

export interface DashboardDeps {
  readonly functions: FunctionService;
  readonly tasks: TaskService;
  /** The report for a viewer (its tenant's tasks, or all for admin). */
  readonly metrics: (viewer: string) => Promise<MetricsReport>;
  readonly version: string;
  readonly keys: ApiKeys;
  readonly sessions: Sessions;
  readonly sessionTtlMs: number;
  readonly signInLimit: SignInLimit;
  /** Seconds between automatic reloads (default 5). */
  readonly refreshS?: number;
}

/** Default lifetime of a dashboard session. */
export const DEFAULT_SESSION_TTL_MS = 12 * 3600 * 1000;
const MAX_LOGIN_BODY = 4096;
const MAX_TASK_ID = 200;
const HTML = { description: "HTML page", contentType: "text/html", schema: S.Text };

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
      summary: "HTML dashboard: task counters, duration summary, functions, task lookup (?task=id); with API keys, a sign-in form until signed in",
      query: [{ name: "task", description: "A task id to look up", schema: { type: "string" } }],
      responses: { 200: HTML, 401: { ...HTML, description: "Not signed in: the sign-in form" }, 403: { ...HTML, description: "Wrong key: the sign-in form" } },
      denied,
      handle: async ({ url, caller, scheme, keyInUrl }) => {
        if (keyInUrl) {
          // Signed in by ?key=: start a session and send the browser to the same page without the key.
          const clean = new URL(url);
          clean.searchParams.delete("key");
          const location = `${clean.pathname}${clean.search}`;
          return new Response(null, { status: 303, headers: { location, "set-cookie": cookie(scheme, d.sessions.create(caller.tenant)), "cache-control": "no-store", "referrer-policy": "no-referrer" } });
        }
        const taskId = url.searchParams.get("task")?.trim() ?? "";
        const [report, functions, lookup] = await Promise.all([d.metrics(caller.tenant), d.functions.list(caller.tenant), lookupTask(d.tasks, caller.tenant, taskId)]);
        const newest = functions.sort((a, b) => b.createdAt - a.createdAt).slice(0, MAX_FUNCTIONS_SHOWN);
        const view = { version: d.version, report, functions: newest, functionCount: functions.length, refreshS: d.refreshS ?? 5, signOut: d.keys.size > 0, ...(lookup !== undefined && { lookup }) };
        return htmlReply(renderDashboard(view));
      },
    }),
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
