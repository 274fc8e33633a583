/**
 * Lean connections (lean-lanes.ts) on one Redis server: a backend's script calls, its reads of task
 * records, its dispatcher's blocking read and its subscriptions go through them, seen from Redis (MONITOR names the connection of
 * every command, scripts' inner commands included); with `lean: false` there are none. A lean lane that
 * dies loses nothing: scripts go through ioredis until it is back. Which locations get them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import Redis from "ioredis";
import { openRedisBackend, whenReady, type RedisBackend } from "../../src/adapters/redis/index.ts";
import { allowLean, laneOf, leanConnection, leanTargetOfUrl } from "../../src/adapters/redis/lean-lanes.ts";
import { StreamWaiter } from "../../src/adapters/redis/stream-waiter.ts";
import { LuaScript } from "../../src/adapters/redis/lua-script.ts";
import { freePort } from "../../scripts/lib/ports.ts";
import { openClient } from "../../src/adapters/redis/index.ts";
import { systemClock } from "../../src/adapters/system/index.ts";
import { newTask } from "../../src/domain/task.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

setDefaultTimeout(20_000);
let server: RedisServer;
let admin: Redis;
const opened: RedisBackend[] = [];
const F1 = { id: "f-1", tenant: "default", name: "f", source: "(x) => x", code: "(x) => x", timeoutMs: 1000, maxAttempts: 3, createdAt: 0 };

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.close()));
  await waitFor(async () => ![...(await clients()).keys()].some((n) => n.startsWith("bunfaas")), "the test's connections to close");
});

afterAll(async () => {
  admin?.disconnect();
  await server?.[Symbol.asyncDispose]();
});

let seq = 0;
async function open(lean?: false): Promise<RedisBackend> {
  const backend = openRedisBackend({ url: server.url, prefix: `lean-${process.pid}-${++seq}`, clock: systemClock, retentionMs: 60_000, ...(lean === false && { lean }) });
  opened.push(backend);
  await whenReady(backend.redis, 5000, systemClock);
  await backend.functions.save(F1);
  return backend;
}

/** Task `i` of the test under way (the same id each time). */
function task(i: number): ReturnType<typeof newTask> {
  return newTask(`t-${seq}-${i}`, "f-1", "[]", 3, 1000, Date.now());
}

/** Connections by name, from CLIENT LIST: their address and the fields Redis shows. */
async function clients(): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  for (const line of String(await admin.client("LIST")).trim().split("\n")) {
    const c = Object.fromEntries(line.split(" ").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
    if (c.name) out.set(c.name, c);
  }
  return out;
}

/** The commands Redis ran while `body` ran, with the address each came from. */
async function monitored(body: () => Promise<void>): Promise<{ command: string; arg: string; source: string }[]> {
  const monitor = await admin.monitor();
  const seen: { command: string; arg: string; source: string }[] = [];
  monitor.on("monitor", (_time: string, args: string[], source: string) => seen.push({ command: String(args[0]).toLowerCase(), arg: String(args[1] ?? ""), source }));
  try {
    await body();
    await admin.ping(); // (a command after the body's, so MONITOR has shown all of them)
    await waitFor(() => seen.some((s) => s.command === "ping"), "MONITOR to catch up");
  } finally {
    monitor.disconnect();
  }
  return seen;
}

