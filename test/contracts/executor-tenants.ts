/**
 * Tenant separation, for every kind of executor: a tenant's jobs never run in an executor that ran
 * another tenant's, whatever state its code planted; at the global count, a tenant with work takes
 * the place of the least recently used idle executor (a fresh one), or waits until one frees up.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { ExecutorPool } from "../../src/adapters/executors/index.ts";
import type { Outcome } from "../../src/domain/outcome.ts";
import type { Job } from "../../src/domain/ports.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { job, type PoolFactory } from "./executor.ts";

/** Returns a random id kept in the executor's globalThis: the same id means the same executor. */
const WHO = "() => (globalThis.__executor ??= crypto.randomUUID())";
/** Plants state a careless executor would hand to the next user: a global, and a forging JSON.stringify. */
const PLANT = "() => { globalThis.__planted = 1; const s = JSON.stringify; JSON.stringify = function (v, ...r) { return s.call(JSON, { forged: true }, ...r) }; return 'planted' }";
/** What a job of another tenant sees. */
const LOOK = "() => ({ id: (globalThis.__executor ??= crypto.randomUUID()), planted: globalThis.__planted ?? null, patched: JSON.stringify([1]) !== '[1]' })";
const SLEEP = "async (ms) => { await new Promise((r) => setTimeout(r, ms)); return (globalThis.__executor ??= crypto.randomUUID()) }";

export function describeTenantSeparation(name: string, make: PoolFactory): void {
  describe(`Executor contract, tenants: ${name}`, () => {
    let pools: ExecutorPool[] = [];
    afterEach(async () => {
      for (const p of pools) await p.close();
      pools = [];
    });

    function start(executors: number, idleMs?: number) {
      const logs: Record<string, unknown>[] = [];
      const pool = make({ executors, slotsPerExecutor: 16, ...(idleMs !== undefined && { idleMs }), logger: { log: (_l, _m, f) => logs.push(f ?? {}) } });
      pools.push(pool);
      const order: string[] = [];
      const outcomes = new Map<string, Outcome>();
      pool.onOutcomes((os) => os.forEach((o) => (order.push(o.taskId), outcomes.set(o.taskId, o))));
      const valueOf = async (j: Job): Promise<unknown> => {
        const o = await waitFor(() => outcomes.get(j.taskId), `outcome of ${j.taskId}`, 30_000);
        if (o.kind !== "returned") throw new Error(`${j.taskId} ended ${JSON.stringify(o)}`);
        return JSON.parse(o.value);
      };
      return { pool, logs, order, valueOf };
    }

    test("a job of tenant B never runs where tenant A's code ran: no planted global, no patched JSON, another executor", async () => {
      const { pool, valueOf } = start(2);
      const who = [job(WHO, "[]", 10_000, "A"), job(WHO, "[]", 10_000, "A")];
      pool.run(who);
      const aIds = new Set([await valueOf(who[0]!), await valueOf(who[1]!)]);
      const plant = job(PLANT, "[]", 10_000, "A");
      pool.run([plant]);
      expect(await valueOf(plant)).toEqual({ forged: true }); // the patch holds where it was planted
      const looks = Array.from({ length: 6 }, () => job(LOOK, "[]", 10_000, "B"));
      pool.run([...looks.slice(0, 3), job(PLANT, "[]", 10_000, "A"), ...looks.slice(3)]); // tenants mixed in one hand-out
      for (const l of looks) {
        const seen = (await valueOf(l)) as { id: string; planted: unknown; patched: boolean };
        expect(seen.planted).toBeNull();
        expect(seen.patched).toBe(false);
        expect(aIds.has(seen.id)).toBe(false);
      }
      expect(pool.executorsByTenant().get("B")).toBeGreaterThanOrEqual(1);
    });

    test("at the global count, a new tenant takes the place of the least recently used idle executor, a fresh one", async () => {
      const { pool, logs, valueOf } = start(2);
      const a = job(SLEEP, "[1]", 10_000, "A");
      pool.run([a]);
      const aId = await valueOf(a);
      const b = job(SLEEP, "[1]", 10_000, "B");
      pool.run([b]);
      const bId = await valueOf(b); // A's executor has been idle longer than B's
      expect(pool.size()).toBe(2);
      const c = job(SLEEP, "[1]", 10_000, "C");
      pool.run([c]);
      const cId = await valueOf(c);
      expect([aId, bId]).not.toContain(cId);
      expect(logs.find((f) => f.event === "executor.stopped" && f.why === "evicted")).toMatchObject({ tenant: "A" });
      expect(Object.fromEntries(pool.executorsByTenant())).toEqual({ B: 1, C: 1 });
    });

    test("an executor idle for idleMs is stopped; the tenant's next job starts a fresh one and completes", async () => {
      const { pool, logs, valueOf } = start(2, 300);
      const first = job(WHO, "[]", 10_000, "A");
      pool.run([first]);
      const firstId = await valueOf(first);
      await waitFor(() => pool.size() === 0, "the idle executor stopped", 15_000);
      expect(logs.find((f) => f.event === "executor.stopped" && f.why === "idle")).toMatchObject({ tenant: "A" });
      const spawned = pool.spawned;
      const later = job(WHO, "[]", 10_000, "A");
      pool.run([later]);
      expect(await valueOf(later)).not.toBe(firstId);
      expect(pool.spawned).toBe(spawned + 1);
    });

    test("with every executor busy, a new tenant's jobs wait in the pool (run() takes them) and start when one frees up", async () => {
      const { pool, order, valueOf } = start(2);
      const busy = [job(SLEEP, "[400]", 10_000, "A"), job(SLEEP, "[400]", 10_000, "B")];
      pool.run(busy);
      await waitFor(() => pool.size() === 2, "both executors started");
      const freeBefore = pool.freeSlots();
      const late = [job(SLEEP, "[1]", 10_000, "C"), job(SLEEP, "[1]", 10_000, "C")];
      pool.run(late);
      expect(pool.freeSlots()).toBe(freeBefore - 2);
      for (const j of [...busy, ...late]) await valueOf(j);
      const firstBusyDone = Math.min(order.indexOf(busy[0]!.taskId), order.indexOf(busy[1]!.taskId));
      expect(order.indexOf(late[0]!.taskId)).toBeGreaterThan(firstBusyDone);
      expect(pool.executorsByTenant().get("C")).toBe(1);
    });
  });
}
