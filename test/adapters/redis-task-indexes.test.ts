/**
 * The operators' task indexes in Redis (lua/operations.ts). Unfinished: one member per creation time
 * for the tasks of that millisecond, counted off as they end; members that are task ids (written before
 * groups existed) still listed and removed; a group left behind by a wrong count dropped by a listing;
 * pages through groups that share a score with other members keep their order. Finished: one member
 * per call, status and owner, its ids one run in descending order (the dispatcher sorts them), the
 * tenant's swept with the retention, the function's expiring; older per-task members listed beside them; a group whose tasks expired dropped.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { openRedisBackend, whenReady, type RedisBackend } from "../../src/adapters/redis/index.ts";
import { RedisOperations } from "../../src/adapters/redis/task-operations.ts";
import type { TaskSummary } from "../../src/domain/task-listing.ts";
import { newTask, type Task } from "../../src/domain/task.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { usePrivateRedis } from "../helpers/private-redis.ts";

const redis = usePrivateRedis();
const opened: RedisBackend[] = [];
afterAll(() => Promise.all(opened.map((b) => b.close())));

const never = new AbortController().signal;
let seq = 0;

async function open() {
  const clock = new FakeClock(1_800_000_000_000);
  const b = openRedisBackend({ url: redis.server.url, prefix: `unfinished-${process.pid}-${++seq}`, clock, retentionMs: 60_000 });
  opened.push(b);
  await whenReady(b.redis, 5000, clock);
  await b.functions.save({ id: "f-1", tenant: "default", name: "f", source: "(x) => x", code: "(x) => x", timeoutMs: 1000, maxAttempts: 3, createdAt: 0 });
  const queue = b.dispatchQueue({ dispatcherId: `d-${seq}`, livenessMs: 10_000, reclaimEveryMs: 60_000 });
  const ops = new RedisOperations({ redis: b.redis, keys: b.keys });
  const P = b.keys.shards[0]!.opsPrefix;
  const index = { members: () => redis.admin.zrange(`${P}a:default`, 0, -1), counts: () => redis.admin.hgetall(`${P}al:default`), groupKeys: () => redis.admin.keys(`${P}ag:default:*`) };
  return { b, clock, queue, ops, P, index };
}

function tasks(n: number, createdAt: number): Task[] {
  return Array.from({ length: n }, () => newTask(crypto.randomUUID(), "f-1", "[1]", 3, 1000, createdAt));
}

async function listAll(ops: RedisOperations, limit: number, status?: "QUEUED" | "RUNNING"): Promise<TaskSummary[]> {
  const out: TaskSummary[] = [];
  let after: { score: number; id: string } | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await ops.list({ tenant: "default", limit, ...(status !== undefined && { status }), ...(after !== undefined && { after }) });
    out.push(...page.tasks);
    if (page.next === undefined) return out;
    after = page.next;
  }
  throw new Error("more than 1000 pages");
}

const byNewest = (list: readonly TaskSummary[]): string[] => [...list].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).map((t) => t.id);

describe("Redis task indexes", () => {
  test("a batch is one member, counted off as its tasks end, gone with its last", async () => {
    const { b, clock, queue, ops, index } = await open();
    const batch = tasks(300, clock.now());
    await b.tasks.enqueue(batch, { maxQueue: 1000 });
    expect(await index.members()).toEqual([`g${clock.now()}`]);
    expect(await index.counts()).toEqual({ [String(clock.now())]: "300" });
    const claimed = await queue.claim(300, never);
    expect(claimed.length).toBe(300);
    await queue.apply(claimed.slice(0, 299).map((t) => ({ taskId: t.id, attempt: 1, status: "COMPLETED" as const, result: "1" })));
    expect(await index.counts()).toEqual({ [String(clock.now())]: "1" });
    expect((await ops.list({ tenant: "default", status: "RUNNING", limit: 50 })).tasks.map((t) => t.id)).toEqual([claimed[299]!.id]);
    await queue.apply([{ taskId: claimed[299]!.id, attempt: 1, status: "FAILED", result: '{"name":"Error","message":"x","stack":""}' }]);
    expect([await index.members(), await index.counts(), await index.groupKeys()]).toEqual([[], {}, []]);
  });

  test("a task queued alone is a member of its own, as before groups, and leaves when it ends", async () => {
    const { b, clock, queue, index } = await open();
    const appends = async (): Promise<number> => Number(/cmdstat_append:calls=(\d+)/.exec(String(await redis.admin.info("commandstats")))?.[1] ?? 0);
    const before = await appends();
    const [alone] = tasks(1, clock.now());
    await b.tasks.enqueue([alone!], { maxQueue: 10 });
    expect([await index.members(), await index.counts(), await appends()]).toEqual([[alone!.id], {}, before]);
    const claimed = await queue.claim(1, never);
    clock.advance(1);
    await queue.apply([{ taskId: claimed[0]!.id, attempt: 1, status: "COMPLETED", result: "1" }]);
    expect([await index.members(), await index.counts()]).toEqual([[], {}]);
  });

  test("a group takes in the tasks queued alone in its millisecond, and a task queued alone joins its millisecond's group", async () => {
    const { b, clock, queue, ops, P, index } = await open();
    const T = clock.now();
    const [first] = tasks(1, T);
    await b.tasks.enqueue([first!], { maxQueue: 10 });
    const batch = tasks(3, T);
    await b.tasks.enqueue(batch, { maxQueue: 10 });
    expect([await index.members(), await index.counts()]).toEqual([[`g${T}`], { [String(T)]: "4" }]);
    const [last] = tasks(1, T);
    await b.tasks.enqueue([last!], { maxQueue: 10 });
    expect([await index.members(), await index.counts()]).toEqual([[`g${T}`], { [String(T)]: "5" }]);
    const all = [first!, ...batch, last!].map((t) => t.id);
    expect((await redis.admin.get(`${P}ag:default:${T}`))!.split(/[| ]/).filter((x) => x !== "").sort()).toEqual([...all].sort());
    expect((await listAll(ops, 2)).map((t) => t.id)).toEqual([...all].sort().reverse());
    const claimed = await queue.claim(5, never);
    expect(claimed.length).toBe(5);
    await queue.apply(claimed.slice(0, 4).map((t) => ({ taskId: t.id, attempt: 1, status: "COMPLETED" as const, result: "1" })));
    expect(await index.counts()).toEqual({ [String(T)]: "1" });
    await queue.apply([{ taskId: claimed[4]!.id, attempt: 1, status: "COMPLETED", result: "1" }]);
    expect([await index.members(), await index.counts(), await index.groupKeys()]).toEqual([[], {}, []]);
  });

  test("tasks indexed one member each (by an older version) are listed and leave when they end", async () => {
    const { b, clock, queue, ops, P, index } = await open();
    const old = tasks(3, clock.now());
    await b.tasks.enqueue(old, { maxQueue: 10 });
    // as an older version wrote it: a member per task, no group
    await redis.admin.del(`${P}a:default`, `${P}al:default`, `${P}ag:default:${clock.now()}`);
    await redis.admin.zadd(`${P}a:default`, ...old.flatMap((t) => [t.createdAt, t.id]));
    expect((await listAll(ops, 2)).map((t) => t.id)).toEqual(old.map((t) => t.id).sort().reverse());
    const claimed = await queue.claim(3, never);
    await queue.apply(claimed.slice(0, 2).map((t) => ({ taskId: t.id, attempt: 1, status: "COMPLETED" as const, result: "1" })));
    expect(await index.members()).toEqual([claimed[2]!.id]);
    expect(await index.counts()).toEqual({});
    await queue.apply([{ taskId: claimed[2]!.id, attempt: 1, status: "COMPLETED", result: "1" }]);
    expect(await index.members()).toEqual([]);
  });

  test("a group whose count went wrong leaves the index when a listing finds none of its tasks unfinished", async () => {
    const { b, clock, queue, ops, P, index } = await open();
    await b.tasks.enqueue(tasks(4, clock.now()), { maxQueue: 10 });
    await redis.admin.hincrby(`${P}al:default`, String(clock.now()), 1); // one more than there are
    const claimed = await queue.claim(4, never);
    await queue.apply(claimed.map((t) => ({ taskId: t.id, attempt: 1, status: "COMPLETED" as const, result: "1" })));
    expect(await index.members()).toEqual([`g${clock.now()}`]);
    expect((await ops.list({ tenant: "default", status: "QUEUED", limit: 10 })).tasks).toEqual([]);
    expect([await index.members(), await index.counts(), await index.groupKeys()]).toEqual([[], {}, []]);
  });

  test("pages keep the order where groups of one millisecond and older members share a score", async () => {
    const { b, clock, queue, ops, P } = await open();
    const T = clock.now();
    const run = (ts: readonly Task[]): string => `|${ts.map((t) => t.id).sort().reverse().join(" ")}`;
    const [a, old, c, plain] = [tasks(5, T), tasks(4, T - 3), tasks(6, T), tasks(3, T)];
    await b.tasks.enqueue([...a, ...old], { maxQueue: 100 }); // one call, two creation times: runs made by the script
    await b.tasks.enqueue(c, { maxQueue: 100 }); // the same millisecond again: a second run
    await b.tasks.enqueue(plain, { maxQueue: 100 });
    expect([await redis.admin.get(`${P}ag:default:${T - 3}`), await redis.admin.get(`${P}ag:default:${T}`)]).toEqual([run(old), run(a) + run(c) + run(plain)]);
    // as if an older version had indexed `plain`: a member per task beside the group
    await redis.admin.set(`${P}ag:default:${T}`, run(a) + run(c));
    await redis.admin.hset(`${P}al:default`, String(T), 11);
    await redis.admin.zadd(`${P}a:default`, ...plain.flatMap((t) => [t.createdAt, t.id]));
    const whole = await listAll(ops, 1000);
    expect(whole.length).toBe(18);
    expect(whole.map((t) => t.id)).toEqual(byNewest(whole));
    for (const limit of [1, 4, 7]) expect([limit, (await listAll(ops, limit)).map((t) => t.id)]).toEqual([limit, whole.map((t) => t.id)]);
    expect((await queue.claim(18, never)).length).toBe(18);
    expect((await listAll(ops, 5, "RUNNING")).map((t) => t.id)).toEqual(whole.map((t) => t.id));
  });

  test("a call's finished tasks are one member per status (and per function when FAILED), their ids one run in descending order", async () => {
    const { b, clock, queue, ops, P } = await open();
    await b.tasks.enqueue(tasks(40, clock.now()), { maxQueue: 100 });
    const claimed = await queue.claim(40, never);
    clock.advance(7);
    const failed = claimed.slice(0, 15);
    const failure = '{"name":"Error","message":"x","stack":""}';
    await queue.apply(claimed.map((t, i) => (i < 15 ? { taskId: t.id, attempt: 1, status: "FAILED" as const, result: failure } : { taskId: t.id, attempt: 1, status: "COMPLETED" as const, result: "1" })));
    const T = clock.now();
    const run = (ts: readonly Task[]): string => `|${ts.map((t) => t.id).sort().reverse().join(" ")}`;
    expect(await redis.admin.zrange(`${P}d:default:COMPLETED`, 0, -1, "WITHSCORES")).toEqual([`g${T}`, String(T)]);
    expect(await redis.admin.get(`${P}dg:default:COMPLETED:${T}`)).toBe(run(claimed.slice(15)));
    expect(await redis.admin.get(`${P}dg:default:FAILED:${T}`)).toBe(run(failed));
    expect(await redis.admin.get(`${P}fdg:f-1:FAILED:${T}`)).toBe(run(failed));
    expect(await redis.admin.pttl(`${P}dg:default:COMPLETED:${T}`)).toBe(-1); // swept with its tasks (redis-retention.test.ts)
    const ttl = await redis.admin.pttl(`${P}fdg:f-1:FAILED:${T}`); // only an index: it expires
    expect(ttl > 0 && ttl <= 60_000).toBe(true);
    const listed = await listAll(ops, 6);
    expect(listed.map((t) => t.id)).toEqual([...run(claimed).slice(1).split(" ")]);
    const byFunction = await ops.list({ tenant: "default", functionId: "f-1", status: "FAILED", limit: 4 });
    expect(byFunction.tasks.map((t) => t.id)).toEqual(run(failed).slice(1).split(" ").slice(0, 4));
    // a task that ends alone is a member of its own
    const [alone] = tasks(1, clock.now());
    await b.tasks.enqueue([alone!], { maxQueue: 100 });
    expect((await queue.claim(1, never)).map((t) => t.id)).toEqual([alone!.id]);
    clock.advance(1);
    await queue.apply([{ taskId: alone!.id, attempt: 1, status: "COMPLETED", result: "1" }]);
    expect(await redis.admin.zrange(`${P}d:default:COMPLETED`, 0, -1)).toEqual([`g${T}`, alone!.id]);
    expect((await listAll(ops, 3)).map((t) => t.id)).toEqual([alone!.id, ...listed.map((t) => t.id)]);
  });

  test("finished tasks indexed one member each (by an older version) are listed beside a group of the same time; a group whose tasks expired leaves", async () => {
    const { b, clock, queue, ops, P } = await open();
    await b.tasks.enqueue(tasks(9, clock.now()), { maxQueue: 100 });
    const claimed = await queue.claim(9, never);
    clock.advance(3);
    await queue.apply(claimed.map((t) => ({ taskId: t.id, attempt: 1, status: "COMPLETED" as const, result: "1" })));
    const T = clock.now();
    // three of them as an older version indexed them: out of the group, a member each
    const kept = claimed.slice(3).map((t) => t.id).sort().reverse();
    await redis.admin.set(`${P}dg:default:COMPLETED:${T}`, `|${kept.join(" ")}`, "PX", 60_000);
    await redis.admin.zadd(`${P}d:default:COMPLETED`, ...claimed.slice(0, 3).flatMap((t) => [T, t.id]));
    const whole = (await listAll(ops, 1000)).map((t) => t.id);
    expect(whole).toEqual(claimed.map((t) => t.id).sort().reverse());
    for (const limit of [1, 2, 5]) expect([limit, (await listAll(ops, limit)).map((t) => t.id)]).toEqual([limit, whole]);
    await redis.admin.del(...claimed.map((t) => `${b.keys.shards[0]!.taskPrefix}${t.id}`));
    expect((await ops.list({ tenant: "default", limit: 50 })).tasks).toEqual([]);
    expect([await redis.admin.zcard(`${P}d:default:COMPLETED`), await redis.admin.exists(`${P}dg:default:COMPLETED:${T}`)]).toEqual([0, 0]);
  });

  test("a short page over a big backlog reads about the tasks it examines, not every group it fetched", async () => {
    const { b, clock, ops } = await open();
    for (let i = 0; i < 12; i++) {
      await b.tasks.enqueue(tasks(500, clock.now()), { maxQueue: 10_000 });
      clock.advance(1);
    }
    await redis.admin.config("RESETSTAT");
    const page = await ops.list({ tenant: "default", limit: 5 });
    expect(page.tasks.length).toBe(5);
    const hits = Number(/keyspace_hits:(\d+)/.exec(String(await redis.admin.info("stats")))?.[1]);
    expect(hits).toBeGreaterThan(0);
    expect(hits).toBeLessThan(600); // a slice of 256 task keys and the group's ids, where all 6,000 were read
    const whole = await listAll(ops, 1000, "QUEUED");
    expect(new Set(whole.map((t) => t.id)).size).toBe(6000);
  });
});
