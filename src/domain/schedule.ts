/**
 * A recurring schedule: a function called with the same arguments on a cron expression (UTC) or every
 * N ms. Each tick becomes one task whose id is `<schedule id>@<tick ms>` (see `tickTaskId`), so a tick
 * stored twice is stored once. `nextAt` is the next tick to fire; the scheduler moves it forward with
 * a compare-and-set after firing (ScheduleStore.advance).
 *
 * @example
 * const spec = checkScheduleInput({ functionId: "f-1", cron: "*\/5 * * * *", args: "[1]" });
 * const first = firstTick(spec.value.timing, now); // the next multiple of 5 minutes after now
 */
import { checkArgs } from "./args.ts";
import { nextCronTime, parseCron, type Cron } from "./cron.ts";
import { invalid, type DomainError } from "./errors.ts";
import { checkTimeout } from "./function-service.ts";
import { err, ok, type Result } from "./result.ts";

export interface Schedule {
  readonly id: string;
  /** The tenant that created it: its function's, and its tasks'. */
  readonly tenant: string;
  readonly functionId: string;
  /** A cron expression (UTC); exactly one of `cron` and `everyMs` is set. */
  readonly cron?: string;
  /** A period in ms (at least MIN_EVERY_MS); ticks are `createdAt + k * everyMs`. */
  readonly everyMs?: number;
  /** JSON text of the argument array every tick's task gets. */
  readonly args: string;
  /** Priority of its tasks (0-9); the default (5) when absent. */
  readonly priority?: number;
  /** Deadline of its tasks' attempts; the function's when absent. */
  readonly timeoutMs?: number;
  readonly paused: boolean;
  /** The next tick to fire, ms since the epoch. */
  readonly nextAt: number;
  readonly createdAt: number;
  /** The last tick that produced a task (its task is `tickTaskId(id, lastFiredAt)`). */
  readonly lastFiredAt?: number;
}

/** When a schedule's ticks fall. */
export type Timing = { readonly kind: "cron"; readonly cron: Cron } | { readonly kind: "every"; readonly everyMs: number };

/** What a caller asks for when creating a schedule, unchecked. */
export interface ScheduleInput {
  readonly functionId: string;
  readonly cron?: string;
  readonly everyMs?: number;
  /** JSON text of the argument array. */
  readonly args: unknown;
  readonly priority?: number;
  readonly timeoutMs?: number;
}

/** The checked parts of a ScheduleInput. */
export interface CheckedSchedule {
  readonly timing: Timing;
  readonly cron?: string;
  readonly everyMs?: number;
  readonly args: string;
  readonly priority?: number;
  readonly timeoutMs?: number;
}

/** Shortest period: one second (a finer clock is a job for a loop inside the function). */
export const MIN_EVERY_MS = 1000;
/** Longest period: a year and a day. */
export const MAX_EVERY_MS = 366 * 24 * 3600 * 1000;

/** Checks a new schedule's input; the first bad field is named. */
export function checkScheduleInput(i: ScheduleInput): Result<CheckedSchedule, DomainError> {
  if (i.cron !== undefined && i.everyMs !== undefined) return err(invalid("Give cron or an interval, not both", { name: "cron" }));
  if (i.cron === undefined && i.everyMs === undefined) return err(invalid('Give cron (e.g. "*/5 * * * *", UTC) or an interval (at least 1000 ms), got neither', { name: "cron" }));
  let timing: Timing;
  if (i.cron !== undefined) {
    const c = parseCron(i.cron);
    if (!c.ok) return c;
    timing = { kind: "cron", cron: c.value };
  } else {
    const e = i.everyMs as number;
    if (!Number.isInteger(e) || e < MIN_EVERY_MS || e > MAX_EVERY_MS) return err(invalid(`The interval must be a whole number of ms from ${MIN_EVERY_MS} to ${MAX_EVERY_MS}, got ${e}`, { name: "everyMs" }));
    timing = { kind: "every", everyMs: e };
  }
  const args = checkArgs(i.args, { name: "args" });
  if (!args.ok) return args;
  if (i.priority !== undefined && (!Number.isInteger(i.priority) || i.priority < 0 || i.priority > 9)) {
    return err(invalid(`priority must be a whole number from 0 to 9 (9 most urgent), got ${i.priority}`, { name: "priority" }));
  }
  if (i.timeoutMs !== undefined) {
    const bad = checkTimeout(i.timeoutMs);
    if (bad !== undefined) return err(bad);
  }
  return ok({
    timing,
    ...(i.cron !== undefined && { cron: i.cron.trim() }),
    ...(i.everyMs !== undefined && { everyMs: i.everyMs }),
    args: args.value,
    ...(i.priority !== undefined && { priority: i.priority }),
    ...(i.timeoutMs !== undefined && { timeoutMs: i.timeoutMs }),
  });
}

/** The timing of a stored schedule (its cron text was checked when it was created). */
export function timingOf(s: Pick<Schedule, "cron" | "everyMs">): Timing {
  if (s.everyMs !== undefined) return { kind: "every", everyMs: s.everyMs };
  const c = parseCron(s.cron ?? "");
  if (!c.ok) throw new Error(`a stored schedule has a bad cron expression "${s.cron}"`);
  return { kind: "cron", cron: c.value };
}

/** The first tick of a schedule created at `now`. */
export function firstTick(t: Timing, now: number): number {
  return t.kind === "cron" ? nextCronTime(t.cron, now) : now + t.everyMs;
}

/** The id of the task of `scheduleId`'s tick at `tick` ms: the same for every scheduler, so stored once. */
export function tickTaskId(scheduleId: string, tick: number): string {
  return `${scheduleId}@${tick}`;
}
