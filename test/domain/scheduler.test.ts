/**
 * The Scheduler on a fake clock and the memory stores: ticks fire on time as one task each, two
 * schedulers racing still make one task per tick, a scheduler dying between the enqueue and the
 * compare-and-set leaves no duplicate, a scheduler that was down fires at most `catchUp` ticks, and
 * pause, resume and delete reach a running scheduler through ScheduleChanges (or its periodic re-read).
 */
import { describe, expect, test } from "bun:test";
import { MemoryChannel, MemoryFunctionStore, MemoryScheduleStore, MemoryTaskStore } from "../../src/adapters/memory/index.ts";
import type { FunctionRecord } from "../../src/domain/function-record.ts";
import type { Logger, ScheduleStore } from "../../src/domain/ports.ts";
import { tickTaskId, type Schedule, type ScheduleInput } from "../../src/domain/schedule.ts";
import { ScheduleService } from "../../src/domain/schedule-service.ts";
import { Scheduler, type SchedulerDeps } from "../../src/domain/scheduler.ts";
import { counterIds, FakeClock } from "../helpers/fake-clock.ts";

const T0 = Date.UTC(2026, 0, 5, 9, 0); // a minute boundary
const MIN = 60_000;
const F: FunctionRecord = { id: "f-1", tenant: "alice", name: "f", source: "(x) => x", code: "(x) => x", timeoutMs: 1000, maxAttempts: 2, retry: { maxRetries: 1, backoffMs: 10, factor: 2, maxBackoffMs: 100 }, createdAt: 0 };

class Log implements Logger {
  readonly entries: { level: string; fields: Record<string, unknown> }[] = [];
  log(level: string, _msg: string, fields: Record<string, unknown> = {}): void {
    this.entries.push({ level, fields });
  }
  count(event: string): number {
    return this.entries.filter((e) => e.fields.event === event).length;
  }
}

function setup() {
  const clock = new FakeClock(T0);
  const functions = new MemoryFunctionStore();
  void functions.save(F);
  const tasks = new MemoryTaskStore({ clock, retentionMs: 3_600_000 });
  const schedules = new MemoryScheduleStore();
  const changes = new MemoryChannel();
  const log = new Log();
  const service = new ScheduleService({ schedules, functions, changes, ids: counterIds("s"), clock });
  const running: Scheduler[] = [];
  const scheduler = (o: Partial<SchedulerDeps> = {}): Scheduler => {
    const s = new Scheduler({ schedules, tasks, functions, clock, logger: log, changes, maxQueue: 10_000, ...o });
    running.push(s);
    s.start();
    return s;
  };
  const settled = async (): Promise<void> => {
    for (const s of running) await s.settled();
  };
  /** Moves the clock, letting every scheduler finish what fell due. */
  const step = async (ms: number): Promise<void> => {
    await settled();
    clock.advance(ms);
    await settled();
  };
  const create = async (i: Partial<ScheduleInput>): Promise<Schedule> => {
    const r = await service.create("alice", { functionId: "f-1", args: "[7]", ...i });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    await settled();
    return r.value;
  };
  /** How many tasks were stored in all (a tick stored twice would count twice). */
  const submitted = async (): Promise<number> => (await tasks.snapshot()).submitted;
  const taskAt = (s: Schedule, tick: number) => tasks.get(tickTaskId(s.id, tick));
  return { clock, functions, tasks, schedules, changes, log, service, scheduler, settled, step, create, submitted, taskAt };
}

