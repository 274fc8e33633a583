/** The SDK's side of schedules: the options of `createSchedule`, and the wire shapes read and sent. */
import { parseResult, serializeArgs } from "./serialize.ts";

/** When a schedule fires: a cron expression in UTC, or a period in ms (at least 1000); exactly one. */
export type ScheduleTiming = { cron: string; everyMs?: undefined } | { everyMs: number; cron?: undefined };

/** Options of `createSchedule` besides its timing. */
export interface ScheduleTaskOptions {
  /** Priority of each tick's task, 0-9 (default 5). */
  priority?: number;
  /** Deadline of each tick's task in ms (the function's otherwise). */
  timeoutMs?: number;
}

/** A schedule as the server reports it. */
export interface ScheduleInfo {
  readonly scheduleId: string;
  readonly functionId: string;
  readonly cron?: string;
  readonly everyMs?: number;
  /** The arguments each tick's task gets, parsed. */
  readonly args: unknown[];
  readonly priority?: number;
  readonly timeoutMs?: number;
  readonly paused: boolean;
  /** RFC 3339 (UTC) of the next tick; null while paused. */
  readonly nextRunAt: string | null;
  readonly created: string;
  /** The last tick that made a task, and that task's id. */
  readonly lastRunAt?: string;
  readonly lastTaskId?: string;
}

export interface WireSchedule {
  schedule_id: string;
  function_id: string;
  cron?: string;
  every_ms?: number;
  payload: string;
  priority?: number;
  timeout_ms?: number;
  paused: boolean;
  next_run_at: string | null;
  created: string;
  last_run_at?: string;
  last_task_id?: string;
}

/** The body of POST /schedules; throws a TypeError (nothing sent) for args that are not a JSON array or a timing that is not exactly one of cron and everyMs. */
export function scheduleBody(functionId: string, args: unknown[], o: ScheduleTiming & ScheduleTaskOptions): Record<string, unknown> {
  if ((o.cron === undefined) === (o.everyMs === undefined)) throw new TypeError("createSchedule needs exactly one of cron and everyMs");
  return {
    function_id: functionId,
    payload: serializeArgs(args),
    ...(o.cron !== undefined && { cron: o.cron }),
    ...(o.everyMs !== undefined && { every_ms: o.everyMs }),
    ...(o.priority !== undefined && { priority: o.priority }),
    ...(o.timeoutMs !== undefined && { timeout_ms: o.timeoutMs }),
  };
}

export function toScheduleInfo(w: WireSchedule): ScheduleInfo {
  return {
    scheduleId: w.schedule_id,
    functionId: w.function_id,
    ...(w.cron !== undefined && { cron: w.cron }),
    ...(w.every_ms !== undefined && { everyMs: w.every_ms }),
    args: parseResult(w.payload) as unknown[],
    ...(w.priority !== undefined && { priority: w.priority }),
    ...(w.timeout_ms !== undefined && { timeoutMs: w.timeout_ms }),
    paused: w.paused,
    nextRunAt: w.next_run_at,
    created: w.created,
    ...(w.last_run_at !== undefined && { lastRunAt: w.last_run_at }),
    ...(w.last_task_id !== undefined && { lastTaskId: w.last_task_id }),
  };
}
