/**
 * The use cases of schedules for the API: create one for a function, list, read, pause, resume and
 * delete them. Every change is announced on ScheduleChanges so running schedulers pick it up at once
 * (they also re-read every schedule now and then, so a lost announcement only delays). Firing ticks is
 * the Scheduler's job.
 *
 * @example
 * const schedules = new ScheduleService({ schedules: store, functions, changes, ids, clock });
 * const s = await schedules.create("alice", { functionId, everyMs: 60_000, args: "[1]" });
 * await schedules.pause("alice", s.value.id);
 *
 * Every call names its viewer (the caller's tenant): another tenant's schedules are reported unknown,
 * exactly as missing ones (and so are its functions).
 */
import { err, ok, type Result } from "./result.ts";
import type { DomainError } from "./errors.ts";
import type { Clock, FunctionStore, IdGen, ScheduleChanges, ScheduleStore } from "./ports.ts";
import { checkScheduleInput, firstTick, timingOf, type Schedule, type ScheduleInput } from "./schedule.ts";
import { nextTick } from "./schedule-ticks.ts";
import { scopeOf, visibleTo } from "./tenant.ts";

export interface ScheduleServiceDeps {
  readonly schedules: ScheduleStore;
  readonly functions: FunctionStore;
  readonly changes: ScheduleChanges;
  /** Schedule ids; a sharded store's `batch(1)` names the shard, where the schedule and its tasks live. */
  readonly ids: IdGen;
  readonly clock: Clock;
}

export class ScheduleService {
  constructor(private readonly d: ScheduleServiceDeps) {}

  /** Creates a schedule of one of the viewer's functions; its first tick is the first one after now. */
  async create(viewer: string, input: ScheduleInput): Promise<Result<Schedule, DomainError>> {
    const checked = checkScheduleInput(input);
    if (!checked.ok) return checked;
    const fn = await this.d.functions.get(input.functionId);
    if (fn === undefined || !visibleTo(viewer, fn.tenant)) return err({ kind: "UnknownFunction", functionId: input.functionId });
    const now = this.d.clock.now();
    const { timing, ...fields } = checked.value;
    const id = this.d.ids.batch?.(1)[0] ?? this.d.ids.next();
    const s: Schedule = { id, tenant: fn.tenant, functionId: fn.id, ...fields, paused: false, nextAt: firstTick(timing, now), createdAt: now };
    await this.d.schedules.create(s);
    this.d.changes.publish([id]);
    return ok(s);
  }

  /** The viewer's schedules (every tenant's for admin), oldest first. */
  async list(viewer: string): Promise<Schedule[]> {
    const all = await this.d.schedules.list(scopeOf(viewer));
    return all.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async get(viewer: string, id: string): Promise<Result<Schedule, DomainError>> {
    const s = await this.d.schedules.get(id);
    return s === undefined || !visibleTo(viewer, s.tenant) ? err({ kind: "UnknownSchedule", scheduleId: id }) : ok(s);
  }

  /** Stops firing; ticks that fall while paused are skipped. Pausing a paused schedule changes nothing. */
  async pause(viewer: string, id: string): Promise<Result<Schedule, DomainError>> {
    return this.setPaused(viewer, id, true);
  }

  /** Fires again from the first tick after now (the ticks that fell while it was paused are skipped). */
  async resume(viewer: string, id: string): Promise<Result<Schedule, DomainError>> {
    return this.setPaused(viewer, id, false);
  }

  async delete(viewer: string, id: string): Promise<Result<void, DomainError>> {
    const visible = await this.get(viewer, id); // a schedule's tenant never changes: checking first is safe
    if (!visible.ok) return visible;
    if (!(await this.d.schedules.delete(id))) return err({ kind: "UnknownSchedule", scheduleId: id });
    this.d.changes.publish([id]);
    return ok(undefined);
  }

  private async setPaused(viewer: string, id: string, paused: boolean): Promise<Result<Schedule, DomainError>> {
    const visible = await this.get(viewer, id);
    if (!visible.ok) return visible;
    const s = visible.value;
    if (s.paused === paused) return visible;
    const now = this.d.clock.now();
    const nextAt = paused || s.nextAt > now ? undefined : nextTick(timingOf(s), s.nextAt, now);
    const changed = await this.d.schedules.setPaused(id, paused, nextAt);
    if (changed === undefined) return err({ kind: "UnknownSchedule", scheduleId: id });
    this.d.changes.publish([id]);
    return ok(changed);
  }
}