describe("Scheduler: firing", () => {
  test("each tick of every_ms fires on time as one task, built from the function and the schedule", async () => {
    const f = setup();
    const sch = f.scheduler();
    const s = await f.create({ everyMs: 5000, priority: 8, timeoutMs: 250 });
    await f.step(4999);
    expect(await f.submitted()).toBe(0);
    await f.step(1);
    const t = await f.taskAt(s, T0 + 5000);
    expect(t).toMatchObject({ status: "QUEUED", tenant: "alice", functionId: "f-1", args: "[7]", maxAttempts: 2, timeoutMs: 250, priority: 8, retry: F.retry, createdAt: T0 + 5000 });
    for (let i = 0; i < 3; i++) await f.step(5000);
    expect(await f.submitted()).toBe(4);
    for (const k of [1, 2, 3, 4]) expect((await f.taskAt(s, T0 + k * 5000))?.status).toBe("QUEUED");
    expect(await f.schedules.get(s.id)).toMatchObject({ nextAt: T0 + 25_000, lastFiredAt: T0 + 20_000 });
    expect(f.clock.pendingTimers()).toBe(2); // one timer to the next tick, one for the periodic re-read: no polling
    await sch.stop();
    expect(f.clock.pendingTimers()).toBe(0);
  });

  test("a cron schedule fires at its minutes (UTC); without a timeout or priority the function's deadline and priority 5", async () => {
    const f = setup();
    f.scheduler();
    f.clock.advance(30_000);
    const s = await f.create({ cron: "*/2 * * * *" });
    expect(s.nextAt).toBe(T0 + 2 * MIN);
    await f.step(2 * MIN - 30_001);
    expect(await f.submitted()).toBe(0);
    await f.step(1);
    expect(await f.taskAt(s, T0 + 2 * MIN)).toMatchObject({ timeoutMs: 1000, priority: 5 });
    await f.step(2 * MIN);
    expect(await f.submitted()).toBe(2);
  });

  test("two schedulers on one store make exactly one task per tick", async () => {
    const f = setup();
    f.scheduler();
    f.scheduler();
    const s = await f.create({ everyMs: 1000 });
    for (let i = 0; i < 10; i++) await f.step(1000);
    expect(await f.submitted()).toBe(10);
    for (let k = 1; k <= 10; k++) expect(await f.taskAt(s, T0 + k * 1000)).toBeDefined();
    expect((await f.schedules.get(s.id))?.nextAt).toBe(T0 + 11_000);
  });

  test("a scheduler that dies between storing a tick's task and moving the schedule on leaves no duplicate", async () => {
    const f = setup();
    const crashing: ScheduleStore = Object.assign(Object.create(f.schedules) as ScheduleStore, {
      advance: async () => {
        throw new Error("the process died here");
      },
    });
    const doomed = f.scheduler({ schedules: crashing });
    const s = await f.create({ everyMs: 5000 });
    await f.step(5000);
    expect(await f.submitted()).toBe(1); // the task is stored...
    expect((await f.schedules.get(s.id))?.nextAt).toBe(T0 + 5000); // ...the schedule did not move
    await doomed.stop();
    f.clock.advance(3000); // some time later another scheduler (another dispatcher, or this one restarted) takes over
    f.scheduler();
    await f.settled();
    expect(await f.submitted()).toBe(1); // the tick's task was there: nothing stored
    expect((await f.schedules.get(s.id))?.nextAt).toBe(T0 + 10_000);
    await f.step(2000);
    expect(await f.submitted()).toBe(2);
    expect(await f.taskAt(s, T0 + 10_000)).toBeDefined();
  });
});

describe("Scheduler: after downtime, no burst", () => {
  for (const [catchUp, fired] of [
    [1, 1],
    [0, 0],
    [3, 3],
  ] as const) {
    test(`catch-up ${catchUp}: ${fired} of the ticks missed in an hour fire at restart, then it goes on from the next tick`, async () => {
      const f = setup();
      const first = f.scheduler({ catchUp });
      const s = await f.create({ everyMs: 5 * MIN });
      await f.step(5 * MIN);
      expect(await f.submitted()).toBe(1);
      await first.stop(); // every dispatcher is down for an hour and two minutes: 12 ticks pass unfired
      f.clock.advance(62 * MIN);
      f.scheduler({ catchUp });
      await f.settled();
      expect(await f.submitted()).toBe(1 + fired);
      const latestMissed = T0 + 65 * MIN;
      if (fired > 0) expect(await f.taskAt(s, latestMissed)).toBeDefined(); // the most recent ones
      expect((await f.schedules.get(s.id))?.nextAt).toBe(T0 + 70 * MIN);
      await f.step(3 * MIN);
      expect(await f.submitted()).toBe(2 + fired);
      expect(await f.taskAt(s, T0 + 70 * MIN)).toBeDefined();
    });
  }

  test("a short period: an hour's gap fires one task, not 3,600", async () => {
    const f = setup();
    const first = f.scheduler();
    await f.create({ everyMs: 1000 });
    await f.step(1000);
    await first.stop();
    f.clock.advance(3_600_000);
    f.scheduler();
    await f.settled();
    expect(await f.submitted()).toBe(2);
    expect(f.log.count("schedule.ticks_skipped")).toBe(1);
  });

  test("a stalled event loop (timers late) fires the latest tick, not every one it slept through", async () => {
    const f = setup();
    f.scheduler();
    await f.create({ everyMs: 1000 });
    await f.settled();
    f.clock.stall(10_500);
    await f.settled();
    expect(await f.submitted()).toBe(1);
  });
});