describe("lean connections on one server", () => {
  test("scripts, reads of task records, the dispatcher's blocking read and the subscriptions go through lean connections", async () => {
    const b = await open();
    const heard: string[] = [];
    b.events.subscribe((ids) => heard.push(...ids));
    const queue = b.dispatchQueue({ dispatcherId: `d-lean-${seq}`, livenessMs: 10_000 });
    await b.tasks.enqueue([task(0)], { maxQueue: 10 }); // opens the lane
    await waitFor(() => laneOf(b.redis)?.ready === true, "the lane to be ready");
    const seen = await monitored(async () => {
      await b.tasks.enqueue([task(1)], { maxQueue: 10 });
      const claimed = await queue.claim(2, AbortSignal.timeout(5000));
      expect(claimed.length).toBeGreaterThan(0);
      await queue.apply(claimed.map((t) => ({ taskId: t.id, attempt: t.attempt, status: "COMPLETED" as const, result: "1" })));
      expect((await b.tasks.get(task(1).id))?.status).toBe("COMPLETED"); // GET /result's read
      expect((await b.tasks.getMany([task(0).id, task(1).id])).map((t) => t?.status)).toEqual(["COMPLETED", "COMPLETED"]);
    });
    const lane = (await clients()).get("bunfaas-lean");
    expect(lane).toBeDefined();
    const fcalls = seen.filter((s) => s.command === "fcall");
    expect(fcalls.length).toBeGreaterThanOrEqual(3); // enqueue, claim, apply
    expect(new Set(fcalls.map((s) => s.source))).toEqual(new Set([lane!.addr as string]));
    // APPLY goes with a PING ahead of it, so the task's waiters are written to before the dispatcher
    const fromLane = seen.filter((s) => s.source === lane!.addr);
    const applies = fromLane.flatMap((s, i) => (s.command === "fcall" && s.arg.startsWith("bunfaas_apply_") ? [fromLane[i - 1]?.command] : []));
    expect(applies.length).toBeGreaterThan(0); // (twice when the first call loaded the library)
    expect(applies.every((c) => c === "ping")).toBe(true);
    expect(fromLane.filter((s) => s.command === "ping").length).toBe(applies.length); // the other scripts go alone
    const reads = seen.filter((s) => (s.command === "get" || s.command === "mget") && s.source !== "lua"); // (not those scripts run)
    expect(reads.map((s) => s.command).sort()).toEqual(["get", "mget"]);
    expect(new Set(reads.map((s) => s.source))).toEqual(new Set([lane!.addr as string]));
    // the dispatcher waits in XREAD on its lean connection, and the subscriptions are lean ones too
    const idle = queue.claim(1, AbortSignal.timeout(3000));
    await waitFor(async () => (await clients()).get(`bunfaas-claim-d-lean-${seq}-lean`)?.cmd === "xread", "the lean read to block");
    expect((await clients()).get("bunfaas-sub-lean")?.sub).toBe("1");
    await b.tasks.enqueue([task(2)], { maxQueue: 10 });
    expect((await idle).map((t) => t.id)).toEqual([task(2).id]);
    await waitFor(() => heard.includes(task(1).id), "the end of t-1 to be heard");
    await queue.close();
  });

  test("with lean off every call goes through ioredis: no lean connection is opened", async () => {
    const b = await open(false);
    b.events.subscribe(() => undefined);
    const queue = b.dispatchQueue({ dispatcherId: `d-plain-${seq}`, livenessMs: 10_000 });
    await b.tasks.enqueue([task(0)], { maxQueue: 10 });
    expect(laneOf(b.redis)).toBeUndefined();
    expect((await queue.claim(5, AbortSignal.timeout(3000))).length).toBe(1);
    const idle = queue.claim(5, AbortSignal.timeout(3000));
    await waitFor(async () => (await clients()).get(`bunfaas-claim-d-plain-${seq}`)?.cmd === "xread", "the ioredis read to block");
    expect([...(await clients()).keys()].filter((n) => n.endsWith("-lean") && n.includes(`d-plain-${seq}`))).toEqual([]);
    await b.tasks.enqueue([task(1)], { maxQueue: 10 });
    expect((await idle).map((t) => t.id)).toEqual([task(1).id]);
    await queue.close();
  });

  test("a lane that dies loses nothing: scripts go through ioredis until it is back", async () => {
    const b = await open();
    await b.tasks.enqueue([task(0)], { maxQueue: 10 });
    await waitFor(() => laneOf(b.redis)?.ready === true, "the lane to be ready");
    const before = (await clients()).get("bunfaas-lean")!;
    await admin.client("KILL", "ID", before.id as string);
    await waitFor(() => laneOf(b.redis)?.ready === false, "the lane to see it is gone");
    const seen = await monitored(async () => {
      await b.tasks.enqueue([task(1)], { maxQueue: 10 });
    });
    const fcalls = seen.filter((s) => s.command === "fcall");
    expect(fcalls.length).toBe(1);
    expect(fcalls[0]!.source).not.toBe(before.addr); // through ioredis
    expect((await b.tasks.get(task(1).id))?.status).toBe("QUEUED");
    await waitFor(() => laneOf(b.redis)?.ready === true, "the lane to come back");
    expect((await clients()).get("bunfaas-lean")?.id).not.toBe(before.id);
  });
});

