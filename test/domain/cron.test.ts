/**
 * Cron expressions in UTC: what each field form parses to, the next matching minute (month ends, leap
 * years, steps, ranges, lists, days of the week, both day fields), and clear refusals.
 */
import { describe, expect, test } from "bun:test";
import { nextCronTime, parseCron, type Cron } from "../../src/domain/cron.ts";

function cron(text: string): Cron {
  const c = parseCron(text);
  if (!c.ok) throw new Error(`"${text}" should parse: ${JSON.stringify(c.error)}`);
  return c.value;
}

const at = (y: number, mo: number, d: number, h = 0, mi = 0): number => Date.UTC(y, mo - 1, d, h, mi);
const iso = (ms: number): string => new Date(ms).toISOString();
const next = (text: string, after: number): string => iso(nextCronTime(cron(text), after));

/** The reference: step minute by minute with Date until every field matches (Vixie's rule for the two day fields). */
function bruteNext(c: Cron, after: number, o: { domStar: boolean; dowStar: boolean }): number {
  for (let t = Math.floor(after / 60_000) * 60_000 + 60_000; ; t += 60_000) {
    const d = new Date(t);
    const dom = c.days.has(d.getUTCDate());
    const dow = c.weekdays.has(d.getUTCDay());
    const day = o.domStar || o.dowStar ? dom && dow : dom || dow;
    if (c.minutes.has(d.getUTCMinutes()) && c.hours.has(d.getUTCHours()) && c.months.has(d.getUTCMonth() + 1) && day) return t;
  }
}

describe("parseCron: field forms", () => {
  test("*, numbers, ranges, lists, steps on * and on ranges, and a start with a step", () => {
    const c = cron("*/15 9-17 1,15,31 1-12/3 1-5");
    expect([...c.minutes]).toEqual([0, 15, 30, 45]);
    expect([...c.hours]).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect([...c.days]).toEqual([1, 15, 31]);
    expect([...c.months]).toEqual([1, 4, 7, 10]);
    expect([...c.weekdays]).toEqual([1, 2, 3, 4, 5]);
    expect([...cron("5/20 * * * *").minutes]).toEqual([5, 25, 45]);
    expect([...cron("10-20/5,1,2 * * * *").minutes].sort((a, b) => a - b)).toEqual([1, 2, 10, 15, 20]);
    expect(cron("* * * * *").minutes.size).toBe(60);
  });

  test("day of week 7 is Sunday, as 0 is", () => {
    expect([...cron("0 0 * * 7").weekdays]).toEqual([0]);
    expect([...cron("0 0 * * 5-7").weekdays].sort()).toEqual([0, 5, 6]);
  });

  test("extra spaces and tabs between fields are fine", () => {
    expect(parseCron("  0\t12  *   * *  ").ok).toBe(true);
  });
});

describe("parseCron: refusals name the field and what was expected", () => {
  const refused = (text: string): string => {
    const c = parseCron(text);
    if (c.ok) throw new Error(`"${text}" should be refused`);
    expect(c.error).toMatchObject({ kind: "InvalidRequest", arg: { name: "cron" } });
    return (c.error as { message: string }).message;
  };

  test("the wrong number of fields", () => {
    expect(refused("* * * *")).toBe('cron must have 5 fields (minute hour day-of-month month day-of-week), got 4 in "* * * *"');
    expect(refused("0 * * * * *")).toContain("got 6");
    expect(refused("")).toContain("must have 5 fields");
  });

  test("values out of range, per field", () => {
    expect(refused("60 * * * *")).toBe("cron minute field \"60\": values must be from 0 to 59, got 60");
    expect(refused("* 24 * * *")).toContain("hour field \"24\": values must be from 0 to 23");
    expect(refused("* * 0 * *")).toContain("day of month field \"0\": values must be from 1 to 31");
    expect(refused("* * 32 * *")).toContain("day of month");
    expect(refused("* * * 13 *")).toContain("month field \"13\": values must be from 1 to 12");
    expect(refused("* * * * 8")).toContain("day of week field \"8\": values must be from 0 to 7");
  });

  test("backward ranges, zero steps, names and junk", () => {
    expect(refused("30-10 * * * *")).toContain("got 30-10");
    expect(refused("*/0 * * * *")).toContain("a step must be at least 1, got */0");
    expect(refused("* * * JAN *")).toContain('expected *, a number, a range a-b, a list or a step /n, got "JAN"');
    expect(refused("1,,2 * * * *")).toContain('got ""');
    expect(refused("-1 * * * *")).toContain("expected *");
    expect(refused("1.5 * * * *")).toContain("expected *");
  });

  test("a day that never comes (February 30, April 31) is refused rather than searched for forever", () => {
    expect(refused("0 0 30 2 *")).toContain("never matches");
    expect(refused("0 0 31 4,6,9,11 *")).toContain("never matches");
    expect(parseCron("0 0 29 2 *").ok).toBe(true); // leap days come
    expect(parseCron("0 0 30 2 1").ok).toBe(true); // both day fields: Mondays of February come
  });
});

