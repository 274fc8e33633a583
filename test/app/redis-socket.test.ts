/**
 * The API and a dispatcher reaching Redis through its Unix socket (REDIS_URL=unix:///path?db=N, the
 * password from REDIS_PASSWORD): tasks run as over TCP, every connection of theirs goes through the
 * socket, and the keys land in the database the URL names.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import Redis from "ioredis";
import { call, register } from "../../scripts/lib/http.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { removeTempDirs, tempDir } from "../../scripts/lib/temp-dirs.ts";
import { startApiHere, startDispatcherHere, stopAllHere } from "../helpers/roots.ts";

setDefaultTimeout(20_000);
const PASSWORD = "socket-test-pw";
let redis: RedisServer;
let socket = "";
let api: Awaited<ReturnType<typeof startApiHere>>;

beforeAll(async () => {
  socket = join(tempDir("redis-socket"), "redis.sock");
  redis = await startRedisServer({ args: ["--unixsocket", socket, "--unixsocketperm", "700"], password: PASSWORD });
  const target = { url: `unix://${socket}?db=3`, prefix: "sock", env: { REDIS_PASSWORD: PASSWORD } };
  api = await startApiHere(target);
  await startDispatcherHere(target);
});

afterAll(async () => {
  await stopAllHere();
  await redis?.[Symbol.asyncDispose]();
  removeTempDirs();
});

describe("Redis through its Unix socket", () => {
  test("a task runs; the API and the dispatcher connect through the socket only; the keys are in db 3", async () => {
    const fid = await register(api.url, "(a: number, b: number): number => a * b");
    const ex = await call(`${api.url}/execute_function?wait=10`, { function_id: fid, payload: "[6, 7]" });
    expect(ex.body).toMatchObject({ status: "COMPLETED", result: "42" });
    const admin = new Redis({ path: socket, password: PASSWORD, db: 3 });
    try {
      const clients = String(await admin.client("LIST"))
        .trim()
        .split("\n")
        .map((line) => Object.fromEntries(line.split(" ").map((kv) => kv.split("=", 2) as [string, string])));
      const me = String(await admin.client("ID"));
      const ours = clients.filter((c) => c.id !== me);
      // the API's and the dispatcher's connections (commands, blocking reads, subscriptions), none over TCP
      expect(ours.length).toBeGreaterThanOrEqual(4);
      expect(ours.filter((c) => !c.addr?.startsWith(socket)).map((c) => c.addr)).toEqual([]);
      expect(await admin.exists(`sock:task:${ex.body.task_id}`)).toBe(1);
      await admin.select(0);
      expect(await admin.keys("sock:*")).toEqual([]);
    } finally {
      admin.disconnect();
    }
  });
});
