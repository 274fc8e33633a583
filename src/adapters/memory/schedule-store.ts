import type { ScheduleStore } from "../../domain/ports.ts";
import type { Schedule } from "../../domain/schedule.ts";

/**
 * Schedules in a Map: the embedded mode's and the reference for the contract suite. Every method is
 * one synchronous step, so `advance` is a compare-and-set as it is in Redis.
 *
 * @example
 * const schedules = new MemoryScheduleStore();
 * await schedules.create(schedule);
 * await schedules.advance(schedule.id, schedule.nextAt, schedule.nextAt + 60_000); // true
 */
export class MemoryScheduleStore implements ScheduleStore {
  private readonly byId = new Map<string, Schedule>();

  async create(s: Schedule): Promise<void> {
    if (!this.byId.has(s.id)) this.byId.set(s.id, s);
  }

  async get(id: string): Promise<Schedule | undefined> {
    return this.byId.get(id);
  }

  async list(tenant?: string): Promise<Schedule[]> {
    const all = [...this.byId.values()];
    return tenant === undefined ? all : all.filter((s) => s.tenant === tenant);
  }

  async setPaused(id: string, paused: boolean, nextAt?: number): Promise<Schedule | undefined> {
    const s = this.byId.get(id);
    if (s === undefined) return undefined;
    const changed = { ...s, paused, nextAt: nextAt ?? s.nextAt };
    this.byId.set(id, changed);
    return changed;
  }

  async delete(id: string): Promise<boolean> {
    return this.byId.delete(id);
  }

  async advance(id: string, from: number, to: number, firedTick?: number): Promise<boolean> {
    const s = this.byId.get(id);
    if (s === undefined || s.nextAt !== from) return false;
    this.byId.set(id, { ...s, nextAt: to, ...(firedTick !== undefined && { lastFiredAt: firedTick }) });
    return true;
  }
}
