/** Which ticks fire after a gap, and where the next one is: never a burst. */
import { describe, expect, test } from "bun:test";
import { parseCron } from "../../src/domain/cron.ts";
import { checkScheduleInput, firstTick, type Timing } from "../../src/domain/schedule.ts";
import { lastTicks, nextTick, planTicks } from "../../src/domain/schedule-ticks.ts";

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 9, 0);
const every = (ms: number): Timing => ({ kind: "every", everyMs: ms });
const cron = (text: string): Timing => {
  const c = parseCron(text);
  if (!c.ok) throw new Error(text);
  return { kind: "cron", cron: c.value };
};
const rule = (catchUp: number) => ({ catchUp, onTimeMs: MIN });

describe("planTicks", () => {
  test("nothing fires before the next tick", () => {
    expect(planTicks(every(MIN), T0, T0 - 1, rule(1))).toEqual({ fire: [], nextAt: T0 });
  });

  test("a tick reached on time fires, whatever the catch-up, and the next is one period on", () => {
    for (const catchUp of [0, 1, 5]) {
      expect(planTicks(every(MIN), T0, T0, rule(catchUp))).toEqual({ fire: [T0], nextAt: T0 + MIN });
      expect(planTicks(every(MIN), T0, T0 + 500, rule(catchUp))).toEqual({ fire: [T0], nextAt: T0 + MIN });
    }
  });

  test("after an hour's gap: catch-up 1 fires one tick (the latest), 0 none, 3 the last three; the next is in the future", () => {
    const now = T0 + 60 * MIN + 2 * MIN + 5000; // every 5 min: 13 ticks due, the latest 2 min 5 s late
    const t = every(5 * MIN);
    const latest = T0 + 60 * MIN;
    expect(planTicks(t, T0, now, rule(1))).toEqual({ fire: [latest], nextAt: latest + 5 * MIN });
    expect(planTicks(t, T0, now, rule(0))).toEqual({ fire: [], nextAt: latest + 5 * MIN });
    expect(planTicks(t, T0, now, rule(3))).toEqual({ fire: [latest - 10 * MIN, latest - 5 * MIN, latest], nextAt: latest + 5 * MIN });
    expect(planTicks(t, T0, now, rule(100)).fire.length).toBe(13); // never more than were due
  });

  test("a latest tick still on time fires even with catch-up 0; the missed ones before it do not", () => {
    const now = T0 + 10 * MIN + 1000; // every minute, 11 due, the latest 1 s late
    expect(planTicks(every(MIN), T0, now, rule(0))).toEqual({ fire: [T0 + 10 * MIN], nextAt: T0 + 11 * MIN });
    expect(planTicks(every(MIN), T0, now, rule(1))).toEqual({ fire: [T0 + 10 * MIN], nextAt: T0 + 11 * MIN });
    expect(planTicks(every(MIN), T0, now, rule(2))).toEqual({ fire: [T0 + 9 * MIN, T0 + 10 * MIN], nextAt: T0 + 11 * MIN });
  });

  test("a period keeps its phase: ticks stay on nextAt + k * period", () => {
    const plan = planTicks(every(7000), T0 + 123, T0 + 123 + 7000 * 1000 + 6999, rule(1));
    expect(plan).toEqual({ fire: [T0 + 123 + 7000 * 1000], nextAt: T0 + 123 + 7000 * 1001 });
  });

  test("cron: the latest missed tick, found without walking the whole gap, and the next one after now", () => {
    const t = cron("0 9 * * 1-5"); // 9:00 on weekdays; T0 is Monday 9:00
    const now = Date.UTC(2026, 5, 3, 12, 0); // months later, a Wednesday noon
    expect(planTicks(t, T0, now, rule(1))).toEqual({ fire: [Date.UTC(2026, 5, 3, 9, 0)], nextAt: Date.UTC(2026, 5, 4, 9, 0) });
    expect(planTicks(t, T0, now, rule(3)).fire).toEqual([Date.UTC(2026, 5, 1, 9, 0), Date.UTC(2026, 5, 2, 9, 0), Date.UTC(2026, 5, 3, 9, 0)]);
    expect(planTicks(t, T0, now, rule(0))).toEqual({ fire: [], nextAt: Date.UTC(2026, 5, 4, 9, 0) });
    expect(planTicks(t, T0, T0 + 30_000, rule(0))).toEqual({ fire: [T0], nextAt: Date.UTC(2026, 0, 6, 9, 0) });
  });
});

describe("lastTicks and nextTick", () => {
  test("lastTicks stops at the first tick of the range and returns oldest first", () => {
    expect(lastTicks(every(1000), T0, T0 + 2500, 10)).toEqual([T0, T0 + 1000, T0 + 2000]);
    expect(lastTicks(cron("*/10 * * * *"), T0, T0 + 25 * MIN, 2)).toEqual([T0 + 10 * MIN, T0 + 20 * MIN]);
    expect(lastTicks(cron("0 0 1 1 *"), Date.UTC(2000, 0, 1), Date.UTC(2026, 6, 1), 2)).toEqual([Date.UTC(2025, 0, 1), Date.UTC(2026, 0, 1)]);
    expect(lastTicks(every(1000), T0, T0 - 1, 3)).toEqual([]);
  });

  test("nextTick is strictly after", () => {
    expect(nextTick(every(1000), T0, T0)).toBe(T0 + 1000);
    expect(nextTick(every(1000), T0, T0 + 999)).toBe(T0 + 1000);
    expect(nextTick(cron("*/5 * * * *"), T0, T0 + 5 * MIN)).toBe(T0 + 10 * MIN);
  });
});

describe("checkScheduleInput and firstTick", () => {
  test("exactly one of cron and every_ms; every_ms at least a second; arguments a JSON array; each refusal names its field", () => {
    const bad = (i: Parameters<typeof checkScheduleInput>[0]): unknown => {
      const r = checkScheduleInput(i);
      return r.ok ? "accepted" : r.error;
    };
    expect(bad({ functionId: "f", args: "[]" })).toMatchObject({ arg: { name: "cron" }, message: expect.stringContaining("got neither") });
    expect(bad({ functionId: "f", args: "[]", cron: "* * * * *", everyMs: 1000 })).toMatchObject({ arg: { name: "cron" }, message: "Give cron or an interval, not both" });
    expect(bad({ functionId: "f", args: "[]", everyMs: 999 })).toMatchObject({ arg: { name: "everyMs" }, message: expect.stringContaining("from 1000") });
    expect(bad({ functionId: "f", args: "[]", everyMs: 1500.5 })).toMatchObject({ arg: { name: "everyMs" } });
    expect(bad({ functionId: "f", args: "[]", cron: "61 * * * *" })).toMatchObject({ arg: { name: "cron" } });
    expect(bad({ functionId: "f", args: "{}", everyMs: 1000 })).toMatchObject({ arg: { name: "args" }, message: expect.stringContaining("JSON array") });
    expect(bad({ functionId: "f", args: "[]", everyMs: 1000, priority: 10 })).toMatchObject({ arg: { name: "priority" } });
    expect(bad({ functionId: "f", args: "[]", everyMs: 1000, timeoutMs: 0 })).toMatchObject({ arg: { name: "timeoutMs" } });
    expect(bad({ functionId: "f", args: "[1]", everyMs: 1000, priority: 9, timeoutMs: 5 })).toBe("accepted");
  });

  test("the first tick: one period after creation, or the cron's next minute", () => {
    expect(firstTick(every(5000), T0 + 1)).toBe(T0 + 5001);
    expect(firstTick(cron("0 * * * *"), T0 + 1)).toBe(T0 + 60 * MIN);
  });
});
