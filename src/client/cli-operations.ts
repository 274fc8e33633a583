/**
 * The operators' `faas` commands: `tasks` (a page of tasks, newest first, with filters), `task` (all
 * about one), `retry` (run a failed or cancelled task again) and `workers` (dispatchers and their
 * workers). Entries of the command table in cli-commands.ts; --json prints the API's documents.
 */
import { emit, intFlag, UsageError, type Command } from "./cli-command.ts";
import type { TaskDetail } from "./operations-types.ts";
import type { TaskStatus } from "./types.ts";

const STATUSES = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"];

/** A task's detail as lines of text. */
function describeTask(t: TaskDetail): string {
  const lines = [
    `task      ${t.taskId}`,
    `status    ${t.status}${t.retriedAs !== undefined ? ` (run again as ${t.retriedAs})` : ""}`,
    `function  ${t.functionName || "(gone)"} ${t.functionId}`,
    `args      ${JSON.stringify(t.args)}`,
    `attempts  ${t.attempt} of at most ${t.maxAttempts}`,
    `created   ${t.createdAt}`,
    `started   ${t.startedAt ?? "-"}`,
    `finished  ${t.finishedAt ?? "-"}`,
    ...(t.retryOf !== undefined ? [`runs again ${t.retryOf}`] : []),
    ...(t.status === "COMPLETED" ? [`result    ${JSON.stringify(t.result)}`] : []),
    ...(t.error !== null ? [`error     ${t.error.name}: ${t.error.message}`, ...t.error.stack.split("\n").map((l) => `  ${l}`)] : []),
    ...t.attempts.map((a) => `attempt ${a.attempt}: ${a.startedAt} -> ${a.endedAt ?? "running"} ${a.outcome ?? ""} ${a.ranOn ? `on ${a.ranOn}` : ""}`.trimEnd()),
  ];
  return lines.join("\n");
}

export const tasksCommand: Command = {
  summary: "list tasks newest first: id, status, function, created, finished, error (tab-separated)",
  flags: {
    status: { value: "S", help: `only this status (${STATUSES.join(", ")})` },
    function: { value: "ID", help: "only tasks of this function" },
    limit: { value: "N", help: "at most N tasks (1 to 1000, default 50)" },
    cursor: { value: "C", help: "the page after this cursor (printed on stderr when more are left)" },
  },
  details: "With --json: one task per line. When more tasks are left, stderr says how to get the next page.",
  run: async (ctx) => {
    const status = ctx.flags.status;
    if (status !== undefined && (typeof status !== "string" || !STATUSES.includes(status))) throw new UsageError(`--status must be one of ${STATUSES.join(", ")}, got "${String(status)}"`);
    const fn = ctx.flags.function;
    const cursor = ctx.flags.cursor;
    const page = await ctx.client.ops.tasks({
      ...(typeof status === "string" && { status: status as TaskStatus }),
      ...(typeof fn === "string" && { functionId: fn }),
      ...(intFlag(ctx, "limit") !== undefined && { limit: intFlag(ctx, "limit") }),
      ...(typeof cursor === "string" && { cursor }),
    });
    for (const t of page.tasks) {
      const doc = { task_id: t.taskId, function_id: t.functionId, function_name: t.functionName, status: t.status, attempt: t.attempt, created_at: t.createdAt, finished_at: t.finishedAt, error_name: t.errorName ?? null };
      emit(ctx, [t.taskId, t.status, t.functionName || t.functionId, t.createdAt, t.finishedAt ?? "-", t.errorName ?? ""].join("\t"), doc);
    }
    if (page.nextCursor !== null) ctx.io.err(`more: faas tasks --cursor ${page.nextCursor}${typeof status === "string" ? ` --status ${status}` : ""}${typeof fn === "string" ? ` --function ${fn}` : ""}\n`);
    return 0;
  },
};

export const taskCommand: Command = {
  summary: "print everything about one task: args, result or error with its stack, attempts and where they ran",
  args: ["task_id"],
  run: async (ctx) => {
    const t = await ctx.client.ops.task(ctx.args[0] as string);
    emit(ctx, describeTask(t), t);
    return 0;
  },
};

export const retryCommand: Command = {
  summary: "run a FAILED or CANCELLED task again; prints the new task's id",
  args: ["task_id"],
  details: "Exit 1 with NotRetriable (HTTP 409) when the task is in another status or was run again already.",
  run: async (ctx) => {
    const id = ctx.args[0] as string;
    const newId = await ctx.client.ops.retry(id);
    emit(ctx, newId, { task_id: newId, retry_of: id });
    return 0;
  },
};

export const workersCommand: Command = {
  summary: "list dispatchers and their workers: dispatcher, mode, host, worker or executors, in flight, done (tab-separated)",
  details: "With --json: one dispatcher per line, its workers inside.",
  run: async (ctx) => {
    for (const d of await ctx.client.ops.workers()) {
      const lines = d.workers.map((w) => [d.dispatcherId, d.mode, w.host, `worker ${w.workerId}`, `${w.inFlight}/${w.capacity}`, String(w.tasksDone)].join("\t"));
      if (d.executors !== null) lines.unshift([d.dispatcherId, d.mode, d.host, `${d.executors.live} ${d.executors.isolation} executors (max ${d.executors.max})`, String(d.inFlight), String(d.tasksDone)].join("\t"));
      if (lines.length === 0) lines.push([d.dispatcherId, d.mode, d.host, "no workers", String(d.inFlight), String(d.tasksDone)].join("\t"));
      emit(ctx, lines.join("\n"), d);
    }
    return 0;
  },
};
