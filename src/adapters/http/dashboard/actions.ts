/**
 * The dashboard's actions, as HTML forms (POST, application/x-www-form-urlencoded) that carry the form
 * token of the viewer (form-tokens.ts): run a task again, cancel a task, run again every failed task of
 * a function. Each answers with a redirect (303) to the page that shows the outcome: the new task's
 * page after a retry, the task's page after a cancel, the task list after a bulk retry, with a short
 * notice named by a code (never text from the request). A missing or wrong token is refused with 403.
 *
 * @example
 * const routes = dashboardActions({ operations, tasks, tokens, denied });
 */
import type { DomainError } from "../../../domain/errors.ts";
import type { OperationsService } from "../../../domain/operations-service.ts";
import type { TaskService } from "../../../domain/task-service.ts";
import { readLimited } from "../body.ts";
import { errorReply } from "../replies.ts";
import { route, type Route } from "../route.ts";
import * as S from "../schemas.ts";
import { subjectOf, type FormTokens } from "./form-tokens.ts";
import { htmlReply, listUrl, messagePage } from "./page.ts";

export interface DashboardActionDeps {
  readonly operations: OperationsService;
  readonly tasks: TaskService;
  readonly tokens: FormTokens;
  /** The sign-in form for callers without a session. */
  readonly denied: (status: 401 | 403) => Response;
}

const MAX_FORM_BYTES = 4096;

/** The notices the pages show, by code. */
const NOTICES: Readonly<Record<string, string>> = {
  retried: "Queued again: this is the new task.",
  cancelled: "Cancelled.",
  NotRetriable: "Not run again: only a FAILED or CANCELLED task can be, once.",
  AlreadyTerminal: "Not cancelled: the task had already ended.",
  QueueFull: "Not queued: the queue is full; try again shortly.",
  UnknownFunction: "Not queued: the function is gone.",
  UnknownTask: "The task is unknown or expired.",
};

/** The text of a notice code (`retried-all-<n>` says how many), or undefined for any other text. */
export function noticeText(code: string | null): string | undefined {
  if (code === null) return undefined;
  const all = /^retried-all-(\d{1,6})(-more)?$/.exec(code);
  if (all !== null) return `Queued again: ${all[1]} failed task(s)${all[2] === undefined ? "" : "; more are left, press again"}.`;
  return NOTICES[code];
}

const FORM = { contentType: "application/x-www-form-urlencoded", schema: { type: "object", properties: { token: { type: "string" } }, required: ["token"] } };
const responses = {
  303: { description: "Done (or refused): Location is the page that shows the outcome" },
  401: { description: "Not signed in: the sign-in form", contentType: "text/html", schema: S.Text },
  403: { description: "A missing or wrong form token, or a wrong key", contentType: "text/html", schema: S.Text },
  413: { description: "Form over 4 KiB", schema: S.ErrorReply },
};

function see(location: string): Response {
  return new Response(null, { status: 303, headers: { location, "cache-control": "no-store" } });
}

function taskPage(id: string, notice: string): string {
  return `/dashboard/tasks/${encodeURIComponent(id)}?notice=${notice}`;
}

function code(e: DomainError): string {
  return e.kind;
}

/** Reads the form and checks its token: the fields, or the reply refusing it. */
async function readForm(req: Request, tokens: FormTokens, tenant: string): Promise<URLSearchParams | Response> {
  const read = await readLimited(req, MAX_FORM_BYTES);
  if (!read.ok) return errorReply(413, "PayloadTooLarge", `A dashboard form must be at most ${MAX_FORM_BYTES} bytes, got ${read.size} or more`);
  const form = new URLSearchParams(new TextDecoder().decode(read.bytes));
  if (!tokens.check(subjectOf(req, tenant), form.get("token"))) return htmlReply(messagePage("This form did not come from your dashboard page (its token is missing or wrong); reload the page and try again."), 403);
  return form;
}

/**
 * One form action: a POST from a signed-in browser whose form token is checked first; `act` does the
 * work and answers where to send the browser (303).
 */
function formAction(
  d: DashboardActionDeps,
  o: { path: string; operationId: string; summary: string; formBody?: { readonly contentType: string; readonly schema: object }; act: (form: URLSearchParams, params: Record<string, string>, tenant: string) => Promise<string> },
): Route {
  return route({
    method: "POST",
    path: o.path,
    access: "browser",
    operationId: o.operationId,
    tag: "dashboard",
    summary: o.summary,
    formBody: o.formBody ?? FORM,
    responses,
    denied: d.denied,
    handle: async ({ req, params, caller }) => {
      const form = await readForm(req, d.tokens, caller.tenant);
      if (form instanceof Response) return form;
      return see(await o.act(form, params as Record<string, string>, caller.tenant));
    },
  });
}

export function dashboardActions(d: DashboardActionDeps): Route[] {
  return [
    formAction(d, {
      path: "/dashboard/tasks/{task_id}/retry",
      operationId: "dashboardRetryTask",
      summary: "Form: run a FAILED or CANCELLED task again; 303 to the new task's page",
      act: async (_form, params, tenant) => {
        const id = params.task_id as string;
        const r = await d.operations.retry(tenant, id);
        return r.ok ? taskPage(r.value, "retried") : taskPage(id, code(r.error));
      },
    }),
    formAction(d, {
      path: "/dashboard/tasks/{task_id}/cancel",
      operationId: "dashboardCancelTask",
      summary: "Form: cancel a QUEUED or RUNNING task; 303 to its page",
      act: async (_form, params, tenant) => {
        const id = params.task_id as string;
        const r = await d.tasks.cancel(tenant, id);
        return taskPage(id, r.ok ? "cancelled" : code(r.error));
      },
    }),
    formAction(d, {
      path: "/dashboard/retry",
      operationId: "dashboardRetryAll",
      summary: "Form: run again every FAILED task of a function (fields status=FAILED, function_id); 303 to its task list",
      formBody: { ...FORM, schema: { type: "object", properties: { token: { type: "string" }, status: { type: "string" }, function_id: { type: "string" } }, required: ["token", "status"] } },
      act: async (form, _params, tenant) => {
        const status = form.get("status") === "CANCELLED" ? "CANCELLED" : "FAILED";
        const functionId = form.get("function_id") || undefined;
        const r = await d.operations.retryAll(tenant, { status, ...(functionId !== undefined && { functionId }) });
        const notice = r.ok ? `retried-all-${r.value.retried}${r.value.more ? "-more" : ""}` : code(r.error);
        const back = listUrl({ status, ...(functionId !== undefined && { functionId }) }).replace("#tasks", "");
        return `${back}${back.includes("?") ? "&" : "?"}notice=${notice}#tasks`;
      },
    }),
  ];
}