describe("nextCronTime", () => {
  test("the first matching minute strictly after the given instant", () => {
    expect(next("* * * * *", at(2026, 1, 5, 10, 0) + 30_000)).toBe("2026-01-05T10:01:00.000Z");
    expect(next("* * * * *", at(2026, 1, 5, 10, 0))).toBe("2026-01-05T10:01:00.000Z");
    expect(next("*/15 * * * *", at(2026, 1, 5, 10, 7))).toBe("2026-01-05T10:15:00.000Z");
    expect(next("*/15 * * * *", at(2026, 1, 5, 10, 15))).toBe("2026-01-05T10:30:00.000Z");
    expect(next("*/15 * * * *", at(2026, 1, 5, 10, 50))).toBe("2026-01-05T11:00:00.000Z");
    expect(next("*/15 9-17 * * 1-5", at(2026, 1, 5, 9, 7))).toBe("2026-01-05T09:15:00.000Z"); // the module's example
  });

  test("hours, days, months and years roll over", () => {
    expect(next("30 9 * * *", at(2026, 1, 5, 9, 30))).toBe("2026-01-06T09:30:00.000Z");
    expect(next("0 0 * * *", at(2026, 12, 31, 23, 59))).toBe("2027-01-01T00:00:00.000Z");
    expect(next("0 0 1 1 *", at(2026, 1, 1, 0, 0))).toBe("2027-01-01T00:00:00.000Z");
    expect(next("59 23 31 12 *", at(2026, 6, 1))).toBe("2026-12-31T23:59:00.000Z");
  });

  test("month ends: the 31st skips the months without one", () => {
    expect(next("0 0 31 * *", at(2025, 1, 31))).toBe("2025-03-31T00:00:00.000Z");
    expect(next("0 0 31 * *", at(2025, 4, 1))).toBe("2025-05-31T00:00:00.000Z");
    expect(next("0 0 31 * *", at(2025, 7, 31))).toBe("2025-08-31T00:00:00.000Z");
    expect(next("0 0 30 * *", at(2025, 1, 30))).toBe("2025-03-30T00:00:00.000Z");
  });

  test("leap years: February 29 comes every 4 years, not in 2100, and in 2000", () => {
    expect(next("0 0 29 2 *", at(2025, 3, 1))).toBe("2028-02-29T00:00:00.000Z");
    expect(next("0 0 29 2 *", at(2096, 3, 1))).toBe("2104-02-29T00:00:00.000Z");
    expect(next("0 0 29 2 *", at(1999, 1, 1))).toBe("2000-02-29T00:00:00.000Z");
    expect(next("0 12 * 2 *", at(2024, 2, 28, 12, 0))).toBe("2024-02-29T12:00:00.000Z");
    expect(next("0 12 * 2 *", at(2025, 2, 28, 12, 0))).toBe("2026-02-01T12:00:00.000Z");
  });

  test("days of the week: 2026-01-05 is a Monday", () => {
    expect(next("0 12 * * 0", at(2026, 1, 5))).toBe("2026-01-11T12:00:00.000Z"); // Sunday
    expect(next("0 12 * * 7", at(2026, 1, 5))).toBe("2026-01-11T12:00:00.000Z"); // 7 is Sunday too
    expect(next("0 8 * * 1-5", at(2026, 1, 9, 9, 0))).toBe("2026-01-12T08:00:00.000Z"); // Friday after 8:00: Monday
    expect(next("0 8 * * 6,0", at(2026, 1, 5))).toBe("2026-01-10T08:00:00.000Z");
  });

  test("both day fields restricted: a day matching either fires (Vixie cron)", () => {
    expect(next("0 0 13 * 5", at(2026, 1, 5))).toBe("2026-01-09T00:00:00.000Z"); // Friday the 9th before the 13th
    expect(next("0 0 13 * 5", at(2026, 1, 12))).toBe("2026-01-13T00:00:00.000Z"); // Tuesday the 13th
  });

  test("a day field starting with * counts as unrestricted, even with a step (Vixie cron): both must match", () => {
    // */2 = odd days; with Monday: odd-numbered Mondays only, not every odd day and every Monday
    expect(next("0 0 */2 * 1", at(2026, 1, 5))).toBe("2026-01-19T00:00:00.000Z");
    expect(next("0 0 1 * */3", at(2026, 1, 5))).toBe("2026-02-01T00:00:00.000Z"); // the 1st on Sun, Wed or Sat: 2026-02-01 is a Sunday
  });

  test("agrees with a minute-by-minute search over many expressions and start instants", () => {
    const exprs = ["*/7 * * * *", "0 */5 * * *", "15 3 1-7 * 1", "0 0 1-3 2 *", "45 23 * * 5-7", "0,30 6-8 10-20 1,6,12 *", "5 4 */3 * *", "0 12 31 * *", "*/20 1 * 2 0"];
    let x = 7;
    for (const text of exprs) {
      const [, , dom, , dow] = text.split(" ") as string[];
      for (let i = 0; i < 12; i++) {
        x = (x * 48271) % 2147483647;
        const after = at(2023, 1, 1) + (x % (4 * 366 * 86_400)) * 1000;
        expect([text, iso(after), next(text, after)]).toEqual([text, iso(after), iso(bruteNext(cron(text), after, { domStar: dom!.startsWith("*"), dowStar: dow!.startsWith("*") }))]);
      }
    }
  });
});
