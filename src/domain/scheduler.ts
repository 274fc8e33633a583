/**
 * Fires the ticks of recurring schedules: keeps every schedule in memory and one timer (`clock.after`)
 * to the earliest next tick, never a polling sleep. It re-reads a schedule when ScheduleChanges names
 * it, and every schedule every `refreshMs` (a lost announcement only delays).
 *
 * Exactly one task per tick, however many schedulers race (every Redis dispatcher runs one) and even
 * when one dies halfway: firing a tick re-reads the schedule, enqueues the tick's task under the id
 * `<schedule id>@<tick ms>` with `ifAbsent` (a second enqueue of that id stores nothing), and only then
 * moves the schedule's next tick with a compare-and-set (`advance`). A scheduler that dies between the
 * two leaves the tick due; the next one to fire it finds the task stored and just moves the tick on.
 * After a gap (every scheduler down, the store unreachable) at most `catchUp` ticks fire at once (see
 * schedule-ticks.ts): no burst.
 *
 * @example
 * const scheduler = new Scheduler({ schedules, tasks, functions, changes, clock, logger, maxQueue: 100_000 });
 * scheduler.start();
 * await scheduler.stop();
 */
import { every } from "./every.ts";
import type { Clock, EnqueueCaps, FunctionStore, Logger, ScheduleChanges, ScheduleStore, TaskStore } from "./ports.ts";
import { tickTaskId, timingOf, type Schedule } from "./schedule.ts";
import { planTicks } from "./schedule-ticks.ts";
import { newTask } from "./task.ts";
import { limitsOf, type LimitsTable } from "./tenant-limits.ts";
import { describeError } from "./errors.ts";

export interface SchedulerDeps {
  readonly schedules: ScheduleStore;
  readonly tasks: TaskStore;
  readonly functions: FunctionStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Ids of schedules that changed (created, paused, resumed, deleted), to re-read at once. */
  readonly changes?: ScheduleChanges;
  /** Queue length past which a tick's task is refused (the tick is skipped and logged). */
  readonly maxQueue: number;
  /** Quotas per tenant: a tick past its tenant's queued quota is skipped too. */
  readonly limits?: LimitsTable;
  /** Most ticks of one schedule fired at once after a gap (default 1; 0: only ticks reached on time). */
  readonly catchUp?: number;
  /** A tick at most this late is on time (default 60 s). */
  readonly onTimeMs?: number;
  /** Every schedule is re-read this often (default 10 s). */
  readonly refreshMs?: number;
  /** After a store error, try again this much later (default 1 s). */
  readonly retryMs?: number;
}

export const DEFAULT_CATCH_UP = 1;
/** The longest single timer: longer waits are re-armed (timers overflow past 2^31 ms). */
const MAX_TIMER_MS = 3_600_000;

export class Scheduler {
  private readonly known = new Map<string, Schedule>();
  private readonly changed = new Set<string>();
  private reloadAll = true;
  private loop: Promise<void> | undefined;
  private again = false;
  /** The last run failed (the store was unreachable): its failures are logged once per outage. */
  private failing = false;
  private stopped = true;
  private cancelTimer = (): void => {};
  private stopRefresh = (): void => {};
  private unsubscribe = (): void => {};

  constructor(private readonly d: SchedulerDeps) {}

  /** Reads every schedule, then fires their ticks as they fall due. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.reloadAll = true;
    this.unsubscribe = this.d.changes?.subscribe((ids) => this.heard(ids)) ?? (() => {});
    this.stopRefresh = every(this.d.clock, this.d.refreshMs ?? 10_000, () => {
      this.reloadAll = true;
      this.kick();
    });
    this.kick();
  }

  /** Stops firing; resolves once a firing in progress has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    this.stopRefresh();
    this.cancelTimer();
    await this.loop;
  }

  /** Resolves when the scheduler has nothing left to do right now (for tests on a fake clock). */
  async settled(): Promise<void> {
    while (this.loop !== undefined) await this.loop;
  }

  /** How many schedules it knows of (paused ones included). */
  size(): number {
    return this.known.size;
  }

  private heard(ids: readonly string[]): void {
    for (const id of ids) this.changed.add(id);
    this.kick();
  }

  /** Runs the loop unless it is running; then it goes round once more. */
  private kick(): void {
    if (this.stopped) return;
    if (this.loop !== undefined) {
      this.again = true;
      return;
    }
    this.loop = this.run().finally(() => {
      this.loop = undefined;
    });
  }

  private async run(): Promise<void> {
    let failed = false;
    do {
      this.again = false;
      try {
        await this.catchUpWithStore();
        await this.fireDue();
      } catch (e) {
        failed = true;
        // once per outage: a store that is down fails every retry the same way
        if (!this.failing) this.d.logger.log("warn", "schedules could not be read or fired; trying again every second", { event: "schedule.store_failed", error: String(e) });
      }
    } while (this.again && !this.stopped && !failed);
    if (this.failing && !failed) this.d.logger.log("info", "schedules can be read and fired again", { event: "schedule.store_recovered" });
    this.failing = failed;
    if (!this.stopped) this.arm(failed);
  }

