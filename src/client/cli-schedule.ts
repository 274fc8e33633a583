/**
 * `faas schedule create|list|get|pause|resume|delete`: recurring tasks, one entry of the command table
 * whose first argument is the action.
 */
import { emit, intFlag, jsonArray, UsageError, type Command, type CommandContext } from "./cli-command.ts";
import type { ScheduleInfo } from "./schedules.ts";

/** Each action: its arguments, and whether it takes the create flags. */
const ACTIONS: Readonly<Record<string, readonly string[]>> = {
  create: ["function_id", "json_args"],
  list: [],
  get: ["schedule_id"],
  pause: ["schedule_id"],
  resume: ["schedule_id"],
  delete: ["schedule_id"],
};
const CREATE_FLAGS = ["cron", "every-ms", "priority", "timeout-ms"];

/** A schedule as the CLI prints it with --json (the REST names; args parsed). */
function scheduleDoc(s: ScheduleInfo): Record<string, unknown> {
  return {
    schedule_id: s.scheduleId,
    function_id: s.functionId,
    ...(s.cron !== undefined && { cron: s.cron }),
    ...(s.everyMs !== undefined && { every_ms: s.everyMs }),
    args: s.args,
    ...(s.priority !== undefined && { priority: s.priority }),
    ...(s.timeoutMs !== undefined && { timeout_ms: s.timeoutMs }),
    paused: s.paused,
    next_run_at: s.nextRunAt,
    created: s.created,
    ...(s.lastRunAt !== undefined && { last_run_at: s.lastRunAt, last_task_id: s.lastTaskId }),
  };
}

function priorityFlag(ctx: CommandContext): number | undefined {
  const raw = ctx.flags.priority;
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== "string" || !/^\d$/.test(raw.trim()) || !Number.isInteger(n)) throw new UsageError(`--priority must be a whole number from 0 to 9, got "${String(raw)}"`);
  return n;
}

async function create(ctx: CommandContext, fid: string, json: string): Promise<number> {
  const args = jsonArray(json, "the args");
  const cron = ctx.flags.cron;
  const everyMs = intFlag(ctx, "every-ms");
  if ((typeof cron === "string") === (everyMs !== undefined)) throw new UsageError('schedule create needs exactly one of --cron EXPR (UTC, e.g. "*/5 * * * *") and --every-ms N');
  const priority = priorityFlag(ctx);
  const timeoutMs = intFlag(ctx, "timeout-ms");
  const timing = typeof cron === "string" ? { cron } : { everyMs: everyMs as number };
  const r = await ctx.client.createSchedule(fid, args, { ...timing, ...(priority !== undefined && { priority }), ...(timeoutMs !== undefined && { timeoutMs }) });
  emit(ctx, r.scheduleId, { schedule_id: r.scheduleId, next_run_at: r.nextRunAt });
  return 0;
}

export const scheduleCommand: Command = {
  summary: "recurring tasks: schedule create, list, get, pause, resume or delete",
  args: ["action"],
  rest: "arguments",
  flags: {
    cron: { value: "EXPR", help: 'create: fire on this cron expression, in UTC ("*/5 * * * *": every 5 minutes)' },
    "every-ms": { value: "N", help: "create: fire every N ms (at least 1000) instead" },
    priority: { value: "N", help: "create: priority of each tick's task, 0-9 (default 5)" },
    "timeout-ms": { value: "N", help: "create: deadline of each tick's task in ms (default: the function's)" },
  },
  details: [
    "  faas schedule create <function_id> <json_args> (--cron EXPR | --every-ms N)   prints the schedule id",
    "  faas schedule list                    id, function, cron or period, next run (or paused), tab-separated",
    "  faas schedule get <schedule_id>       the schedule as JSON, with its last tick's task id",
    "  faas schedule pause|resume|delete <schedule_id>",
    "Each tick makes one task, however many dispatchers run. With --json: one document, one per line for list.",
  ].join("\n"),
  run: async (ctx) => {
    const [action, ...rest] = ctx.args as [string, ...string[]];
    const want = ACTIONS[action];
    if (want === undefined) throw new UsageError(`unknown schedule action "${action}"; expected one of ${Object.keys(ACTIONS).join(", ")}`);
    if (rest.length !== want.length) throw new UsageError(`schedule ${action} takes ${want.length === 0 ? "no arguments" : want.map((a) => `<${a}>`).join(" ")}, got ${rest.length} argument(s)`);
    const stray = action === "create" ? undefined : CREATE_FLAGS.find((f) => ctx.flags[f] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray} is for schedule create, not schedule ${action}`);
    const id = rest[0] as string;
    switch (action) {
      case "create":
        return create(ctx, rest[0] as string, rest[1] as string);
      case "list":
        for (const s of await ctx.client.listSchedules()) {
          emit(ctx, [s.scheduleId, s.functionId, s.cron ?? `every ${s.everyMs} ms`, s.nextRunAt ?? "paused"].join("\t"), scheduleDoc(s));
        }
        return 0;
      case "get": {
        const doc = scheduleDoc(await ctx.client.getSchedule(id));
        emit(ctx, JSON.stringify(doc), doc);
        return 0;
      }
      case "pause":
      case "resume": {
        const s = action === "pause" ? await ctx.client.pauseSchedule(id) : await ctx.client.resumeSchedule(id);
        emit(ctx, `${id} ${s.paused ? "paused" : `next run ${s.nextRunAt}`}`, scheduleDoc(s));
        return 0;
      }
      default:
        await ctx.client.deleteSchedule(id);
        emit(ctx, `${id} deleted`, { schedule_id: id, deleted: true });
        return 0;
    }
  },
};
