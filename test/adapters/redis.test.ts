/**
 * The Redis adapters against the shared contract suites, plus what only Redis has: fencing between
 * dispatchers, taking over a dead dispatcher's tasks (and never a live one's), Redis going away and
 * coming back (retention: redis-retention.test.ts). One private redis-server for the file; a fresh key
 * prefix per fixture.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { openRedisBackend, whenReady, type RedisBackend } from "../../src/adapters/redis/index.ts";
import { GROUP, type DispatchQueueOptions, type RedisDispatchQueue } from "../../src/adapters/redis/index.ts";
import { CLAIM } from "../../src/adapters/redis/lua/claim.ts";
import { RECLAIM } from "../../src/adapters/redis/lua/reclaim.ts";
import { DEFERRED_DRAIN_ITEMS } from "../../src/adapters/redis/lua/deferred.ts";
import { ACKED_KEPT } from "../../src/adapters/redis/lua/shared.ts";
import type { LimitsTable } from "../../src/domain/tenant-limits.ts";
import { describeTaskQueue } from "../contracts/task-queue.ts";
import { systemClock } from "../../src/adapters/system/index.ts";
import type { Clock } from "../../src/domain/ports.ts";
import { BackendTimeoutError, BackendUnavailableError } from "../../src/domain/errors.ts";
import { applyTransition, newTask, startAttempt, type Task, type Transition } from "../../src/domain/task.ts";
import { attemptEnded, attemptStarted } from "../../src/domain/attempt-log.ts";
import { decodeTask, encodeEnd } from "../../src/adapters/redis/task-codec.ts";
import { describeFunctionStore } from "../contracts/function-store.ts";
import { describeScheduleStore } from "../contracts/schedule-store.ts";
import { describeTaskEvents } from "../contracts/task-events.ts";
import { describeTaskStats } from "../contracts/task-stats.ts";
import { describeTaskStore } from "../contracts/task-store.ts";
import { describeOperationsStore } from "../contracts/task-operations.ts";
import { expireTerminal, opsOf } from "../helpers/redis-contracts.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

let server: RedisServer;
let admin: Redis;
const opened: RedisBackend[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});

afterAll(async () => {
  await Promise.all(opened.map((b) => b.close()));
  admin?.disconnect();
  await server?.[Symbol.asyncDispose]();
});

let seq = 0;
function freshPrefix(): string {
  return `test-${process.pid}-${++seq}`;
}

interface OpenOptions {
  readonly prefix?: string;
  readonly url?: string;
  readonly retentionMs?: number;
  readonly consumer?: Partial<Pick<DispatchQueueOptions, "livenessMs" | "blockMs" | "reclaimEveryMs">>;
  readonly clock?: Clock;
  /** Register the function "f-1" that `tasks()` uses (default true). */
  readonly withF1?: boolean;
  readonly agingMs?: number;
  readonly limits?: LimitsTable;
}

/**
 * A backend on a fresh (or given) prefix, with the dispatcher side (`queue`) of a dispatcher named
 * `dispatcherId`, once connected; the function "f-1" that `tasks()` uses is registered.
 */
interface Opened extends RedisBackend {
  readonly prefix: string;
  readonly dispatcherId: string;
  readonly queue: RedisDispatchQueue;
}

async function open(o: OpenOptions = {}): Promise<Opened> {
  const prefix = o.prefix ?? freshPrefix();
  const dispatcherId = `d-${++seq}`;
  const backend = openRedisBackend({
    url: o.url ?? server.url,
    prefix,
    clock: o.clock ?? systemClock,
    retentionMs: o.retentionMs ?? 60_000,
    ...(o.agingMs !== undefined && { agingMs: o.agingMs }),
    ...(o.limits !== undefined && { limits: o.limits }),
  });
  const queue = backend.dispatchQueue({ dispatcherId, livenessMs: 10_000, reclaimEveryMs: 50, ...o.consumer });
  opened.push(backend);
  await whenReady(backend.redis, 5000, systemClock);
  if (o.withF1 !== false) await backend.functions.save(F1);
  return Object.assign(backend, { prefix, dispatcherId, queue });
}

async function closeBackend(b: RedisBackend): Promise<void> {
  opened.splice(opened.indexOf(b), 1);
  await b.close();
}

const F1 = { id: "f-1", tenant: "default", name: "f", source: "(x) => x", code: "(x) => x", timeoutMs: 1000, maxAttempts: 3, createdAt: 0 };

/** A batch of new tasks created in one millisecond, as the API makes them. */
function tasks(n: number, maxAttempts = 3): Task[] {
  const now = Date.now();
  return Array.from({ length: n }, () => newTask(crypto.randomUUID(), "f-1", "[1]", maxAttempts, 1000, now));
}

const never = new AbortController().signal;

/** Scripts run so far, from INFO commandstats: EVALSHA, EVAL and FCALL calls. */
function scriptCalls(commandstats: string): number {
  return ["evalsha", "eval", "fcall"].reduce((n, c) => n + Number(new RegExp(`cmdstat_${c}:calls=(\\d+)`).exec(commandstats)?.[1] ?? 0), 0);
}

/** True once the dispatcher's claim connection is blocked in XREAD (its claim waits for entries). */
function blockedInXread(client: Redis, store: Opened): () => Promise<boolean> {
  // (its lean connection on one server: lean-lanes.ts)
  const names = [`name=bunfaas-claim-${store.dispatcherId} `, `name=bunfaas-claim-${store.dispatcherId}-lean `];
  return async () => String(await client.client("LIST")).split("\n").some((line) => names.some((n) => line.includes(n)) && line.includes("cmd=xread"));
}

describeTaskStore("redis", async () => {
  const b = await open();
  return { store: b.tasks, queue: b.queue, expireAll: () => expireTerminal(admin, b), close: () => closeBackend(b) };
});
describeTaskQueue("redis", async (o) => {
  const clock = new FakeClock(Date.now());
  const b = await open({ clock, ...o });
  return { store: b.tasks, queue: b.queue, clock, close: () => closeBackend(b) };
});
describeTaskStats("redis", async () => {
  const clock = new FakeClock(Date.now());
  const b = await open({ clock });
  return { store: b.tasks, queue: b.queue, clock, close: () => closeBackend(b) };
});
describeOperationsStore("redis", async () => {
  const clock = new FakeClock(Date.now());
  const b = await open({ clock });
  for (const id of ["f-2", "f-3"]) await b.functions.save({ ...F1, id });
  return { store: Object.assign(b.tasks, opsOf(b)), queue: b.queue, clock, expireAll: () => expireTerminal(admin, b), close: () => closeBackend(b) };
});
describeFunctionStore("redis", async () => {
  const b = await open({ withF1: false });
  return { store: b.functions, close: () => closeBackend(b) };
});
describeTaskEvents("redis", async () => {
  const b = await open();
  return { events: b.events, close: () => closeBackend(b) };
});

describeScheduleStore("redis", async () => {
  const b = await open({ withF1: false });
  return { store: b.schedules, close: () => closeBackend(b) };
});

describeTaskEvents("redis cancel signals", async () => {
  const b = await open();
  return { events: b.cancels, close: () => closeBackend(b) };
});

