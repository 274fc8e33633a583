/** UTC calendar arithmetic against the platform's Date (tests may read it; the domain may not). */
import { describe, expect, test } from "bun:test";
import { civilFromDays, daysFromCivil, utcFields, utcInstant } from "../../src/domain/utc-calendar.ts";

/** A deterministic spread of instants from 1600 to 2400 (a linear congruential sequence, no Math.random). */
function instants(n: number): number[] {
  const out: number[] = [];
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out.push(Date.UTC(1600, 0, 1) + Math.floor((x / 2 ** 31) * (Date.UTC(2400, 0, 1) - Date.UTC(1600, 0, 1))));
  }
  return out;
}

describe("utcFields", () => {
  test("the epoch is Thursday 1970-01-01 00:00", () => {
    expect(utcFields(0)).toEqual({ year: 1970, month: 1, day: 1, hour: 0, minute: 0, weekday: 4 });
  });

  test("agrees with Date's UTC fields on 2,000 instants from 1600 to 2400, before the epoch included", () => {
    for (const ms of instants(2000)) {
      const d = new Date(ms);
      const want = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), weekday: d.getUTCDay() };
      expect([ms, utcFields(ms)]).toEqual([ms, want]);
    }
  });

  test("the last millisecond of a day is still that day", () => {
    expect(utcFields(Date.UTC(2024, 1, 29, 23, 59, 59, 999))).toMatchObject({ year: 2024, month: 2, day: 29, hour: 23, minute: 59 });
    expect(utcFields(Date.UTC(1969, 11, 31, 23, 59, 59, 999))).toMatchObject({ year: 1969, month: 12, day: 31, hour: 23, minute: 59, weekday: 3 });
  });
});

describe("utcInstant", () => {
  test("agrees with Date.UTC, and rolls fields past their end over as Date.UTC does", () => {
    const cases: [number, number, number, number, number][] = [
      [2026, 1, 5, 9, 15],
      [2024, 2, 29, 0, 0],
      [2024, 12, 31, 23, 59],
      [2025, 13, 1, 0, 0], // month 13: January of the next year
      [2025, 2, 29, 0, 0], // not a leap year: March 1
      [2024, 2, 30, 0, 0], // leap year: March 1
      [2025, 1, 31, 24, 0], // hour 24: the next day
      [2025, 12, 32, 0, 0], // day 32 of December: January 1
      [1969, 12, 31, 23, 59],
    ];
    for (const [y, mo, d, h, mi] of cases) expect([y, mo, d, h, mi, utcInstant(y, mo, d, h, mi)]).toEqual([y, mo, d, h, mi, Date.UTC(y, mo - 1, d, h, mi)]);
  });

  test("round-trips with utcFields to the minute", () => {
    for (const ms of instants(500)) {
      const f = utcFields(ms);
      expect(utcInstant(f.year, f.month, f.day, f.hour, f.minute)).toBe(Math.floor(ms / 60_000) * 60_000);
    }
  });
});

describe("leap years (Gregorian: every 4th, not every 100th, but every 400th)", () => {
  const daysInFebruary = (year: number): number => daysFromCivil(year, 3, 1) - daysFromCivil(year, 2, 1);
  test("February has 29 days in 2024, 2000 and 2400, and 28 in 2025, 1900 and 2100", () => {
    expect([2024, 2000, 2400, 2025, 1900, 2100].map(daysInFebruary)).toEqual([29, 29, 29, 28, 28, 28]);
  });

  test("civilFromDays inverts daysFromCivil over every day from 1896 to 2104", () => {
    for (let days = daysFromCivil(1896, 1, 1); days <= daysFromCivil(2104, 12, 31); days++) {
      const c = civilFromDays(days);
      if (daysFromCivil(c.year, c.month, c.day) !== days) throw new Error(`day ${days} -> ${JSON.stringify(c)} -> ${daysFromCivil(c.year, c.month, c.day)}`);
    }
    expect(civilFromDays(daysFromCivil(2100, 2, 28) + 1)).toEqual({ year: 2100, month: 3, day: 1 });
    expect(civilFromDays(daysFromCivil(2000, 2, 28) + 1)).toEqual({ year: 2000, month: 2, day: 29 });
  });
});
