/**
 * The lean RESP2 connection against a real redis-server: commands in flight at once are answered in
 * order; the handshake (AUTH, SELECT, CLIENT SETNAME) runs on every connect; a command fails at once
 * while not connected, with RespTimeoutError past its deadline, and with RespDroppedError when the
 * connection drops before the answer, never sent again; the connection and a subscriber's SUBSCRIBE come
 * back once Redis does; commands and replies larger than a socket's buffer go through whole.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import Redis from "ioredis";
import { RespConnection, RespDroppedError, RespNotConnectedError, RespReplyError, RespTimeoutError } from "../../src/lib/resp/index.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

setDefaultTimeout(20_000);
const PASSWORD = "resp-test-pw";
let server: RedisServer;
let admin: Redis;
const opened: RespConnection[] = [];

beforeAll(async () => {
  server = await startRedisServer({ password: PASSWORD });
  admin = new Redis({ port: server.port, password: PASSWORD });
});

afterAll(async () => {
  for (const c of opened) c.close();
  admin.disconnect();
  await server[Symbol.asyncDispose]();
});

function connect(o: ConstructorParameters<typeof RespConnection>[1] = {}, db = 0): RespConnection {
  const c = new RespConnection({ host: "127.0.0.1", port: server.port, password: PASSWORD, db }, o);
  opened.push(c);
  return c;
}

async function ready(c: RespConnection): Promise<RespConnection> {
  expect(await c.whenReady(5000)).toBe(true);
  return c;
}

describe("RespConnection", () => {
  test("the handshake authenticates, selects the database and names the connection", async () => {
    const c = await ready(connect({ name: "resp-probe" }, 4));
    expect(await c.call(["SET", "in-db-4", "yes"])).toBe("OK");
    expect(await c.call(["CLIENT", "GETNAME"])).toBe("resp-probe");
    const db4 = new Redis({ port: server.port, password: PASSWORD, db: 4 });
    try {
      expect(await db4.get("in-db-4")).toBe("yes");
      expect(await admin.get("in-db-4")).toBeNull();
    } finally {
      db4.disconnect();
    }
  });

  test("a refused handshake never makes the connection ready", async () => {
    const c = new RespConnection({ port: server.port, password: "wrong" }, {});
    opened.push(c);
    expect(await c.whenReady(300)).toBe(false);
    expect(await c.call(["PING"]).catch((e) => e)).toBeInstanceOf(RespNotConnectedError);
    c.close(); // its retries set timers, which the timer count of a later test would see
  });

  test("a name the ACL refuses does not keep the connection from being ready", async () => {
    await admin.call("ACL", "SETUSER", "no-names", "on", ">names-pw", "~*", "&*", "+@all", "-client");
    const c = new RespConnection({ port: server.port, username: "no-names", password: "names-pw" }, { name: "refused-name" });
    opened.push(c);
    await ready(c);
    expect(await c.call(["SET", "named", "no"])).toBe("OK");
    expect(String(await admin.client("LIST"))).not.toContain("name=refused-name");
  });

  test("many commands in flight at once are answered each with its own reply, in order", async () => {
    const c = await ready(connect());
    const replies = await Promise.all(Array.from({ length: 500 }, (_, i) => c.call(["ECHO", `m-${i}`])));
    expect(replies).toEqual(Array.from({ length: 500 }, (_, i) => `m-${i}`));
  });

  test("an error reply rejects that call only, as RespReplyError with Redis's words", async () => {
    const c = await ready(connect());
    const [bad, good] = await Promise.allSettled([c.call(["NOPE"]), c.call(["PING"])]);
    expect(bad.status === "rejected" && bad.reason).toBeInstanceOf(RespReplyError);
    expect(bad.status === "rejected" && String(bad.reason.message)).toStartWith("ERR unknown command 'NOPE'");
    expect(good).toEqual({ status: "fulfilled", value: "PONG" });
  });

  test("callAfter runs its lead first, drops the lead's reply (an error one too) and answers the command; later calls keep their own replies", async () => {
    const c = await ready(connect());
    await c.call(["DEL", "lead-order"]);
    expect(await c.callAfter(["RPUSH", "lead-order", "lead"], ["RPUSH", "lead-order", "main"])).toBe(2);
    expect(await c.call(["LRANGE", "lead-order", 0, -1])).toEqual(["lead", "main"]);
    expect(await c.callAfter(["NOPE"], ["ECHO", "after a refused lead"])).toBe("after a refused lead");
    const [after, bad, next] = await Promise.allSettled([c.callAfter(["PING"], ["ECHO", "a"]), c.callAfter(["PING"], ["NOPE"]), c.call(["ECHO", "b"])]);
    expect(after).toEqual({ status: "fulfilled", value: "a" });
    expect(bad.status === "rejected" && bad.reason).toBeInstanceOf(RespReplyError);
    expect(next).toEqual({ status: "fulfilled", value: "b" });
  });

  test("a command and a reply larger than the socket's buffers go through whole", async () => {
    const c = await ready(connect());
    const big = "é".repeat(3_000_000); // 6 MB
    expect(await c.call(["SET", "big", big], 10_000)).toBe("OK");
    expect(await c.call(["GET", "big"], 10_000)).toBe(big);
    expect(await c.call(["STRLEN", "big"])).toBe(6_000_000);
  });

  test("a command past its deadline fails with RespTimeoutError; its late reply is not taken for the next", async () => {
    const c = await ready(connect());
    server.freeze();
    try {
      const late = c.call(["INCR", "late"], 100).catch((e) => e);
      expect(await late).toBeInstanceOf(RespTimeoutError);
    } finally {
      server.thaw();
    }
    expect(await c.call(["ECHO", "after"])).toBe("after"); // not the INCR's reply
    expect(await admin.get("late")).toBe("1"); // it ran, once
  });

  test("deadlines share one timer: a burst of calls sets one, and a short deadline behind a long one still fails on time", async () => {
    const c = await ready(connect());
    const real = globalThis.setTimeout;
    let set = 0;
    globalThis.setTimeout = ((...a: Parameters<typeof setTimeout>) => (set++, real(...a))) as typeof setTimeout;
    try {
      await Promise.all(Array.from({ length: 200 }, (_, i) => c.call(["ECHO", String(i)], 5_000)));
    } finally {
      globalThis.setTimeout = real;
    }
    expect(set).toBe(1); // armed for the first call's deadline, which comes before every later one's
    server.freeze();
    try {
      const long = c.call(["INCR", "long"], 60_000).catch((e) => e);
      const t0 = performance.now();
      const short = await c.call(["INCR", "short"], 150).catch((e) => e);
      expect(short).toBeInstanceOf(RespTimeoutError);
      expect((short as Error).message).toBe("Redis did not answer INCR within 150 ms");
      expect(performance.now() - t0).toBeLessThan(30_000); // failed at its own deadline, not the long one's
      server.thaw();
      expect(await long).toBe(1);
    } finally {
      server.thaw();
    }
    expect(await c.call(["ECHO", "after"])).toBe("after");
  });

  test("while Redis is down calls fail at once; one in flight when it dies fails as dropped; both work again once it is back", async () => {
    await using own = await startRedisServer();
    const c = new RespConnection({ port: own.port }, {});
    opened.push(c);
    await ready(c);
    own.freeze();
    const inFlight = c.call(["INCR", "n"]).catch((e) => e); // no deadline: only the drop ends it
    await own.stop({ kill: true });
    expect(await inFlight).toBeInstanceOf(RespDroppedError);
    expect(await c.call(["PING"]).catch((e) => e)).toBeInstanceOf(RespNotConnectedError); // not queued
    await own.restart();
    await ready(c);
    expect(await c.call(["PING"])).toBe("PONG");
  });

  test("a subscriber hears its channels' messages, and subscribes again after Redis comes back", async () => {
    await using own = await startRedisServer();
    const heard: string[] = [];
    const sub = new RespConnection({ port: own.port }, { channels: ["a", "b"], onMessage: (channel, message) => heard.push(`${channel}:${message}`) });
    opened.push(sub);
    await ready(sub);
    const pub = new Redis({ port: own.port });
    try {
      await pub.publish("a", "1");
      await pub.publish("b", "2");
      await pub.publish("c", "not ours");
      await waitFor(() => heard.length === 2, "two messages");
      await own.stop({ kill: true });
      await own.restart();
      await ready(sub);
      await waitFor(async () => (await pub.publish("a", "3")) === 1, "the subscription to be back");
      await waitFor(() => heard.includes("a:3"), "the message after the restart");
      expect(heard.filter((m) => m !== "a:3")).toEqual(["a:1", "b:2"]);
    } finally {
      pub.disconnect();
    }
  });

  test("closed, it fails calls under way as dropped and later ones at once, and does not come back", async () => {
    const c = await ready(connect({ name: "resp-closing" }));
    const blocked = c.call(["BLPOP", "never", "5"]).catch((e) => e);
    await waitFor(async () => String(await admin.client("LIST")).includes("name=resp-closing"), "the connection to show");
    c.close();
    expect(await blocked).toBeInstanceOf(RespDroppedError);
    expect(await c.call(["PING"]).catch((e) => e)).toBeInstanceOf(RespNotConnectedError);
    expect(await c.whenReady(200)).toBe(false);
    await waitFor(async () => !String(await admin.client("LIST")).includes("name=resp-closing"), "the connection to be gone");
  });
});
