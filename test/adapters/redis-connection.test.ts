/**
 * The command connection writes each command as it is issued: a command is never held back until the
 * replies of earlier ones are in (ioredis' auto-pipelining keeps one pipeline in flight per connection,
 * so a script of one batch waited for another batch's script to answer). Seen from Redis: a command
 * issued while an earlier one blocks on the server is already in the connection's query buffer. Writes
 * (enqueues) are the exception: at most WRITES_IN_FLIGHT are sent at once, so a burst of them is not
 * timed out for the time Redis spends on the ones before.
 */
import { expect, test } from "bun:test";
import { duplicateClient, openClient, whenReady, type RedisClient } from "../../src/adapters/redis/index.ts";
import { systemClock } from "../../src/adapters/system/index.ts";
import { LuaScript } from "../../src/adapters/redis/lua-script.ts";
import { ReplicatedWrites, WRITES_IN_FLIGHT } from "../../src/adapters/redis/replicated-writes.ts";
import { usePrivateRedis } from "../helpers/private-redis.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

const redis = usePrivateRedis();

/** The CLIENT LIST line of the connection named `name`, as fields. */
async function clientInfo(name: string): Promise<Map<string, string> | undefined> {
  const list = (await redis.admin.call("CLIENT", "LIST")) as string;
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
  await redis.admin.lpush("q", "x");
  expect(await blocked).toEqual(["q", "x"]);
  expect(await read).toBe("v");
}

test("the command connection writes a command while an earlier one is still unanswered", async () => {
  const client = openClient({ kind: "url", url: redis.server.url }, { commandTimeoutMs: 15_000, name: "probe-main" });
  try {
    await sentWhileBlocked(client, "probe-main");
  } finally {
    client.disconnect();
  }
});

test("a duplicated connection does the same", async () => {
  const client = openClient({ kind: "url", url: redis.server.url }, { commandTimeoutMs: 15_000 });
  const copy = duplicateClient(client, { offlineQueue: true, commandTimeoutMs: 15_000, name: "probe-copy" });
  try {
    await sentWhileBlocked(copy, "probe-copy");
  } finally {
    copy.disconnect();
    client.disconnect();
  }
});

test("writes go out at most WRITES_IN_FLIGHT at once; the others wait, unsent, for one to be answered", async () => {
  let inFlight = 0;
  let most = 0;
  const answers: (() => void)[] = [];
  const fake = {
    call: (_command: string, _args: unknown[]) =>
      new Promise<unknown>((resolve) => {
        inFlight++;
        most = Math.max(most, inFlight);
        answers.push(() => {
          inFlight--;
          resolve([1]);
        });
      }),
  } as unknown as RedisClient;
  const writes = new ReplicatedWrites(fake, { replicas: 0, timeoutMs: 1000, clock: systemClock });
  const script = new LuaScript("probe", "return {1}");
  const n = 3 * WRITES_IN_FLIGHT;
  const all = Promise.all(Array.from({ length: n }, () => writes.run(script, ["k"], [])));
  await waitFor(() => answers.length >= WRITES_IN_FLIGHT, "the first writes to be sent");
  await Promise.resolve();
  expect(answers.length).toBe(WRITES_IN_FLIGHT); // the rest were not sent
  for (let answered = 0; answered < n; answered++) {
    await waitFor(() => answers.length > 0, "the next write to be sent");
    answers.shift()?.();
  }
  expect(await all).toHaveLength(n);
  expect(most).toBe(WRITES_IN_FLIGHT);
});