describe("Redis hand-out to idle dispatchers", () => {
  const idleIn = async (b: Opened): Promise<Record<string, string>> => admin.hgetall(b.keys.shards[0]!.idle);
  const handedOutTo = async (b: Opened): Promise<number> => (await admin.xrange(b.keys.shards[0]!.handout(b.dispatcherId), "-", "+")).length;

  /** A dispatcher whose last claim took fewer tasks than it asked for (noted idle), not waiting now. */
  async function idleDispatcher(o: OpenOptions = {}): Promise<Opened> {
    const b = await open({ consumer: { reclaimEveryMs: 60_000, blockMs: 5000 }, ...o });
    expect(await b.queue.claim(5, AbortSignal.timeout(20))).toEqual([]);
    // the aborted claim left the hash; a look that finds nothing notes it again
    await CLAIM.run(admin, b.keys.shards[0]!.scriptKeys, [GROUP, b.dispatcherId, 5, Date.now(), 30_000, ""]);
    expect(Object.keys(await idleIn(b))).toContain(b.dispatcherId);
    return b;
  }

  test("what was handed to a dispatcher that was not waiting comes with its next claim, once, not taken for lost", async () => {
    const b = await idleDispatcher({ consumer: { reclaimEveryMs: 0, blockMs: 5000 } });
    const [t, u] = tasks(2);
    await b.tasks.enqueue([t!], { maxQueue: 10 });
    expect(await handedOutTo(b)).toBe(1);
    expect(Object.values(await idleIn(b)).map((v) => v.split(" ").slice(0, 2).join(" "))).toEqual(["4 30000"]); // still idle, with one slot fewer
    expect(await b.tasks.get(t!.id)).toMatchObject({ status: "RUNNING", attempt: 1 });
    await admin.hdel(b.keys.shards[0]!.idle, b.dispatcherId);
    await b.tasks.enqueue([u!], { maxQueue: 10 }); // nobody idle: queued, for any claim
    expect(await b.tasks.get(u!.id)).toMatchObject({ status: "QUEUED" });
    // reclaimEveryMs 0: the claim's first look is RECLAIM, which counts pending entries against held ones
    const got = await b.queue.claim(5, never);
    expect(got.map((x) => [x.id, x.attempt])).toEqual([[t!.id, 1]]);
    expect(await handedOutTo(b)).toBe(0);
    const next = await b.queue.claim(5, never);
    expect(next.map((x) => [x.id, x.attempt])).toEqual([[u!.id, 1]]); // t is not adopted as lost, nor handed over again
    await b.queue.apply([...got, ...next].map((x) => ({ taskId: x.id, attempt: 1, status: "COMPLETED" as const, result: "1" })));
    expect((await b.tasks.getMany([t!.id, u!.id])).map((x) => x?.status)).toEqual(["COMPLETED", "COMPLETED"]);
  });

  test("RECLAIM counts a hand-out's tasks as the one queue entry they share: an entry lost beside them is still seen", async () => {
    const b = await open({ consumer: { reclaimEveryMs: 60_000, blockMs: 5000 } });
    expect(await b.queue.claim(5, AbortSignal.timeout(20))).toEqual([]); // b is live
    const keys = b.keys.shards[0]!;
    const [v, t1, t2] = tasks(3);
    await b.tasks.enqueue([v!], { maxQueue: 10 });
    await CLAIM.run(admin, keys.scriptKeys, [GROUP, b.dispatcherId, 1, Date.now(), 30_000, ""]); // v's claim, its reply lost
    await CLAIM.run(admin, keys.scriptKeys, [GROUP, b.dispatcherId, 5, Date.now(), 30_000, ""]); // nothing more: b noted idle
    await b.tasks.enqueue([t1!, t2!], { maxQueue: 10 }); // handed to b as one entry, not read yet
    expect(await handedOutTo(b)).toBe(1);
    const reply = (await RECLAIM.run(admin, keys.scriptKeys, [GROUP, b.dispatcherId, 10, Date.now(), keys.taskPrefix, keys.livePrefix, ""])) as unknown[];
    expect(reply[0]).toBe(1); // 2 entries pending less the hand-out's one: v's, which b does not hold
    expect(reply[2]).toBe(2); // the hand-out's two tasks come back with the reply
    expect(reply.slice(3).map((json) => JSON.parse(json as string).id).sort()).toEqual([t1!.id, t2!.id].sort());
  });

  test("a dispatcher noted idle whose liveness key is gone gets nothing: the task stays queued for the others", async () => {
    const b = await idleDispatcher();
    await admin.del(b.keys.shards[0]!.live(b.dispatcherId));
    const [t] = tasks(1);
    await b.tasks.enqueue([t!], { maxQueue: 10 });
    expect(await b.tasks.get(t!.id)).toMatchObject({ status: "QUEUED", attempt: 0 });
    expect(await idleIn(b)).toEqual({});
    expect(await handedOutTo(b)).toBe(0);
  });

  test("an idle note holds for a while only: a dispatcher that stopped renewing it (dead, say) gets nothing, before its liveness key expires", async () => {
    const b = await open({ consumer: { reclaimEveryMs: 60_000, blockMs: 5000 } });
    expect(await b.queue.claim(5, AbortSignal.timeout(20))).toEqual([]); // alive (its liveness key), not noted
    await CLAIM.run(admin, b.keys.shards[0]!.scriptKeys, [GROUP, b.dispatcherId, 5, Date.now() - 10_000, 30_000, "", 3000]); // noted 10 s ago, for 3 s
    expect(Number((await idleIn(b))[b.dispatcherId]?.split(" ")[2])).toBeLessThan(Date.now());
    expect(await admin.exists(b.keys.shards[0]!.live(b.dispatcherId))).toBe(1); // still taken for alive
    const [t] = tasks(1);
    await b.tasks.enqueue([t!], { maxQueue: 10 });
    expect(await b.tasks.get(t!.id)).toMatchObject({ status: "QUEUED", attempt: 0 });
    expect(await idleIn(b)).toEqual({});
  });

  test("a dispatcher kept busy by hand-outs renews its idle note in time: every task queued one at a time is handed over", async () => {
    const b = await open({ consumer: { reclaimEveryMs: 60_000, blockMs: 500 } }); // the note holds 1.5 s, renewed after 0.5 s
    expect(await b.queue.claim(10_000, never)).toEqual([]); // a look notes it idle (10,000 free slots); the wait runs out
    const noteUntil = async (): Promise<number> => Number((await idleIn(b))[b.dispatcherId]?.split(" ")[2] ?? 0);
    const seen = new Set([await noteUntil()]);
    let handed = 0;
    await waitFor(async () => {
      const [t] = tasks(1);
      await b.tasks.enqueue([t!], { maxQueue: 10 });
      expect(await b.tasks.get(t!.id)).toMatchObject({ status: "RUNNING", attempt: 1 }); // handed over, not queued
      const [got] = await b.queue.claim(10_000, never);
      await b.queue.apply([{ taskId: got!.id, attempt: 1, status: "COMPLETED", result: "1" }]);
      handed++;
      seen.add(await noteUntil());
      return seen.size >= 3; // renewed twice: longer than one note's life
    }, "the note renewed twice while hand-outs kept the dispatcher busy", 15_000, 1);
    expect(handed).toBeGreaterThan(1);
  });

  test("an idle dispatcher gets at most its free slots; the rest stay queued and the wake stream moves for the others", async () => {
    const b = await idleDispatcher();
    const wakeBefore = await admin.xlen(b.keys.shards[0]!.wake);
    const ts = tasks(8);
    await b.tasks.enqueue(ts, { maxQueue: 100 });
    const handed = (await admin.xrange(b.keys.shards[0]!.handout(b.dispatcherId), "-", "+")).flatMap(([, fields]) => fields.filter((_, i) => i % 2 === 1));
    expect(handed.map((j) => decodeTask(j).id)).toEqual(ts.slice(0, 5).map((x) => x.id));
    expect(await idleIn(b)).toEqual({}); // no slot left: off the hash
    expect(await admin.xlen(b.keys.shards[0]!.wake)).toBe(wakeBefore + 1);
    expect((await b.tasks.getMany(ts.map((x) => x.id))).map((x) => x?.status)).toEqual([...Array(5).fill("RUNNING"), ...Array(3).fill("QUEUED")]);
  });

  test("tasks queued one at a time go to the idle dispatcher with the most free slots, so they spread over idle dispatchers", async () => {
    const a = await idleDispatcher();
    const b = await idleDispatcher({ prefix: a.prefix, withF1: false });
    for (const t of tasks(4)) await a.tasks.enqueue([t], { maxQueue: 10 });
    expect([await handedOutTo(a), await handedOutTo(b)]).toEqual([2, 2]);
    expect(Object.values(await idleIn(a)).map((v) => v.split(" ")[0])).toEqual(["3", "3"]);
  });

  test("stopping hands back what was handed over and not read: QUEUED again, no attempt spent, and another dispatcher runs it", async () => {
    const b = await idleDispatcher();
    const [t] = tasks(1, 1);
    await b.tasks.enqueue([t!], { maxQueue: 10 });
    expect(await b.tasks.get(t!.id)).toMatchObject({ status: "RUNNING", attempt: 1 });
    await closeBackend(b);
    expect(await idleIn(b)).toEqual({});
    const other = await open({ prefix: b.prefix, withF1: false });
    expect(await other.tasks.get(t!.id)).toMatchObject({ status: "QUEUED" });
    const [again] = await other.queue.claim(1, never);
    expect(again?.id).toBe(t!.id);
    await other.queue.apply([{ taskId: t!.id, attempt: again!.attempt, status: "COMPLETED", result: "1" }]);
    expect(await other.tasks.get(t!.id)).toMatchObject({ status: "COMPLETED" }); // max_attempts 1: the hand-back did not spend it
  });

  /** Calls of `command` Redis has run (scripts' own calls included). */
  const calls = async (command: string): Promise<number> => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await admin.info("commandstats"))?.[1] ?? 0);

  test("new tasks that would be the shard's only queued ones start at once on an idle dispatcher with room: stored RUNNING, never on a ready list, counted submitted and never queued", async () => {
    const b = await idleDispatcher();
    const shard = b.keys.shards[0]!;
    const ts = tasks(2);
    const [rpush, lrange] = [await calls("rpush"), await calls("lrange")];
    await b.tasks.enqueue(ts, { maxQueue: 10 });
    expect([await calls("rpush"), await calls("lrange")]).toEqual([rpush, lrange]); // the ready list was never used
    const stored = await b.tasks.getMany(ts.map((t) => t.id));
    expect(stored.map((t) => [t?.status, t?.attempt, t?.attempts?.length])).toEqual([["RUNNING", 1, 1], ["RUNNING", 1, 1]]);
    expect(await admin.get(shard.queued)).toBeNull();
    expect(await admin.hmget(shard.statsOf("default"), "submitted", "queued")).toEqual(["2", null]);
    expect(Object.values(await idleIn(b)).map((v) => v.split(" ")[0])).toEqual(["3"]);
    // as any hand-out: read with the next claim, settled through APPLY's fast path, counted finished
    const got = await b.queue.claim(5, never);
    expect(got.map((x) => x.id)).toEqual(ts.map((t) => t.id));
    expect(((await admin.xpending(shard.queue, GROUP)) as unknown[])[0]).toBe(1); // in its pending list, as claimed ones: one entry for both
    await b.queue.apply(got.map((x) => ({ taskId: x.id, attempt: 1, status: "COMPLETED" as const, result: "1" })));
    expect((await b.tasks.getMany(ts.map((t) => t.id))).map((x) => x?.status)).toEqual(["COMPLETED", "COMPLETED"]);
    expect(await admin.hget(shard.statsOf("default"), "finished:COMPLETED")).toBe("2");
  });

  test("a task that goes the short way alone and ends alone defers its counters and index entries to one drain; every reader drains first, so it reads them exact", async () => {
    const b = await idleDispatcher();
    const shard = b.keys.shards[0]!;
    const P = shard.opsPrefix;
    const [t, u] = tasks(2);
    await b.tasks.enqueue([t!], { maxQueue: 10 });
    expect(await admin.llen(`${P}deferred`)).toBe(1);
    expect(await admin.hget(shard.statsOf("default"), "submitted")).toBeNull(); // not written yet
    const got = await b.queue.claim(5, never);
    await b.queue.apply(got.map((x) => ({ taskId: x.id, attempt: 1, status: "FAILED" as const, result: '{"name":"TypeError","message":"x","stack":""}' })));
    expect(await admin.llen(`${P}deferred`)).toBe(2);
    expect(await admin.hget(shard.statsOf("default"), "finished:FAILED")).toBeNull();
    const stats = await b.tasks.snapshot("default");
    expect([stats.submitted, stats.finished.FAILED, stats.failures["TypeError"], stats.queued]).toEqual([1, 1, 1, 0]);
    expect(stats.duration.buckets.reduce((a, n) => a + n, 0)).toBe(1);
    expect(await admin.llen(`${P}deferred`)).toBe(0);
    const ended = (await b.tasks.get(t!.id))!.updatedAt;
    expect(await admin.zrange(`${P}d:default:FAILED`, 0, -1, "WITHSCORES")).toEqual([t!.id, String(ended)]); // scored by its own end
    expect(await admin.zrange(`${P}fd:f-1:FAILED`, 0, -1)).toEqual([t!.id]);
    expect(await admin.zcard(`${P}a:default`)).toBe(0); // its enqueue and end met in one drain: never indexed unfinished
    expect(await admin.hmget(`${P}fs:f-1`, "submitted", "F")).toEqual(["1", "1"]);
    expect((await b.operations.functionCounts(["f-1"])).get("f-1")).toMatchObject({ submitted: 1 });
    // a listing drains too: a lone task still running is listed RUNNING
    await b.tasks.enqueue([u!], { maxQueue: 10 });
    expect(await admin.llen(`${P}deferred`)).toBe(1);
    expect((await b.operations.list({ tenant: "default", status: "RUNNING", limit: 10 })).tasks.map((x) => x.id)).toEqual([u!.id]);
    expect([await admin.llen(`${P}deferred`), await admin.zcard(`${P}a:default`)]).toEqual([0, 1]);
  });

  test("a lone task that defers its end is announced as any other: its record, or its id when the record is over 64 KiB", async () => {
    const b = await idleDispatcher();
    const P = b.keys.shards[0]!.opsPrefix;
    const raw = admin.duplicate();
    const messages: unknown[][] = [];
    raw.on("message", (_channel: string, message: string) => void messages.push(JSON.parse(message) as unknown[]));
    await raw.subscribe(`${b.prefix}:events`);
    try {
      const [small, big] = tasks(2);
      for (const [t, result] of [[small!, "7"], [big!, JSON.stringify("x".repeat(70_000))]] as const) {
        await b.tasks.enqueue([t], { maxQueue: 10 });
        const got = await b.queue.claim(5, never);
        await b.queue.apply(got.map((x) => ({ taskId: x.id, attempt: 1, status: "COMPLETED" as const, result })));
      }
      expect(await admin.llen(`${P}deferred`)).toBe(4); // both ends deferred
      await waitFor(() => messages.length >= 2, "both announcements");
      expect(messages[0]).toEqual([expect.objectContaining({ id: small!.id, status: "COMPLETED", result: "7" })]);
      expect(messages[1]).toEqual([big!.id]);
    } finally {
      raw.disconnect();
    }
  });

  test("a lone task whose enqueue is still deferred is indexed before anything else ends it: cancelled while it runs, it leaves the unfinished index", async () => {
    const b = await idleDispatcher();
    const P = b.keys.shards[0]!.opsPrefix;
    const [t] = tasks(1);
    await b.tasks.enqueue([t!], { maxQueue: 10 });
    expect(await admin.llen(`${P}deferred`)).toBe(1);
    expect((await b.tasks.cancel(t!.id)).ok).toBe(true);
    expect(await admin.llen(`${P}deferred`)).toBe(0);
    expect([await admin.zcard(`${P}a:default`), await admin.hlen(`${P}al:default`)]).toEqual([0, 0]);
    expect(await admin.zrange(`${P}d:default:CANCELLED`, 0, -1)).toEqual([t!.id]);
    const stats = await b.tasks.snapshot("default");
    expect([stats.submitted, stats.finished.CANCELLED]).toEqual([1, 1]);
    // the attempt the dispatcher was handed is refused when it settles
    const got = await b.queue.claim(5, never);
    expect(await b.queue.apply(got.map((x) => ({ taskId: x.id, attempt: 1, status: "COMPLETED" as const, result: "1" })))).toEqual([]);
    expect((await b.tasks.get(t!.id))?.status).toBe("CANCELLED");
  });

  test(`the deferred list is drained by APPLY once it holds ${DEFERRED_DRAIN_ITEMS} items, by APPLY of several tasks, and by the periodic RECLAIM`, async () => {
    const b = await idleDispatcher();
    const shard = b.keys.shards[0]!;
    const deferred = `${shard.opsPrefix}deferred`;
    const finished = async (): Promise<number> => Number((await admin.hget(shard.statsOf("default"), "finished:COMPLETED")) ?? 0);
    const done = (x: Task) => ({ taskId: x.id, attempt: 1, status: "COMPLETED" as const, result: "1" });
    /** n tasks one at a time, each handed to the idle dispatcher alone and settled alone: two items each */
    const lone = async (n: number): Promise<void> => {
      for (const t of tasks(n)) {
        await admin.hset(shard.idle, b.dispatcherId, `5 30000 ${Date.now() + 60_000}`); // idle with room, whatever its note said
        await b.tasks.enqueue([t], { maxQueue: 10 });
        await b.queue.apply((await b.queue.claim(5, never)).map(done));
      }
    };
    const perDrain = DEFERRED_DRAIN_ITEMS / 2;
    await lone(perDrain - 1);
    expect([await admin.llen(deferred), await finished()]).toEqual([DEFERRED_DRAIN_ITEMS - 2, 0]);
    await lone(1);
    expect([await admin.llen(deferred), await finished()]).toEqual([0, perDrain]);
    await lone(1);
    expect(await admin.llen(deferred)).toBe(2);
    const two = tasks(2);
    await b.tasks.enqueue(two, { maxQueue: 10 });
    await b.queue.apply((await b.queue.claim(5, never)).map(done)); // two at once: drained first, then written
    expect([await admin.llen(deferred), await finished()]).toEqual([0, perDrain + 3]);
    await lone(1);
    expect(await admin.llen(deferred)).toBe(2);
    await b.queue.reclaim(10);
    expect([await admin.llen(deferred), await finished()]).toEqual([0, perDrain + 4]);
    expect(await admin.zcard(`${shard.opsPrefix}a:default`)).toBe(0);
    expect((await b.tasks.snapshot("default")).submitted).toBe(perDrain + 4);
  });

  test("a lone end that defers leaves the queue stream's trim check (one XLEN) to the APPLY that drains", async () => {
    const b = await idleDispatcher();
    const shard = b.keys.shards[0]!;
    const lone = async (n: number): Promise<void> => {
      for (const t of tasks(n)) {
        await admin.hset(shard.idle, b.dispatcherId, `5 30000 ${Date.now() + 60_000}`);
        await b.tasks.enqueue([t], { maxQueue: 10 });
        await b.queue.apply((await b.queue.claim(5, never)).map((x) => ({ taskId: x.id, attempt: 1, status: "COMPLETED" as const, result: "1" })));
      }
    };
    const before = await calls("xlen");
    const perDrain = DEFERRED_DRAIN_ITEMS / 2;
    await lone(perDrain - 1); // deferred (each task's enqueue waits there before its end), no drain yet
    expect([await admin.llen(`${shard.opsPrefix}deferred`), await calls("xlen")]).toEqual([DEFERRED_DRAIN_ITEMS - 2, before]);
    await lone(1); // this one drains, and checks
    expect([await admin.llen(`${shard.opsPrefix}deferred`), await calls("xlen")]).toEqual([0, before + 1]);
    expect(await admin.xpending(shard.queue, GROUP)).toEqual([0, null, null, null]); // every entry acked all the same
  });

  test("a lone end reads no length of the deferred list: its item goes on with RPUSHX, and with nothing deferred it is written at once", async () => {
    const b = await idleDispatcher();
    const shard = b.keys.shards[0]!;
    const deferred = `${shard.opsPrefix}deferred`;
    /** one task handed over alone; its APPLY's LLEN calls (the outbox's length is one) */
    const lone = async (): Promise<number> => {
      await admin.hset(shard.idle, b.dispatcherId, `5 30000 ${Date.now() + 60_000}`);
      await b.tasks.enqueue(tasks(1), { maxQueue: 10 });
      const got = await b.queue.claim(5, never);
      const before = await calls("llen");
      await b.queue.apply(got.map((x) => ({ taskId: x.id, attempt: 1, status: "COMPLETED" as const, result: "1" })));
      return (await calls("llen")) - before;
    };
    expect(await lone()).toBe(1); // its enqueue waits there: its end is deferred behind it
    expect(await admin.llen(deferred)).toBe(2);
    await b.queue.reclaim(10); // drained
    expect(await admin.exists(deferred)).toBe(0);
    // a task claimed, not handed over alone, ends alone with nothing deferred: written at once
    const [t] = tasks(1);
    await admin.hdel(shard.idle, b.dispatcherId); // nobody idle: queued, then claimed
    await b.tasks.enqueue([t!], { maxQueue: 10 });
    const got = await b.queue.claim(5, never);
    expect(got.map((x) => x.id)).toEqual([t!.id]);
    const before = await calls("llen");
    await b.queue.apply(got.map((x) => ({ taskId: x.id, attempt: 1, status: "COMPLETED" as const, result: "1" })));
    expect([(await calls("llen")) - before, await admin.exists(deferred)]).toEqual([1, 0]);
    expect(await admin.hget(shard.statsOf("default"), "finished:COMPLETED")).toBe("2");
  });

  test("a lone task's tenant is noted in the shard's tenants set by the drain of its deferred enqueue, not by the enqueue", async () => {
    const b = await idleDispatcher();
    const shard = b.keys.shards[0]!;
    await admin.del(shard.tenants); // as records of a version whose REGISTER did not note the tenant
    const before = await calls("sadd");
    const [t] = tasks(1);
    await b.tasks.enqueue([t!], { maxQueue: 10 }); // the short way: deferred
    expect([await calls("sadd"), await admin.smembers(shard.tenants)]).toEqual([before, []]);
    expect((await b.tasks.snapshot("default")).submitted).toBe(1); // a reader drains first
    expect(await admin.smembers(shard.tenants)).toEqual(["default"]);
  });

  test("a dispatcher's hand-out stream lives an hour from its last idle note; a hand-over makes it with its hour and leaves an existing one's alone", async () => {
    const b = await idleDispatcher();
    const shard = b.keys.shards[0]!;
    const stream = shard.handout(b.dispatcherId);
    const [t, u] = tasks(2);
    await admin.del(stream);
    await b.tasks.enqueue([t!], { maxQueue: 10 }); // handed over: the stream is made, with its hour
    expect(await admin.pttl(stream)).toBeGreaterThan(3_590_000);
    await admin.pexpire(stream, 50_000);
    await b.tasks.enqueue([u!], { maxQueue: 10 }); // handed over to the existing stream: its time is left as it is
    expect(await handedOutTo(b)).toBe(2);
    expect(await admin.pttl(stream)).toBeLessThanOrEqual(50_000);
    await CLAIM.run(admin, shard.scriptKeys, [GROUP, b.dispatcherId, 5, Date.now(), 30_000, ""]); // takes both, notes itself idle again
    expect(await admin.pttl(stream)).toBeGreaterThan(3_590_000);
  });

  /** A live dispatcher noted idle by hand with `note` ("<free slots> <aging> <valid until> <limits...>"). */
  async function notedIdle(note: (until: number) => string): Promise<Opened> {
    const b = await open({ consumer: { reclaimEveryMs: 60_000, blockMs: 5000 } });
    expect(await b.queue.claim(5, AbortSignal.timeout(20))).toEqual([]); // alive (its liveness key); the aborted claim left the hash
    await admin.hset(b.keys.shards[0]!.idle, b.dispatcherId, note(Date.now() + 60_000));
    return b;
  }

  test("with a task already queued in the shard, new ones queue behind it: the older one is handed over first", async () => {
    const b = await notedIdle((until) => `1 30000 ${until}`);
    const [older, newer] = tasks(2);
    await admin.hdel(b.keys.shards[0]!.idle, b.dispatcherId);
    await b.tasks.enqueue([older!], { maxQueue: 10 }); // nobody idle: queued
    await admin.hset(b.keys.shards[0]!.idle, b.dispatcherId, `1 30000 ${Date.now() + 60_000}`); // idle again, one slot
    await b.tasks.enqueue([newer!], { maxQueue: 10 });
    expect((await b.tasks.getMany([older!.id, newer!.id])).map((x) => x?.status)).toEqual(["RUNNING", "QUEUED"]);
  });

  test("an idle dispatcher without room for every new task, or noting limits, leaves them to the ordinary way", async () => {
    const rpush = await calls("rpush");
    const small = await notedIdle((until) => `1 30000 ${until}`);
    const two = tasks(2);
    await small.tasks.enqueue(two, { maxQueue: 10 });
    expect(await calls("rpush")).toBe(rpush + 1); // listed as ready, then one claimed
    expect((await small.tasks.getMany(two.map((t) => t.id))).map((x) => x?.status)).toEqual(["RUNNING", "QUEUED"]);
    const limited = await notedIdle((until) => `5 30000 ${until} default 1 -`); // a running limit noted
    const [t] = tasks(1);
    await limited.tasks.enqueue([t!], { maxQueue: 10 });
    expect(await calls("rpush")).toBe(rpush + 2);
    expect(await limited.tasks.get(t!.id)).toMatchObject({ status: "RUNNING" }); // claimed the ordinary way
  });

  test("an aborted claim takes the dispatcher off the idle hash, with what was handed to it meanwhile", async () => {
    const b = await idleDispatcher();
    const [t] = tasks(1);
    await b.tasks.enqueue([t!], { maxQueue: 10 });
    const ac = new AbortController();
    ac.abort();
    const got = await b.queue.claim(5, ac.signal);
    expect(got.map((x) => x.id)).toEqual([t!.id]);
    expect(await idleIn(b)).toEqual({});
  });
});

