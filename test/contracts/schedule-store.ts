/**
 * The ScheduleStore contract: every adapter (memory, redis with one shard, several, a Cluster) must
 * pass this same suite. `make` returns a fresh, empty store and a cleanup function.
 */
import { describe, expect, test } from "bun:test";
import type { ScheduleStore } from "../../src/domain/ports.ts";
import type { Schedule } from "../../src/domain/schedule.ts";

export interface ScheduleStoreFixture {
  readonly store: ScheduleStore;
  close(): Promise<void>;
}

let seq = 0;
/** A schedule with an id that starts with a shard number (0-2, in turn), as a sharded store's ids do. */
function schedule(o: Partial<Schedule> = {}): Schedule {
  const n = ++seq;
  return { id: `${n % 3}-s-${n}-${Math.floor(performance.now())}`, tenant: "alice", functionId: "f-1", everyMs: 60_000, args: "[1]", paused: false, nextAt: 1_700_000_060_000, createdAt: 1_700_000_000_000, ...o };
}

export function describeScheduleStore(name: string, make: () => Promise<ScheduleStoreFixture>): void {
  const withStore = (title: string, body: (store: ScheduleStore) => Promise<void>): void => {
    test(title, async () => {
      const f = await make();
      try {
        await body(f.store);
      } finally {
        await f.close();
      }
    });
  };

  describe(`ScheduleStore contract: ${name}`, () => {
    withStore("create and get round-trip every field; an unknown id is undefined", async (store) => {
      const full = schedule({ everyMs: undefined, cron: "*/5 * * * *", args: '["a|b", {"x": 1}]', priority: 9, timeoutMs: 2500, lastFiredAt: 1_700_000_000_000 });
      const bare = schedule();
      await store.create(full);
      await store.create(bare);
      expect(await store.get(full.id)).toEqual(full);
      expect(await store.get(bare.id)).toEqual(bare);
      expect(await store.get("0-missing")).toBeUndefined();
    });

    withStore("create never replaces an existing schedule", async (store) => {
      const s = schedule();
      await store.create(s);
      await store.create({ ...s, args: "[2]", nextAt: 5 });
      expect(await store.get(s.id)).toEqual(s);
    });

    withStore("list: a tenant's own, or every tenant's when undefined", async (store) => {
      const a1 = schedule();
      const a2 = schedule({ paused: true });
      const b1 = schedule({ tenant: "bob" });
      for (const s of [a1, a2, b1]) await store.create(s);
      const ids = async (tenant?: string): Promise<string[]> => (await store.list(tenant)).map((s) => s.id).sort();
      expect(await ids("alice")).toEqual([a1.id, a2.id].sort());
      expect(await ids("bob")).toEqual([b1.id]);
      expect(await ids("carol")).toEqual([]);
      expect(await ids()).toEqual([a1.id, a2.id, b1.id].sort());
      expect((await store.list("alice")).find((s) => s.id === a2.id)).toEqual(a2);
    });

    withStore("setPaused pauses and resumes, moving the next tick when told; undefined for an unknown id", async (store) => {
      const s = schedule();
      await store.create(s);
      expect(await store.setPaused(s.id, true)).toEqual({ ...s, paused: true });
      expect(await store.get(s.id)).toEqual({ ...s, paused: true });
      expect(await store.setPaused(s.id, false, s.nextAt + 600_000)).toEqual({ ...s, nextAt: s.nextAt + 600_000 });
      expect(await store.get(s.id)).toEqual({ ...s, nextAt: s.nextAt + 600_000 });
      expect(await store.setPaused("1-missing", true)).toBeUndefined();
      expect(await store.get("1-missing")).toBeUndefined();
    });

    withStore("advance is a compare-and-set on the next tick, noting the tick fired", async (store) => {
      const s = schedule({ paused: true });
      await store.create(s);
      expect(await store.advance(s.id, s.nextAt, s.nextAt + 60_000, s.nextAt)).toBe(true);
      expect(await store.get(s.id)).toEqual({ ...s, nextAt: s.nextAt + 60_000, lastFiredAt: s.nextAt });
      expect(await store.advance(s.id, s.nextAt, s.nextAt + 120_000)).toBe(false); // stale: someone moved it
      expect(await store.advance(s.id, s.nextAt + 60_000, s.nextAt + 120_000)).toBe(true); // no tick fired: lastFiredAt stays
      expect(await store.get(s.id)).toEqual({ ...s, nextAt: s.nextAt + 120_000, lastFiredAt: s.nextAt });
      expect(await store.advance("2-missing", 0, 1)).toBe(false);
      expect(await store.get("2-missing")).toBeUndefined();
    });

    withStore("of many advances racing from the same tick, exactly one wins", async (store) => {
      const s = schedule();
      await store.create(s);
      const wins = await Promise.all(Array.from({ length: 20 }, () => store.advance(s.id, s.nextAt, s.nextAt + 60_000, s.nextAt)));
      expect(wins.filter(Boolean).length).toBe(1);
    });

    withStore("delete removes it for good: get, list, setPaused and advance no longer see it", async (store) => {
      const s = schedule();
      const other = schedule();
      await store.create(s);
      await store.create(other);
      expect(await store.delete(s.id)).toBe(true);
      expect(await store.delete(s.id)).toBe(false);
      expect(await store.get(s.id)).toBeUndefined();
      expect((await store.list()).map((x) => x.id)).toEqual([other.id]);
      expect(await store.advance(s.id, s.nextAt, s.nextAt + 1)).toBe(false);
      expect(await store.setPaused(s.id, true)).toBeUndefined();
      expect(await store.get(s.id)).toBeUndefined();
    });
  });
}
