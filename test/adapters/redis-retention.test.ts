/**
 * Retention in Redis by a sweep (lua/operations.ts): finished tasks are stored without an expiry and
 * deleted once the retention has passed by the next call that writes their finished set (a bounded
 * number) or by a dispatcher's periodic RECLAIM (the sets of about SWEEP_TENANTS tenants per call, a scan
 * that goes on where the last call stopped); unfinished tasks are never swept; a finished set an older
 * version let expire is made permanent.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { openRedisBackend, whenReady, type RedisBackend } from "../../src/adapters/redis/index.ts";
import { SWEEP_EXTRA, SWEEP_FACTOR, SWEEP_TENANTS } from "../../src/adapters/redis/lua/operations.ts";
import { newTask, type Task } from "../../src/domain/task.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { usePrivateRedis } from "../helpers/private-redis.ts";

const redis = usePrivateRedis();
const opened: RedisBackend[] = [];
afterAll(() => Promise.all(opened.map((b) => b.close())));

const never = new AbortController().signal;
const RETENTION_MS = 60_000;
let seq = 0;

async function open(o: { readonly sweepBudget?: number } = {}) {
  const clock = new FakeClock(1_800_000_000_000);
  const b = openRedisBackend({ url: redis.server.url, prefix: `retention-${process.pid}-${++seq}`, clock, retentionMs: RETENTION_MS });
  opened.push(b);
  await whenReady(b.redis, 5000, clock);
  for (const [id, tenant] of [["f-1", "default"], ["f-2", "t2"]] as const) {
    await b.functions.save({ id, tenant, name: "f", source: "(x) => x", code: "(x) => x", timeoutMs: 1000, maxAttempts: 3, createdAt: 0 });
  }
  // reclaimEveryMs: the periodic sweep runs only when a test calls reclaim
  const queue = b.dispatchQueue({ dispatcherId: `d-${seq}`, livenessMs: 10_000, reclaimEveryMs: 3_600_000, ...o });
  const shard = b.keys.shards[0]!;
  const stored = async (ts: readonly Task[]): Promise<string[]> => {
    const raws = await redis.admin.mget(...ts.map((t) => shard.task(t.id)));
    return ts.filter((_, i) => raws[i] !== null).map((t) => t.id);
  };
  return { b, clock, queue, P: shard.opsPrefix, key: shard.task, stored };
}

function tasks(n: number, createdAt: number, tenant = "default"): Task[] {
  return Array.from({ length: n }, () => newTask(crypto.randomUUID(), tenant === "default" ? "f-1" : "f-2", "[1]", 3, 1000, createdAt, tenant));
}

const completed = (t: Task) => ({ taskId: t.id, attempt: 1, status: "COMPLETED" as const, result: "1" });

describe("Redis retention by sweep", () => {
  test("finished tasks carry no expiry and stay for the retention; then the next call writing their set deletes them, group text and member too, and RECLAIM the rest; unfinished tasks stay", async () => {
    const { b, clock, queue, P, key, stored } = await open();
    const batch = tasks(8, clock.now());
    await b.tasks.enqueue(batch, { maxQueue: 100 });
    const claimed = await queue.claim(3, never);
    const [c1, c2, f1] = claimed as [Task, Task, Task];
    await queue.apply([completed(c1), completed(c2), { taskId: f1.id, attempt: 1, status: "FAILED", result: '{"name":"Error","message":"x","stack":""}' }]);
    const T = clock.now();
    const queuedLeft = batch.filter((t) => !claimed.some((c) => c.id === t.id));
    const cancelled = queuedLeft[0]!;
    expect((await b.tasks.cancel(cancelled.id)).ok).toBe(true);
    for (const t of [c1, c2, f1, cancelled]) expect(await redis.admin.pttl(key(t.id))).toBe(-1);
    expect(await redis.admin.pttl(`${P}d:default:COMPLETED`)).toBe(-1);
    expect(await redis.admin.pttl(`${P}dg:default:COMPLETED:${T}`)).toBe(-1);

    // at the retention exactly, nothing goes
    clock.advance(RETENTION_MS);
    const [n1] = (await queue.claim(1, never)) as [Task];
    await queue.apply([completed(n1)]);
    await queue.reclaim(10);
    expect(await stored([c1, c2, f1, cancelled])).toHaveLength(4);

    // past it, the next COMPLETED call sweeps the COMPLETED set only
    clock.advance(1);
    const [n2] = (await queue.claim(1, never)) as [Task];
    await queue.apply([completed(n2)]);
    expect(await stored([c1, c2, f1, cancelled, n1, n2])).toEqual([f1.id, cancelled.id, n1.id, n2.id]);
    expect(await redis.admin.exists(`${P}dg:default:COMPLETED:${T}`)).toBe(0);
    expect(await redis.admin.zrange(`${P}d:default:COMPLETED`, 0, -1)).toEqual([n1.id, n2.id]);
    expect((await b.tasks.get(c1.id))).toBeUndefined();

    // RECLAIM sweeps the other statuses' sets
    await queue.reclaim(10);
    expect(await stored([f1, cancelled, n1, n2])).toEqual([n1.id, n2.id]);
    expect(await redis.admin.exists(`${P}d:default:FAILED`, `${P}d:default:CANCELLED`)).toBe(0);
    // the function's FAILED index is only an index: it still expires
    expect(await redis.admin.pttl(`${P}fd:f-1:FAILED`)).toBeGreaterThan(0);

    // unfinished tasks (one QUEUED, one RUNNING) are never swept, however old
    const [running] = (await queue.claim(1, never)) as [Task];
    clock.advance(10 * RETENTION_MS);
    await queue.reclaim(10);
    const unfinished = queuedLeft.filter((t) => ![cancelled.id, n1.id, n2.id].includes(t.id));
    expect(unfinished).toHaveLength(2);
    expect(await stored(unfinished)).toEqual(unfinished.map((t) => t.id));
    expect(unfinished.map((t) => t.id)).toContain(running.id);
    expect((await b.tasks.get(running.id))?.status).toBe("RUNNING");
    expect(await stored([n1, n2])).toEqual([]);
  });

  /**
   * n tasks finished (each by a call of its own, or all by one call: one group), then, past the
   * retention, one more task finished alone: its call sweeps with a budget of SWEEP_FACTOR + SWEEP_EXTRA.
   */
  async function oldThenOne(n: number, how: "alone" | "group") {
    const o = await open();
    const batch = tasks(n + 1, o.clock.now());
    await o.b.tasks.enqueue(batch, { maxQueue: 1000 });
    const claimed = await o.queue.claim(n + 1, never);
    const [last, ...old] = claimed as [Task, ...Task[]];
    if (how === "group") await o.queue.apply(old.map(completed));
    else for (const t of old) await o.queue.apply([completed(t)]);
    o.clock.advance(RETENTION_MS + 1);
    await o.queue.apply([completed(last)]);
    return { ...o, old, last };
  }

  test("the sweep is bounded: a call deletes up to SWEEP_FACTOR per task it ends plus SWEEP_EXTRA; RECLAIM takes the rest", async () => {
    const { queue, stored, old, last } = await oldThenOne(SWEEP_FACTOR + SWEEP_EXTRA + 40, "alone");
    expect(await stored(old)).toHaveLength(40);
    await queue.reclaim(10);
    expect(await stored(old)).toHaveLength(0);
    expect(await stored([last])).toEqual([last.id]);
  });

  test("a call's sweep takes a group only when it fits the call's budget; RECLAIM takes it whole", async () => {
    const { queue, stored, old } = await oldThenOne(SWEEP_FACTOR + SWEEP_EXTRA + 1, "group");
    expect(await stored(old)).toHaveLength(old.length);
    await queue.reclaim(10);
    expect(await stored(old)).toHaveLength(0);
  });

  test("RECLAIM deletes up to its budget, a first group larger than it whole; each second begins with another tenant", async () => {
    const { b, clock, queue, stored } = await open({ sweepBudget: 10 });
    // per tenant, three groups of 6 (one call each): a group of 6 fits a budget of 10 only when first
    const groups = new Map<string, Task[][]>();
    for (const tenant of ["default", "t2"]) {
      const mine: Task[][] = [];
      for (let g = 0; g < 3; g++) {
        await b.tasks.enqueue(tasks(6, clock.now(), tenant), { maxQueue: 1000 });
        const claimed = await queue.claim(6, never);
        await queue.apply(claimed.map(completed));
        mine.push(claimed);
        clock.advance(1);
      }
      groups.set(tenant, mine);
    }
    const left = async (tenant: string) => (await stored(groups.get(tenant)!.flat())).length;
    clock.advance(RETENTION_MS);
    await queue.reclaim(10);
    expect((await left("default")) + (await left("t2"))).toBe(36 - 6);
    for (let second = 1; second <= 2; second++) {
      clock.advance(1000);
      await queue.reclaim(10);
    }
    // three looks in three seconds: each tenant came first at least once
    expect(await left("default")).toBeLessThanOrEqual(12);
    expect(await left("t2")).toBeLessThanOrEqual(12);
    expect((await left("default")) + (await left("t2"))).toBe(36 - 18);

    // a group larger than the budget still goes, whole
    await b.tasks.enqueue(tasks(12, clock.now()), { maxQueue: 1000 });
    const big = await queue.claim(12, never);
    await queue.apply(big.map(completed));
    clock.advance(100 * RETENTION_MS);
    for (let i = 0; i < 6 && (await left("default")) + (await left("t2")) > 0; i++) await queue.reclaim(10);
    expect((await left("default")) + (await left("t2"))).toBe(0);
    await queue.reclaim(10);
    expect(await stored(big)).toEqual([]);
  });

  test("RECLAIM looks at about SWEEP_TENANTS tenants per call, going on where the last call stopped, until every tenant's tasks are gone", async () => {
    const { b, clock, queue, stored } = await open();
    const tenants = Array.from({ length: SWEEP_TENANTS * 3 }, (_, i) => `many-${i}`);
    const all: Task[] = [];
    for (const tenant of tenants) {
      await b.tasks.enqueue(tasks(1, clock.now(), tenant), { maxQueue: 10_000 });
      const claimed = await queue.claim(1, never);
      await queue.apply(claimed.map(completed));
      all.push(...claimed);
    }
    expect(new Set(all.map((t) => t.tenant)).size).toBe(tenants.length);
    clock.advance(RETENTION_MS + 1); // every task past its retention
    const zrangeCalls = async () => Number(/cmdstat_zrangebyscore:calls=(\d+)/.exec(await redis.admin.info("commandstats"))?.[1] ?? 0);
    const before = await zrangeCalls();
    await queue.reclaim(10);
    // a budget of 2,000 would take every task at once; the scan looked at a part of the tenants only
    const left = (await stored(all)).length;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(tenants.length);
    expect(tenants.length - left).toBeLessThanOrEqual(2 * SWEEP_TENANTS);
    expect((await zrangeCalls()) - before).toBeLessThanOrEqual(3 * 2 * SWEEP_TENANTS);
    // the next calls go on from there: the scan comes round to every tenant
    for (let i = 0; i < 20 && (await stored(all)).length > 0; i++) {
      clock.advance(1000);
      await queue.reclaim(10);
    }
    expect(await stored(all)).toEqual([]);
  });

  test("a finished set an older version wrote with an expiry is made permanent by the periodic sweep", async () => {
    const { b, clock, queue, P } = await open();
    await b.tasks.enqueue(tasks(1, clock.now()), { maxQueue: 10 });
    const [t] = (await queue.claim(1, never)) as [Task];
    await queue.apply([completed(t)]);
    await redis.admin.pexpire(`${P}d:default:COMPLETED`, RETENTION_MS);
    await queue.reclaim(10);
    expect(await redis.admin.pttl(`${P}d:default:COMPLETED`)).toBe(-1);
  });
});