  /** Applies what changed in the store: everything after a refresh, else the schedules announced. */
  private async catchUpWithStore(): Promise<void> {
    if (this.reloadAll) {
      this.reloadAll = false;
      this.changed.clear();
      try {
        const all = await this.d.schedules.list();
        this.known.clear();
        for (const s of all) this.known.set(s.id, s);
      } catch (e) {
        this.reloadAll = true;
        throw e;
      }
      return;
    }
    for (const id of [...this.changed]) {
      this.changed.delete(id);
      await this.reread(id).catch((e) => {
        this.changed.add(id);
        throw e;
      });
    }
  }

  private async reread(id: string): Promise<Schedule | undefined> {
    const s = await this.d.schedules.get(id);
    if (s === undefined) this.known.delete(id);
    else this.known.set(id, s);
    return s;
  }

  private async fireDue(): Promise<void> {
    for (const s of [...this.known.values()]) {
      if (this.stopped) return;
      if (!s.paused && s.nextAt <= this.d.clock.now()) await this.fire(s.id);
    }
  }

  /** Fires one schedule's due ticks: the task of each first (stored once), then the compare-and-set. */
  private async fire(id: string): Promise<void> {
    const s = await this.reread(id); // fresh: another scheduler may have fired it already
    const now = this.d.clock.now();
    if (s === undefined || s.paused || s.nextAt > now) return;
    const plan = planTicks(timingOf(s), s.nextAt, now, { catchUp: this.d.catchUp ?? DEFAULT_CATCH_UP, onTimeMs: this.d.onTimeMs ?? 60_000 });
    const skipped = countSkipped(s, plan.fire, plan.nextAt);
    if (skipped > 0) this.d.logger.log("info", "missed schedule ticks skipped", { event: "schedule.ticks_skipped", schedule: s.id, skipped, catchUp: this.d.catchUp ?? DEFAULT_CATCH_UP });
    let fired: number | undefined;
    const fn = plan.fire.length === 0 ? undefined : await this.d.functions.get(s.functionId);
    for (const tick of plan.fire) {
      if (fn === undefined) {
        this.d.logger.log("warn", "a schedule's function is gone; its tick is skipped", { event: "schedule.tick_failed", schedule: s.id, function: s.functionId, tick });
        continue;
      }
      const opts = { ...(s.priority !== undefined && { priority: s.priority }), ...(fn.retry !== undefined && { retry: fn.retry }) };
      const task = newTask(tickTaskId(s.id, tick), fn.id, s.args, fn.maxAttempts, s.timeoutMs ?? fn.timeoutMs, now, s.tenant, opts);
      const queued = await this.d.tasks.enqueue([task], this.capsFor(s.tenant));
      if (queued.ok) {
        fired = tick;
        this.d.logger.log("debug", "schedule tick fired", { event: "schedule.fired", schedule: s.id, task: task.id });
      } else {
        this.d.logger.log("warn", "a schedule tick's task was refused; the tick is skipped", { event: "schedule.tick_failed", schedule: s.id, tick, error: describeError(queued.error) });
      }
    }
    const moved = await this.d.schedules.advance(s.id, s.nextAt, plan.nextAt, fired);
    if (moved) this.known.set(s.id, { ...s, nextAt: plan.nextAt, ...(fired !== undefined && { lastFiredAt: fired }) });
    else await this.reread(s.id); // another scheduler moved it (or it was deleted)
  }

  private capsFor(tenant: string): EnqueueCaps {
    const mine = this.d.limits === undefined ? undefined : limitsOf(this.d.limits, tenant).maxQueued;
    return { maxQueue: this.d.maxQueue, ifAbsent: true, ...(mine !== undefined && { tenantMaxQueued: mine }) };
  }

  /** One timer, to the earliest next tick of a running schedule (or a retry after a store error). */
  private arm(failed: boolean): void {
    this.cancelTimer();
    let at = Number.POSITIVE_INFINITY;
    for (const s of this.known.values()) if (!s.paused && s.nextAt < at) at = s.nextAt;
    if (!failed && at === Number.POSITIVE_INFINITY) {
      this.cancelTimer = () => {}; // nothing to fire: a change or the re-read wakes it
      return;
    }
    const wait = failed ? (this.d.retryMs ?? 1000) : Math.max(0, Math.min(at - this.d.clock.now(), MAX_TIMER_MS));
    this.cancelTimer = this.d.clock.after(wait, () => this.kick());
  }
}

/** How many ticks from `s.nextAt` up to (not including) `nextAt` do not fire. */
function countSkipped(s: Schedule, fire: readonly number[], nextAt: number): number {
  if (s.everyMs !== undefined) return Math.max(0, Math.round((nextAt - s.nextAt) / s.everyMs) - fire.length);
  return 0; // cron ticks are not counted (no closed form); fired ones are logged
}