describe("Scheduler: changes", () => {
  test("pause stops the ticks at once (no timer left to them), resume goes on from the next tick without the paused ones, delete ends them", async () => {
    const f = setup();
    const sch = f.scheduler();
    const s = await f.create({ everyMs: 1000 });
    await f.step(1000);
    expect(await f.submitted()).toBe(1);
    expect((await f.service.pause("alice", s.id)).ok).toBe(true);
    await f.settled();
    expect(f.clock.pendingTimers()).toBe(1); // only the periodic re-read
    await f.step(5000);
    expect(await f.submitted()).toBe(1);
    f.clock.advance(500);
    const resumed = await f.service.resume("alice", s.id);
    expect(resumed.ok && resumed.value.nextAt).toBe(T0 + 7000);
    await f.settled();
    expect(await f.submitted()).toBe(1); // the ticks that fell while paused are not caught up
    await f.step(500);
    expect(await f.submitted()).toBe(2);
    expect((await f.service.delete("alice", s.id)).ok).toBe(true);
    await f.settled();
    expect(sch.size()).toBe(0);
    await f.step(5000);
    expect(await f.submitted()).toBe(2);
  });

  test("a change announcement that was lost is caught by the periodic re-read", async () => {
    const f = setup();
    const deaf = new MemoryChannel(); // the scheduler listens elsewhere: it hears nothing
    const sch = f.scheduler({ changes: deaf, refreshMs: 10_000 });
    const s = await f.create({ everyMs: 5000 });
    await f.step(5000);
    expect(await f.submitted()).toBe(0); // it does not know the schedule yet
    await f.step(5000);
    expect(sch.size()).toBe(1);
    expect(await f.submitted()).toBe(1); // the re-read found it: the tick of that moment fired, the one missed before it did not (catch-up 1)
    expect(await f.taskAt(s, T0 + 10_000)).toBeDefined();
  });

  test("a tick whose task is refused (queue full) or whose function is gone is skipped and logged; the schedule goes on", async () => {
    const f = setup();
    f.scheduler({ maxQueue: 1 });
    const s = await f.create({ everyMs: 1000 });
    await f.step(1000);
    await f.step(1000); // the queue holds one task: this tick is refused
    expect(await f.submitted()).toBe(1);
    expect(f.log.count("schedule.tick_failed")).toBe(1);
    expect((await f.schedules.get(s.id))?.nextAt).toBe(T0 + 3000);
    await f.tasks.claim(1, new AbortController().signal); // room again
    await f.step(1000);
    expect(await f.taskAt(s, T0 + 3000)).toBeDefined();
  });

  test("a store that fails is tried again every second (logged once), without losing the tick", async () => {
    const f = setup();
    let failures = 3;
    const flaky: ScheduleStore = Object.assign(Object.create(f.schedules) as ScheduleStore, {
      list: async (tenant?: string) => {
        if (failures-- > 0) throw new Error("Redis unavailable");
        return f.schedules.list(tenant);
      },
    });
    const s = await f.create({ everyMs: 5000 });
    f.scheduler({ schedules: flaky, retryMs: 1000 });
    await f.settled();
    await f.step(1000);
    await f.step(1000);
    expect(f.log.count("schedule.store_failed")).toBe(1); // logged once for the outage, not at every retry
    await f.step(1000); // this retry reads them
    expect(f.log.count("schedule.store_recovered")).toBe(1);
    await f.step(2000);
    expect(await f.taskAt(s, T0 + 5000)).toBeDefined();
  });
});
