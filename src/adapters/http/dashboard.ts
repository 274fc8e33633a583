/**
 * GET /dashboard: gathers what the page shows (the same metrics report as GET /metrics, the functions,
 * and the task named by `?task=`) and renders it with dashboard-page.ts.
 *
 * @example
 * const dashboard = dashboardRoute(service, { metrics, version: "0.1.0" });
 * const res = await dashboard(new URL("http://x/dashboard?task=abc"));
 */
import type { TaskService } from "../../domain/task-service.ts";
import { isTerminal } from "../../domain/task.ts";
import { htmlReply, MAX_FUNCTIONS_SHOWN, renderDashboard, type TaskLookup } from "./dashboard-page.ts";
import type { MetricsReport } from "./prometheus.ts";

export interface DashboardOptions {
  readonly metrics: () => Promise<MetricsReport>;
  readonly version: string;
  /** Seconds between automatic reloads (default 5). */
  readonly refreshS?: number;
}

const MAX_TASK_ID = 200;

/** Builds the route; it throws BackendUnavailableError like the other routes when the backend is down. */
export function dashboardRoute(service: TaskService, o: DashboardOptions): (url: URL) => Promise<Response> {
  return async (url) => {
    const taskId = url.searchParams.get("task")?.trim() ?? "";
    const [report, functions, lookup] = await Promise.all([o.metrics(), service.listFunctions(), lookupTask(service, taskId)]);
    const newest = functions.sort((a, b) => b.createdAt - a.createdAt).slice(0, MAX_FUNCTIONS_SHOWN);
    return htmlReply(
      renderDashboard({ version: o.version, report, functions: newest, functionCount: functions.length, refreshS: o.refreshS ?? 5, ...(lookup !== undefined && { lookup }) }),
    );
  };
}

async function lookupTask(service: TaskService, taskId: string): Promise<TaskLookup | undefined> {
  if (taskId === "") return undefined;
  if (taskId.length > MAX_TASK_ID) return { taskId: taskId.slice(0, MAX_TASK_ID), found: false, message: `A task id has at most ${MAX_TASK_ID} characters, got ${taskId.length}` };
  const t = await service.task(taskId);
  if (!t.ok) return { taskId, found: false, message: `No task ${taskId} (unknown, or expired after the retention period)` };
  return { taskId, found: true, status: t.value.status, result: isTerminal(t.value.status) ? t.value.result : null };
}
