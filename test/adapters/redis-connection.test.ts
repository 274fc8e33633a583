/**
 * The command connection writes each command as it is issued: a command is never held back until the
 * replies of earlier ones are in (ioredis' auto-pipelining keeps one pipeline in flight per connection,
 * so a script of one batch waited for another batch's script to answer). Seen from Redis: a command
 * issued while an earlier one blocks on the server is already in the connection's query buffer.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { duplicateClient, openClient, whenReady, type RedisClient } from "../../src/adapters/redis/index.ts";
import { systemClock } from "../../src/adapters/system/index.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});

afterAll(async () => {
  admin.disconnect();
  await server.stop();
});

/** The CLIENT LIST line of the connection named `name`, as fields. */
async function clientInfo(name: string): Promise<Map<string, string> | undefined> {
  const list = (await admin.call("CLIENT", "LIST")) as string;
  const line = list.split("\n").find((l) => l.includes(` name=${name} `));
  if (line === undefined) return undefined;
  return new Map(line.split(" ").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)] as [string, string]));
}

async function sentWhileBlocked(client: RedisClient, name: string): Promise<void> {
  await whenReady(client, 5000, systemClock);
  await client.set("k", "v");
  const blocked = client.call("BLPOP", "q", "10");
  await waitFor(async () => (await clientInfo(name))?.get("cmd") === "blpop", "the connection to block in BLPOP");
  const read = client.get("k");
  // the GET waits in Redis's buffer behind the blocked BLPOP: it was written without waiting for BLPOP
  await waitFor(async () => Number((await clientInfo(name))?.get("qbuf")) > 0, "the GET to reach Redis while BLPOP blocks", 3000);
  await admin.lpush("q", "x");
  expect(await blocked).toEqual(["q", "x"]);
  expect(await read).toBe("v");
}

test("the command connection writes a command while an earlier one is still unanswered", async () => {
  const client = openClient({ kind: "url", url: server.url }, { commandTimeoutMs: 15_000, name: "probe-main" });
  try {
    await sentWhileBlocked(client, "probe-main");
  } finally {
    client.disconnect();
  }
});

test("a duplicated connection does the same", async () => {
  const client = openClient({ kind: "url", url: server.url }, { commandTimeoutMs: 15_000 });
  const copy = duplicateClient(client, { offlineQueue: true, commandTimeoutMs: 15_000, name: "probe-copy" });
  try {
    await sentWhileBlocked(copy, "probe-copy");
  } finally {
    copy.disconnect();
    client.disconnect();
  }
});