describe("Redis task store", () => {
  test("peekMany: unfinished tasks as status and tenant (read without decoding), also those a script rewrote, terminal ones whole, unknown ones undefined", async () => {
    const b = await open();
    const [later, running, done, requeued] = tasks(4);
    const delayed = { ...later!, runAt: Date.now() + 60_000 }; // never claimed here
    const alice = { ...running!, tenant: "alice" };
    await b.tasks.enqueue([delayed, done!, requeued!], { maxQueue: 100 });
    await b.tasks.enqueue([alice], { maxQueue: 100 });
    const claimed = await b.queue.claim(3, never);
    const of = (id: string) => claimed.find((t) => t.id === id)!;
    await b.queue.apply([{ taskId: done!.id, attempt: of(done!.id).attempt, status: "COMPLETED", result: '"ok"' }]);
    await b.queue.apply([{ taskId: requeued!.id, attempt: of(requeued!.id).attempt, status: "QUEUED", result: null }]);
    const peeked = await b.tasks.peekMany!([delayed.id, alice.id, done!.id, requeued!.id, "no-such-task"]);
    expect(peeked[0]).toEqual({ unfinished: true, id: delayed.id, status: "QUEUED", tenant: "default" });
    expect(peeked[1]).toEqual({ unfinished: true, id: alice.id, status: "RUNNING", tenant: "alice" });
    expect(peeked[2]).toMatchObject({ id: done!.id, status: "COMPLETED", result: '"ok"' });
    expect(peeked[3]).toEqual({ unfinished: true, id: requeued!.id, status: "QUEUED", tenant: "default" }); // the requeue decoded it and wrote it back head first (encode_task)
    expect(peeked[4]).toBeUndefined();
  });

  test("acked entries stay in the stream until it holds ACKED_KEPT, then leave from the front, up to the oldest one still pending", async () => {
    const b = await open();
    const queue = `${b.prefix}:queue`;
    const n = ACKED_KEPT + 10;
    await b.tasks.enqueue(tasks(n), { maxQueue: 2 * n });
    const claimed: Task[] = [];
    while (claimed.length < n) claimed.push(...(await b.queue.claim(1, never))); // one entry per claim
    const done = (ts: Task[]) => b.queue.apply(ts.map((t) => ({ taskId: t.id, attempt: t.attempt, status: "COMPLETED" as const, result: "null" })));
    await done(claimed.slice(0, 5)); // the stream holds ACKED_KEPT or more: trimmed up to the sixth, the oldest pending
    expect(await admin.xlen(queue)).toBe(n - 5);
    await done(claimed.slice(6)); // the sixth is still running: nothing newer is trimmed
    expect(await admin.xlen(queue)).toBe(n - 5);
    expect(((await admin.xpending(queue, GROUP)) as unknown[])[0]).toBe(1);
    await done([claimed[5]!]);
    expect(await admin.xlen(queue)).toBe(0);
  });

  test("a claim's tasks share one entry, pending until the last of them is settled; the count of each entry's tasks left goes with it", async () => {
    const b = await open();
    const queue = `${b.prefix}:queue`;
    const left = `${b.prefix}:queue-left`;
    await b.tasks.enqueue(tasks(50), { maxQueue: 100 });
    const claimed = await b.queue.claim(50, never);
    expect(await admin.xlen(queue)).toBe(1);
    const [entry] = (await admin.xrange(queue, "-", "+"))[0] ?? [];
    expect(await admin.hget(left, entry as string)).toBe("50");
    const settle = (ts: Task[]) => b.queue.apply(ts.map((t) => ({ taskId: t.id, attempt: t.attempt, status: "COMPLETED" as const, result: "null" })));
    await settle(claimed.slice(0, 49));
    expect(((await admin.xpending(queue, GROUP)) as unknown[])[0]).toBe(1); // one task still runs on it
    expect(await admin.hget(left, entry as string)).toBe("1");
    await settle(claimed.slice(49));
    expect(((await admin.xpending(queue, GROUP)) as unknown[])[0]).toBe(0);
    expect(await admin.hlen(left)).toBe(0);
  });

  test("finished tasks leave nothing pending; their acked entries stay only while the stream holds fewer than ACKED_KEPT", async () => {
    const b = await open();
    const queue = `${b.prefix}:queue`;
    await b.tasks.enqueue(tasks(50), { maxQueue: 100 });
    const claimed: Task[] = [];
    while (claimed.length < 50) claimed.push(...(await b.queue.claim(10, never)));
    expect(await admin.xlen(queue)).toBe(5);
    expect(((await admin.xpending(queue, GROUP)) as unknown[])[0]).toBe(5);
    await b.queue.apply(claimed.map((t) => ({ taskId: t.id, attempt: t.attempt, status: "COMPLETED" as const, result: "null" })));
    expect(await admin.xlen(queue)).toBe(5); // kept: a trim is due at ACKED_KEPT
    expect(((await admin.xpending(queue, GROUP)) as unknown[])[0]).toBe(0);
    expect(await b.tasks.queueDepth()).toBe(0);
    const more = tasks(ACKED_KEPT);
    await b.tasks.enqueue(more, { maxQueue: 2 * ACKED_KEPT });
    const running: Task[] = [];
    while (running.length < more.length) running.push(...(await b.queue.claim(1, never))); // an entry each
    await b.queue.apply(running.map((t) => ({ taskId: t.id, attempt: t.attempt, status: "COMPLETED" as const, result: "null" })));
    expect(await admin.xlen(queue)).toBe(0);
    expect(((await admin.xpending(queue, GROUP)) as unknown[])[0]).toBe(0);
  });

  test("cancelling leaves nothing behind: a RUNNING task's stream entry at once, a QUEUED one's ready-list entry when a claim reaches it", async () => {
    const b = await open({ retentionMs: 60_000 });
    const queue = `${b.prefix}:queue`;
    const readyList = `${b.prefix}:ready:default`;
    const [running, queued] = tasks(2);
    await b.tasks.enqueue([running!, queued!], { maxQueue: 10 });
    await b.queue.claim(1, never);
    expect(await admin.xlen(queue)).toBe(1); // the hand-out of the running one
    expect((await b.tasks.cancel(running!.id)).ok).toBe(true);
    expect(((await admin.xpending(queue, GROUP)) as unknown[])[0]).toBe(0); // acked (kept in the stream until ACKED_KEPT)
    expect(await admin.llen(readyList)).toBe(1);
    expect((await b.tasks.cancel(queued!.id)).ok).toBe(true);
    expect(await b.tasks.queueDepth()).toBe(0);
    expect(await admin.zscore(`${b.keys.shards[0]!.opsPrefix}d:default:CANCELLED`, queued!.id)).not.toBeNull(); // swept after the retention (redis-retention.test.ts)
    const ac = new AbortController();
    const claiming = b.queue.claim(10, ac.signal); // meets the cancelled task's entry, drops it, then waits
    await waitFor(blockedInXread(admin, b), "the claim to have dropped the cancelled entry and wait in XREAD");
    ac.abort();
    expect(await claiming).toEqual([]);
    expect(await admin.llen(readyList)).toBe(0);
    expect(await admin.sismember(`${b.prefix}:active`, "default")).toBe(0);
    expect(((await admin.xpending(queue, GROUP)) as unknown[])[0]).toBe(0);
    expect(await b.tasks.queueDepth()).toBe(0);
    expect((await b.tasks.get(queued!.id))?.status).toBe("CANCELLED");
  });

  test("10,000 tasks go in with one call and come out in bulk claims, each exactly once", async () => {
    const b = await open();
    const ts = tasks(10_000);
    expect((await b.tasks.enqueue(ts, { maxQueue: 10_000 })).ok).toBe(true);
    expect(await b.tasks.queueDepth()).toBe(10_000);
    const seen = new Set<string>();
    while (seen.size < ts.length) {
      const got = await b.queue.claim(1000, never);
      for (const t of got) {
        expect(seen.has(t.id)).toBe(false);
        seen.add(t.id);
      }
    }
    expect(await b.tasks.queueDepth()).toBe(0);
  });

  test("the task counters cost one HINCRBY per tenant and field per call, however many tasks it carries", async () => {
    const b = await open();
    const hincrbys = async (): Promise<number> => Number(/cmdstat_hincrby:calls=(\d+)/.exec(await admin.info("commandstats"))?.[1] ?? 0);
    const ts = tasks(500);
    const before = await hincrbys();
    await b.tasks.enqueue(ts, { maxQueue: 1000 });
    expect((await hincrbys()) - before).toBe(4); // submitted, queued; the function's submitted and the unfinished group's count (lua/operations.ts)
    const beforeClaim = await hincrbys();
    const claimed = await b.queue.claim(500, never);
    expect(claimed.length).toBe(500);
    const afterClaim = await hincrbys();
    expect(afterClaim - beforeClaim).toBe(1); // queued
    await b.queue.apply(claimed.map((t) => ({ taskId: t.id, attempt: t.attempt, status: "COMPLETED" as const, result: "null" })));
    // finished:COMPLETED, duration_sum_ms, and one duration:<i> per bucket that got tasks (at most 11)
    const applyCalls = (await hincrbys()) - afterClaim;
    expect(applyCalls).toBeGreaterThanOrEqual(3);
    expect(applyCalls).toBeLessThanOrEqual(13);
    const s = await b.tasks.snapshot();
    expect([s.submitted, s.finished.COMPLETED, s.duration.buckets.reduce((x, y) => x + y, 0)]).toEqual([500, 500, 500]);
  });

  test("APPLY publishes the tasks it ends on the events channel: records for small calls (ids for records over 64 KiB), ids for big ones; the dispatcher need not", async () => {
    const b = await open();
    expect(b.queue.announcesFinished).toBe(true);
    const heard: { ids: string[]; finished?: ReadonlyMap<string, Task> }[] = [];
    b.events.subscribe((ids, finished) => void heard.push({ ids: [...ids], ...(finished !== undefined && { finished }) }));
    await waitFor(async () => (await admin.pubsub("NUMSUB", `${b.prefix}:events`))[1] === 1, "the subscription");
    const ts = tasks(2);
    await b.tasks.enqueue(ts, { maxQueue: 10 });
    const claimed = await b.queue.claim(2, never);
    const big = JSON.stringify("x".repeat(70_000));
    await b.queue.apply([
      { taskId: claimed[0]!.id, attempt: claimed[0]!.attempt, status: "COMPLETED", result: "42" },
      { taskId: claimed[1]!.id, attempt: claimed[1]!.attempt, status: "COMPLETED", result: big },
    ]);
    await waitFor(() => heard.length > 0, "the report");
    expect(heard[0]!.ids.sort()).toEqual(claimed.map((t) => t.id).sort());
    expect([...(heard[0]!.finished?.keys() ?? [])]).toEqual([claimed[0]!.id]);
    expect(heard[0]!.finished?.get(claimed[0]!.id)).toMatchObject({ status: "COMPLETED", result: "42", attempt: 1 });
    // A big call carries the records too: a long-poll on many tasks (POST /wait) reads none of them again.
    // They come in messages of at most 8,000 bytes (the script builds each in Lua's buffer, see apply.ts).
    const raw = admin.duplicate();
    const sizes: number[] = [];
    let rawRecords = 0;
    raw.on("message", (_channel: string, message: string) => {
      sizes.push(Buffer.byteLength(message));
      rawRecords += (JSON.parse(message) as unknown[]).length;
    });
    await raw.subscribe(`${b.prefix}:events`);
    try {
      const many = tasks(40);
      await b.tasks.enqueue(many, { maxQueue: 100 });
      const running = await b.queue.claim(40, never);
      await b.queue.apply(running.map((t) => ({ taskId: t.id, attempt: t.attempt, status: "COMPLETED" as const, result: "1" })));
      await waitFor(() => heard.slice(1).flatMap((h) => h.ids).length >= 40, "the second call's reports");
      const later = heard.slice(1);
      expect(later.flatMap((h) => h.ids).sort()).toEqual(running.map((t) => t.id).sort());
      expect(later.flatMap((h) => [...(h.finished?.values() ?? [])]).map((t) => [t.status, t.result])).toEqual(Array(40).fill(["COMPLETED", "1"]));
      await waitFor(() => rawRecords >= 40, "the raw messages"); // several, heard as one report or more
      const bytes = sizes.reduce((a, n) => a + n, 0);
      expect(bytes).toBeGreaterThan(8000); // 40 records do not fit one message
      expect(sizes.length).toBeGreaterThanOrEqual(Math.ceil(bytes / 8000));
      expect(Math.max(...sizes)).toBeLessThanOrEqual(8000);
    } finally {
      raw.disconnect();
    }
  });

  test("a task that starts being waited for while it runs: LINK writes hasDeps right after the record's head, where APPLY's fast path looks, so its end still settles the waiting task", async () => {
    const b = await open();
    const [a] = tasks(1);
    await b.tasks.enqueue([a!], { maxQueue: 10 });
    const [running] = await b.queue.claim(1, never);
    const waiting = { ...tasks(1)[0]!, after: [a!.id], blockedBy: 1 };
    await b.tasks.enqueue([waiting], { maxQueue: 10 });
    const idle = new AbortController();
    const claiming = b.queue.claim(10, idle.signal); // a Redis dispatcher carries out dependency work as it claims
    const key = `${b.prefix}:task:${a!.id}`;
    await waitFor(async () => ((await admin.get(key)) ?? "").includes('"hasDeps"'), "the LINK");
    idle.abort();
    expect(await claiming).toEqual([]);
    const raw = (await admin.get(key)) ?? "";
    expect(raw).toMatch(/^\{"status":"RUNNING","attempt":1,"entry":"[0-9]+-[0-9]+","hasDeps":true,/);
    await b.queue.apply([{ taskId: running!.id, attempt: running!.attempt, status: "COMPLETED", result: "5" }]);
    const next = await b.queue.claim(10, never);
    expect(next.map((t) => [t.id, t.status])).toEqual([[waiting.id, "RUNNING"]]);
  });

  test("args with a lone surrogate do not break the scripts", async () => {
    const b = await open();
    const [t] = tasks(1);
    const odd = { ...t!, args: '["\ud800x"]' };
    await b.tasks.enqueue([odd], { maxQueue: 10 });
    const [claimed] = await b.queue.claim(1, never);
    expect(claimed?.id).toBe(odd.id);
    expect(claimed?.args).toBe('["\ufffdx"]');
  });

  test("after a claim that took fewer tasks than it asked for, the next one blocks without looking first; the next enqueue claims for it and hands the task over (no CLAIM round trip)", async () => {
    const b = await open({ consumer: { reclaimEveryMs: 60_000, blockMs: 5000 } });
    const scriptsRun = async (): Promise<number> => scriptCalls(await admin.info("commandstats")); // scripts run (EVALSHA or FCALL)
    const [first, second, third] = tasks(3);
    await b.tasks.enqueue([first!], { maxQueue: 10 });
    expect((await b.queue.claim(10, never)).map((t) => t.id)).toEqual([first!.id]);
    const before = await scriptsRun();
    await b.tasks.enqueue([second!], { maxQueue: 10 }); // between the claims: handed over, the next claim's read has it
    expect((await b.queue.claim(10, never)).map((t) => [t.id, t.status, t.attempt])).toEqual([[second!.id, "RUNNING", 1]]);
    expect(await scriptsRun()).toBe(before + 1); // the ENQUEUE only: no CLAIM before the read
    const next = b.queue.claim(10, never); // a look (noting it idle again), then the wait
    await waitFor(blockedInXread(admin, b), "the claim to block");
    const scripts = await scriptsRun();
    await b.tasks.enqueue([third!], { maxQueue: 10 });
    const got = await next;
    expect(got.map((t) => [t.id, t.status, t.attempt])).toEqual([[third!.id, "RUNNING", 1]]);
    expect(await scriptsRun()).toBe(scripts + 1); // the ENQUEUE only
    expect(await b.tasks.get(third!.id)).toMatchObject({ status: "RUNNING", attempt: 1 });
    await b.queue.apply([{ taskId: third!.id, attempt: 1, status: "COMPLETED", result: "3" }]);
    expect(await b.tasks.get(third!.id)).toMatchObject({ status: "COMPLETED", result: "3" });
  });

  test("two dispatchers claiming at once get every task exactly once; an enqueue elsewhere wakes a waiting claim", async () => {
    const a = await open();
    const prefix = a.prefix;
    const b = await open({ prefix });
    const waiting = b.queue.claim(5, never);
    const ts = tasks(300);
    await a.tasks.enqueue(ts, { maxQueue: 1000 });
    const got: string[] = (await waiting).map((t) => t.id);
    const lane = async (store: Opened): Promise<void> => {
      while ((await store.tasks.queueDepth()) > 0) {
        const ac = new AbortController();
        const timer = setTimeout(() => ac.abort(), 200);
        got.push(...(await store.queue.claim(7, ac.signal)).map((t) => t.id));
        clearTimeout(timer);
      }
    };
    await Promise.all([lane(a), lane(b)]);
    expect(got.length).toBe(300);
    expect(new Set(got).size).toBe(300);
  });
});

describe("Redis dispatchers: fencing and taking over", () => {
  test("a dead dispatcher's task is taken over as a new attempt; its late result is ignored", async () => {
    const a = await open({ consumer: { livenessMs: 200 } });
    const prefix = a.prefix;
    const b = await open({ prefix });
    const [t] = tasks(1);
    await a.tasks.enqueue([t!], { maxQueue: 10 });
    const [mine] = await a.queue.claim(1, never);
    expect(mine?.attempt).toBe(1);
    a.redis.disconnect(); // a stops refreshing its liveness key: it looks dead
    const [taken] = await waitFor(async () => {
      const r = await b.queue.reclaim(10);
      return r.length > 0 ? r : undefined;
    }, "b to take over a's task");
    expect(taken?.id).toBe(t!.id);
    expect(taken?.attempt).toBe(2);
    expect((await b.tasks.snapshot()).retries).toBe(1); // the lost attempt counts as a retry
    await a.redis.connect(); // a comes back and reports attempt 1
    expect(await a.queue.apply([{ taskId: t!.id, attempt: 1, status: "COMPLETED", result: '"from a"' }])).toEqual([]);
    const applied = await b.queue.apply([{ taskId: t!.id, attempt: 2, status: "COMPLETED", result: '"from b"' }]);
    expect(applied.map((x) => x.result)).toEqual(['"from b"']);
    expect((await a.tasks.get(t!.id))?.result).toBe('"from b"');
    expect(((await admin.xpending(`${prefix}:queue`, GROUP)) as unknown[])[0]).toBe(0);
  });

  test("a task settled by the dispatcher that claimed it gets the fields that dispatcher computed in place of its head (APPLY's fast path, no JSON decoded in Redis), attempts and error included", async () => {
    const clock = new FakeClock(Date.now());
    const a = await open({ clock });
    const t = newTask(crypto.randomUUID(), "f-1", "[1]", 3, 1000, clock.now());
    await a.tasks.enqueue([t], { maxQueue: 10 });
    const [mine] = await a.queue.claim(1, never);
    expect((await admin.get(`${a.prefix}:task:${t.id}`))?.startsWith('{"status":"RUNNING","attempt":1,"entry":"')).toBe(true); // the head the fast path fences on
    clock.advance(7);
    const done: Transition = { taskId: t.id, attempt: 1, status: "FAILED", result: JSON.stringify({ name: "TypeError", message: "boom", stack: "" }), ranOn: "thread executor 1" };
    await a.queue.apply([done]);
    const expected = attemptEnded(applyTransition(mine!, done, clock.now())!, done, clock.now());
    const raw = (await admin.get(`${a.prefix}:task:${t.id}`)) as string;
    expect(raw.startsWith(`${encodeEnd(expected).slice(0, -1)},"id":`)).toBe(true); // the changed fields in place of the head, the rest as enqueue wrote it
    expect(decodeTask(raw)).toEqual(expected);
    const stored = await a.tasks.get(t.id);
    expect(stored?.attempts).toEqual([{ attempt: 1, startedAt: clock.now() - 7, endedAt: clock.now(), outcome: "FAILED", ranOn: "thread executor 1", error: { name: "TypeError", message: "boom" } }]);
    expect(((await admin.xpending(`${a.prefix}:queue`, GROUP)) as unknown[])[0]).toBe(0); // its entry acked
  });

  test("the fast paths splice records as text: a '%' in a task's arguments or result is kept as it is", async () => {
    const clock = new FakeClock(Date.now());
    const a = await open({ clock });
    const t = { ...newTask(crypto.randomUUID(), "f-1", '["50%", "%d %1 %%"]', 3, 1000, clock.now()), tenant: "default" };
    await a.tasks.enqueue([t], { maxQueue: 10 });
    const [mine] = await a.queue.claim(1, never);
    expect(mine?.args).toBe('["50%", "%d %1 %%"]');
    clock.advance(2);
    await a.queue.apply([{ taskId: t.id, attempt: 1, status: "COMPLETED", result: '"100% %1 %%"', ranOn: "thread executor 1" }]);
    const stored = await a.tasks.get(t.id);
    expect(stored?.result).toBe('"100% %1 %%"');
    expect(stored?.args).toBe('["50%", "%d %1 %%"]');
    expect(stored?.attempts).toEqual([{ attempt: 1, startedAt: clock.now() - 2, endedAt: clock.now(), outcome: "COMPLETED", ranOn: "thread executor 1" }]);
    expect(((await admin.get(`${a.prefix}:task:${t.id}`)) as string).startsWith('{"status":"COMPLETED","attempt":1,')).toBe(true); // the fast path's layout
  });

  test("a fresh task's first attempt is written by replacing the head enqueue stored (CLAIM's fast path): the same task as the decoding path gives", async () => {
    const clock = new FakeClock(Date.now());
    const a = await open({ clock });
    const t = { ...newTask(crypto.randomUUID(), "f-1", '["x"]', 3, 1000, clock.now()), tenant: "default" };
    await a.tasks.enqueue([t], { maxQueue: 10 });
    expect((await admin.get(`${a.prefix}:task:${t.id}`))?.startsWith(`{"status":"QUEUED","attempt":0,"updatedAt":${clock.now()},"id":`)).toBe(true);
    clock.advance(3);
    const [mine] = await a.queue.claim(1, never);
    const raw = (await admin.get(`${a.prefix}:task:${t.id}`)) as string;
    const entry = JSON.parse(raw).entry as string;
    expect(raw.startsWith(`{"status":"RUNNING","attempt":1,"entry":"${entry}","updatedAt":${clock.now()},"attempts":[{"attempt":1,"startedAt":${clock.now()}}],"id":`)).toBe(true);
    const expected = attemptStarted(startAttempt(t, clock.now()), clock.now());
    expect(mine).toEqual(expected);
    expect(await a.tasks.get(t.id)).toEqual(expected);
  });

  test("a stale dispatcher's settlement is refused on the fast path too: a take-over keeps the entry but not the attempt", async () => {
    const a = await open({ consumer: { livenessMs: 200 } });
    const b = await open({ prefix: a.prefix });
    const [t] = tasks(1);
    await a.tasks.enqueue([t!], { maxQueue: 10 });
    await a.queue.claim(1, never);
    const entryBefore = JSON.parse((await admin.get(`${a.prefix}:task:${t!.id}`)) as string).entry as string;
    a.redis.disconnect();
    await waitFor(async () => ((await b.queue.reclaim(10)).length > 0 ? true : undefined), "b to take over a's task");
    expect(JSON.parse((await admin.get(`${a.prefix}:task:${t!.id}`)) as string).entry).toBe(entryBefore); // XCLAIM keeps the entry id
    await a.redis.connect();
    expect(await a.queue.apply([{ taskId: t!.id, attempt: 1, status: "COMPLETED", result: '"late"' }])).toEqual([]);
    const stored = await a.tasks.get(t!.id);
    expect(stored?.status).toBe("RUNNING");
    expect(stored?.attempt).toBe(2);
  });

  test("a live dispatcher's long-running task is never taken, however long it has been idle", async () => {
    const a = await open({ consumer: { livenessMs: 200 } });
    const prefix = a.prefix;
    const b = await open({ prefix });
    const [t] = tasks(1);
    await a.tasks.enqueue([t!], { maxQueue: 10 });
    await a.queue.claim(1, never);
    await waitFor(async () => {
      const [entry] = (await admin.xpending(`${prefix}:queue`, "dispatchers", "-", "+", 1)) as [string, string, number, number][];
      return entry !== undefined && entry[2] > 1000; // idle for five liveness periods
    }, "the entry to sit idle for a second");
    expect(await b.queue.reclaim(10)).toEqual([]);
    const ac = new AbortController();
    const claiming = b.queue.claim(10, ac.signal); // claim's periodic reclaim must not take it either
    await waitFor(blockedInXread(admin, b), "b's claim to have looked for dead dispatchers and be waiting in XREAD");
    ac.abort();
    expect(await claiming).toEqual([]);
    expect((await b.tasks.get(t!.id))?.attempt).toBe(1);
    a.redis.disconnect();
    const taken = await waitFor(async () => {
      const r = await b.queue.reclaim(10);
      return r.length > 0 ? r : undefined;
    }, "b to take over once a is dead");
    expect(taken.map((x) => x.attempt)).toEqual([2]);
  }, 30_000);

  test("a dead dispatcher's shared entry: only its tasks still running start again; the entry is acked once they are settled", async () => {
    const a = await open({ consumer: { livenessMs: 200 } });
    const prefix = a.prefix;
    const b = await open({ prefix });
    const ts = tasks(3);
    await a.tasks.enqueue(ts, { maxQueue: 10 });
    const mine = await a.queue.claim(3, never);
    expect(await admin.xlen(`${prefix}:queue`)).toBe(1);
    await a.queue.apply([{ taskId: mine[0]!.id, attempt: 1, status: "COMPLETED", result: "1" }]);
    a.redis.disconnect();
    const taken = await waitFor(async () => {
      const r = await b.queue.reclaim(10);
      return r.length > 0 ? r : undefined;
    }, "b to take over a's tasks");
    expect(taken.map((t) => [t.id, t.attempt]).sort()).toEqual([[mine[1]!.id, 2], [mine[2]!.id, 2]].sort());
    expect((await b.tasks.get(mine[0]!.id))?.status).toBe("COMPLETED"); // settled before: not run again
    const [entry] = (await admin.xrange(`${prefix}:queue`, "-", "+"))[0] ?? [];
    expect(await admin.hget(`${prefix}:queue-left`, entry as string)).toBe("2");
    await b.queue.apply([{ taskId: taken[0]!.id, attempt: 2, status: "COMPLETED", result: "2" }]);
    expect(((await admin.xpending(`${prefix}:queue`, GROUP)) as unknown[])[0]).toBe(1);
    await b.queue.apply([{ taskId: taken[1]!.id, attempt: 2, status: "COMPLETED", result: "3" }]);
    expect(((await admin.xpending(`${prefix}:queue`, GROUP)) as unknown[])[0]).toBe(0);
  });

  test("cancelling one task of a shared entry counts it off; the others keep the entry pending", async () => {
    const a = await open();
    const ts = tasks(2);
    await a.tasks.enqueue(ts, { maxQueue: 10 });
    const mine = await a.queue.claim(2, never);
    expect((await a.tasks.cancel(mine[0]!.id)).ok).toBe(true);
    expect(((await admin.xpending(`${a.prefix}:queue`, GROUP)) as unknown[])[0]).toBe(1);
    await a.queue.apply([{ taskId: mine[1]!.id, attempt: 1, status: "COMPLETED", result: "1" }]);
    expect(((await admin.xpending(`${a.prefix}:queue`, GROUP)) as unknown[])[0]).toBe(0);
    expect(await admin.hlen(`${a.prefix}:queue-left`)).toBe(0);
  });

  test("a task claimed alone gets no count (one task at a time pays nothing for sharing), and its entry is acked when it is settled", async () => {
    const a = await open();
    const [t] = tasks(1);
    await a.tasks.enqueue([t!], { maxQueue: 10 });
    await a.queue.claim(1, never);
    expect(await admin.hlen(`${a.prefix}:queue-left`)).toBe(0);
    expect(((await admin.xpending(`${a.prefix}:queue`, GROUP)) as unknown[])[0]).toBe(1);
    await a.queue.apply([{ taskId: t!.id, attempt: 1, status: "COMPLETED", result: "1" }]);
    expect(((await admin.xpending(`${a.prefix}:queue`, GROUP)) as unknown[])[0]).toBe(0);
    expect(await admin.hlen(`${a.prefix}:queue-left`)).toBe(0);
  });

  test("a dead dispatcher's entry whose task is already terminal is just acked", async () => {
    const a = await open({ consumer: { livenessMs: 200 } });
    const prefix = a.prefix;
    const b = await open({ prefix });
    const [t] = tasks(1);
    await a.tasks.enqueue([t!], { maxQueue: 10 });
    const [mine] = await a.queue.claim(1, never);
    await admin.set(`${prefix}:task:${t!.id}`, JSON.stringify({ ...mine, status: "CANCELLED" }));
    a.redis.disconnect();
    await waitFor(async () => (await admin.exists(`${prefix}:live:${a.dispatcherId}`)) === 0, "a's liveness key to expire");
    expect(await b.queue.reclaim(10)).toEqual([]);
    expect(((await admin.xpending(`${prefix}:queue`, "dispatchers")) as unknown[])[0]).toBe(0);
  });

  test("a task past its attempts is still handed out, so the dispatcher can fail it", async () => {
    const a = await open({ consumer: { livenessMs: 200 } });
    const prefix = a.prefix;
    const b = await open({ prefix });
    const [t] = tasks(1, 1);
    await a.tasks.enqueue([t!], { maxQueue: 10 });
    await a.queue.claim(1, never);
    a.redis.disconnect();
    const [taken] = await waitFor(async () => {
      const r = await b.queue.reclaim(10);
      return r.length > 0 ? r : undefined;
    }, "b to take over");
    expect(taken!.attempt).toBe(2);
    expect(taken!.attempt > taken!.maxAttempts).toBe(true);
    expect((await b.tasks.snapshot()).retries).toBe(0); // it will not run again: not a retry
  });
});

describe("Redis dispatchers: lost replies", () => {
  test("entries a claim took but whose reply never arrived are adopted as a new attempt", async () => {
    const b = await open();
    const prefix = b.prefix;
    const ac = new AbortController();
    const idle = b.queue.claim(1, ac.signal); // b is live and waiting
    await waitFor(blockedInXread(admin, b), "b to wait for work");
    ac.abort();
    expect(await idle).toEqual([]);
    const [t] = tasks(1);
    await b.tasks.enqueue([t!], { maxQueue: 10 });
    // The claim script runs for b but b never sees the reply, as when Redis dies right after it.
    await CLAIM.run(admin, b.keys.shards[0]!.scriptKeys, [GROUP, b.dispatcherId, 1, Date.now(), 30_000]);
    expect((await b.tasks.get(t!.id))?.status).toBe("RUNNING");
    b.redis.disconnect();
    expect(await b.queue.claim(1, never).then(String, (e) => e.constructor.name)).toBe("BackendUnavailableError");
    await waitFor(() => b.redis.status === "end", "b's connection to be closed");
    await b.redis.connect();
    const [adopted] = await b.queue.claim(1, AbortSignal.timeout(5000));
    expect(adopted?.id).toBe(t!.id);
    expect(adopted?.attempt).toBe(2);
    expect((await b.tasks.snapshot()).retries).toBe(1);
  });
});

describe("Redis going away", () => {
  test("calls fail fast with BackendUnavailableError while Redis is down, and work again once it is back", async () => {
    await using own = await startRedisServer();
    const b = await open({ url: own.url });
    const [t] = tasks(1);
    await b.tasks.enqueue([t!], { maxQueue: 10 });
    await own.stop({ kill: true });
    const calls: [string, () => Promise<unknown>][] = [
      ["get", () => b.tasks.get(t!.id)],
      ["getMany", () => b.tasks.getMany([t!.id])],
      ["enqueue", () => b.tasks.enqueue(tasks(1), { maxQueue: 10 })],
      ["queueDepth", () => b.tasks.queueDepth()],
      ["health", () => b.health()],
      ["claim", () => b.queue.claim(1, never)],
      ["apply", () => b.queue.apply([{ taskId: t!.id, attempt: 1, status: "COMPLETED", result: "1" }])],
      ["functions.get", () => b.functions.get("f")],
    ];
    for (const [name, call] of calls) {
      const outcome = await Promise.race([
        call().then(
          () => "resolved",
          (e) => (e instanceof BackendUnavailableError ? "unavailable" : `other error: ${e}`),
        ),
        Bun.sleep(3000).then(() => "still waiting after 3 s"),
      ]);
      expect(`${name}: ${outcome}`).toBe(`${name}: unavailable`);
    }
    await own.restart();
    await waitFor(async () => (await b.tasks.queueDepth().catch(() => -1)) === 0, "the store to reach the restarted (empty) Redis");
    const [u] = tasks(1);
    // Redis came back empty: the function is gone, so enqueue refuses at once, storing nothing.
    expect(await b.tasks.enqueue([u!], { maxQueue: 10 })).toEqual({ ok: false, error: { kind: "UnknownFunction", functionId: "f-1" } });
    expect(await b.tasks.get(u!.id)).toBeUndefined();
    await b.functions.save(F1);
    expect((await b.tasks.enqueue([u!], { maxQueue: 10 })).ok).toBe(true);
    const [claimed] = await b.queue.claim(1, never);
    expect(claimed?.id).toBe(u!.id);
  }, 30_000);

  test("a waiting claim fails while Redis is down instead of hanging", async () => {
    await using own = await startRedisServer();
    const b = await open({ url: own.url });
    // Its blocking read was sent, so the drop surfaces as "no answer" (BackendTimeoutError); either
    // backend error will do: the point is that the claim fails (the dispatcher retries) and never hangs.
    const waiting = b.queue.claim(1, never).then(
      () => "resolved",
      (e) => (e instanceof BackendUnavailableError || e instanceof BackendTimeoutError ? "backend error" : `other: ${e}`),
    );
    const ownAdmin = new Redis(own.url);
    await waitFor(blockedInXread(ownAdmin, b), "the claim to wait in XREAD");
    ownAdmin.disconnect();
    await own.stop({ kill: true });
    expect(await waiting).toBe("backend error");
  }, 30_000);
});

describe("Redis task events", () => {
  test("a notification published by one process reaches another's subscribers", async () => {
    const a = await open();
    const b = await open({ prefix: a.prefix });
    const heard: string[] = [];
    b.events.subscribe((ids) => heard.push(...ids));
    await waitFor(async () => {
      a.events.publish(["probe"]);
      await Bun.sleep(0);
      return heard.includes("probe");
    }, "b's subscription to be in place");
    a.events.publish(["x1", "x2"]);
    await waitFor(() => heard.includes("x2"), "b to hear x1 and x2");
    expect(heard.filter((id) => id !== "probe")).toEqual(["x1", "x2"]);
  });
  test("messages that arrive together reach the listeners as one report (a long-poll woken by the first answers with all of them)", async () => {
    const b = await open();
    const reports: string[][] = [];
    b.events.subscribe((ids) => void reports.push([...ids]));
    const channel = `${b.prefix}:events`;
    await waitFor(async () => (await admin.pubsub("NUMSUB", channel))[1] === 1, "the subscription");
    await admin.pipeline().publish(channel, '["m1","m2"]').publish(channel, '["m3"]').publish(channel, '["m4"]').exec(); // one write to the subscriber
    await waitFor(() => reports.flat().includes("m4"), "the reports");
    expect(reports).toEqual([["m1", "m2", "m3", "m4"]]);
  });

  test("cancel signals travel on their own channel, apart from task events", async () => {
    const a = await open();
    const b = await open({ prefix: a.prefix });
    const heardCancels: string[] = [];
    const heardEvents: string[] = [];
    b.cancels.subscribe((ids) => heardCancels.push(...ids));
    b.events.subscribe((ids) => heardEvents.push(...ids));
    await waitFor(async () => {
      a.cancels.publish(["probe"]);
      a.events.publish(["probe"]);
      await Bun.sleep(0);
      return heardCancels.includes("probe") && heardEvents.includes("probe");
    }, "b's subscriptions to be in place");
    a.cancels.publish(["c1"]);
    a.events.publish(["e1"]);
    await waitFor(() => heardCancels.includes("c1") && heardEvents.includes("e1"), "b to hear c1 and e1");
    expect(heardCancels).not.toContain("e1");
    expect(heardEvents).not.toContain("c1");
  });
});