describe("a lean connection that cannot connect", () => {
  test("a blocking read goes through ioredis meanwhile: the dispatcher still wakes on a new entry", async () => {
    const client = openClient({ kind: "url", url: server.url }, { lean: false });
    allowLean(client, { host: "127.0.0.1", port: freePort() }); // where nothing listens
    const waiter = new StreamWaiter(client, { blockMs: 5000, name: "lean-unreachable" });
    try {
      await whenReady(client, 5000, systemClock);
      const stream = `lean-wake-${process.pid}`;
      const woke = waiter.wait([{ stream, after: "0-0" }], 5000, AbortSignal.timeout(8000));
      await waitFor(async () => (await clients()).get("lean-unreachable")?.cmd === "xread", "the read to block through ioredis");
      await admin.xadd(stream, "*", "k", "v");
      const entries = await woke;
      expect(entries.map(([name]) => name)).toEqual([stream]);
    } finally {
      waiter.close();
      client.disconnect();
    }
  });
});

describe("a script's reply after its messages", () => {
  const ANNOUNCE = LuaScript.library("announce", "", "redis.call('PUBLISH', ARGV[1], ARGV[2]) return ARGV[2]");

  /** Of `n` calls one at a time, in how many the script's message was heard before its reply. */
  async function heardFirst(replyAfterMessages: boolean, n: number): Promise<number> {
    const client = openClient({ kind: "url", url: server.url });
    const channel = `announce-${++seq}`;
    const heard = new Set<string>();
    const sub = leanConnection(client, { channels: [channel], onMessage: (_channel, message) => heard.add(message) })!;
    try {
      expect(await sub.whenReady(5000)).toBe(true);
      await whenReady(client, 5000, systemClock);
      await ANNOUNCE.run(client, ["announce-key"], [channel, "first"]); // loads the library, opens the lane
      await waitFor(() => laneOf(client)?.ready === true && heard.has("first"), "the lane and the first message");
      let first = 0;
      for (let i = 0; i < n; i++) {
        const reply = String(await ANNOUNCE.run(client, ["announce-key"], [channel, `m${i}`], { replyAfterMessages }));
        expect(reply).toBe(`m${i}`);
        if (heard.has(reply)) first++;
        await waitFor(() => heard.has(reply), "the message");
      }
      return first;
    } finally {
      sub.close();
      client.disconnect();
    }
  }

  // Redis writes the subscriber first; this process almost always reads it first too (1 call in a few
  // hundred is read the other way round here), so the counts leave room.
  test("with replyAfterMessages a subscriber hears what the script published before its caller hears the reply; without, after", async () => {
    expect(await heardFirst(true, 50)).toBeGreaterThanOrEqual(45);
    expect(await heardFirst(false, 50)).toBeLessThanOrEqual(5);
  });
});

describe("lean subscribers", () => {
  test("a listener that throws is logged, and the messages read with it still reach it", async () => {
    const logged: string[] = [];
    const client = openClient({ kind: "url", url: server.url }, { logger: { log: (level, msg) => logged.push(`${level} ${msg}`) } });
    const heard: string[] = [];
    const sub = leanConnection(client, {
      channels: ["lean-throws"],
      onMessage: (_channel, message) => {
        heard.push(message);
        if (message === "first") throw new Error("listener bug");
      },
    })!;
    try {
      expect(await sub.whenReady(5000)).toBe(true);
      // both in one pipeline, so that they arrive together and are read in one go
      await admin.pipeline().publish("lean-throws", "first").publish("lean-throws", "second").exec();
      await waitFor(() => heard.length === 2, "both messages");
      expect(heard).toEqual(["first", "second"]);
      expect(logged).toContain("error a subscription's listener failed");
    } finally {
      sub.close();
      client.disconnect();
    }
  });
});

describe("which locations get lean connections", () => {
  test("redis:// URLs with their credentials and database; not TLS, and not URLs with options", () => {
    expect(leanTargetOfUrl("redis://127.0.0.1:6380")).toEqual({ host: "127.0.0.1", port: 6380 });
    expect(leanTargetOfUrl("redis://user:p%40ss@cache.internal/3")).toEqual({ host: "cache.internal", port: 6379, username: "user", password: "p@ss", db: 3 });
    expect(leanTargetOfUrl("redis://:pw@[::1]:7000")).toEqual({ host: "::1", port: 7000, password: "pw" });
    expect(leanTargetOfUrl("rediss://cache.internal:6380")).toBeUndefined();
    expect(leanTargetOfUrl("redis://cache.internal?family=6")).toBeUndefined();
    expect(leanTargetOfUrl("redis://cache.internal/not-a-db")).toBeUndefined();
    expect(leanTargetOfUrl("not a url")).toBeUndefined();
  });
});
