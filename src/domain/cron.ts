/**
 * Cron expressions in UTC: five fields (minute, hour, day of month, month, day of week), each `*`, a
 * number, a range `a-b`, a list `a,b,c`, or a step `*\/n` / `a-b/n`. Day of week 0-6 (0 and 7 are
 * Sunday). As in Vixie cron, when both day fields are restricted (neither starts with `*`) a day
 * matches either; otherwise it must match both. An expression whose day never comes (`0 0 30 2 *`)
 * is refused.
 *
 * @example
 * const c = parseCron("*\/15 9-17 * * 1-5");      // every 15 minutes, 9:00-17:45, Monday to Friday
 * nextCronTime(c.value, utcInstant(2026, 1, 5, 9, 7)) // utcInstant(2026, 1, 5, 9, 15)
 */
import { invalid, type DomainError } from "./errors.ts";
import { err, ok, type Result } from "./result.ts";
import { utcFields, utcInstant, type UtcFields } from "./utc-calendar.ts";

export interface Cron {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
  readonly daysRestricted: boolean;
  readonly weekdaysRestricted: boolean;
}

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day of week", min: 0, max: 7 },
] as const;

export function parseCron(text: string): Result<Cron, DomainError> {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 5) return err(invalid(`cron must have 5 fields (minute hour day-of-month month day-of-week), got ${parts.length} in "${text}"`, { name: "cron" }));
  const sets: Set<number>[] = [];
  for (let i = 0; i < 5; i++) {
    const f = FIELDS[i] as (typeof FIELDS)[number];
    const set = parseField(parts[i] as string, f.min, f.max);
    if (typeof set === "string") return err(invalid(`cron ${f.name} field "${parts[i]}": ${set}`, { name: "cron" }));
    sets.push(set);
  }
  const weekdays = sets[4] as Set<number>;
  if (weekdays.delete(7)) weekdays.add(0);
  const c: Cron = {
    minutes: sets[0] as Set<number>,
    hours: sets[1] as Set<number>,
    days: sets[2] as Set<number>,
    months: sets[3] as Set<number>,
    weekdays,
    // As Vixie cron: a day field that starts with * (`*`, `*/2`) does not restrict the other one.
    daysRestricted: !(parts[2] as string).startsWith("*"),
    weekdaysRestricted: !(parts[4] as string).startsWith("*"),
  };
  if (c.daysRestricted && !c.weekdaysRestricted && !someDayExists(c)) {
    return err(invalid(`cron "${text}" never matches: no month it names has the day of month it names`, { name: "cron" }));
  }
  return ok(c);
}

/** Most days of each month (February's in a leap year). */
const MONTH_DAYS = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether a day of month of `c` falls in one of its months (in some year). */
function someDayExists(c: Cron): boolean {
  for (const m of c.months) for (const d of c.days) if (d <= (MONTH_DAYS[m] as number)) return true;
  return false;
}

function parseField(text: string, min: number, max: number): Set<number> | string {
  const out = new Set<number>();
  for (const item of text.split(",")) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (m === null) return `expected *, a number, a range a-b, a list or a step /n, got "${item}"`;
    const lo = m[1] === "*" ? min : Number(m[2]);
    const hi = m[1] === "*" ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : lo;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (lo < min || hi > max || lo > hi) return `values must be from ${min} to ${max}, got ${item}`;
    if (step < 1) return `a step must be at least 1, got ${item}`;
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** The first minute strictly after `after` (ms since the epoch, UTC) that the expression matches. */
export function nextCronTime(c: Cron, after: number): number {
  let t = Math.floor(after / 60_000) * 60_000 + 60_000;
  for (let i = 0; i < 366 * 24 * 60 * 5; i++) {
    const x = utcFields(t);
    if (!c.months.has(x.month)) {
      t = utcInstant(x.year, x.month + 1, 1);
      continue;
    }
    if (!dayMatches(c, x)) {
      t = utcInstant(x.year, x.month, x.day + 1);
      continue;
    }
    if (!c.hours.has(x.hour)) {
      t = utcInstant(x.year, x.month, x.day, x.hour + 1);
      continue;
    }
    if (c.minutes.has(x.minute)) return t;
    t += 60_000;
  }
  throw new Error("cron expression matches no time within five years");
}

function dayMatches(c: Cron, x: UtcFields): boolean {
  const dom = c.days.has(x.day);
  const dow = c.weekdays.has(x.weekday);
  if (c.daysRestricted && c.weekdaysRestricted) return dom || dow;
  return dom && dow;
}
