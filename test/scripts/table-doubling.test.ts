/**
 * Redis's table doubling as the retained section meets it (scripts/evaluate/table-doubling.ts): which
 * power of two a measurement would cross, how DEBUG HTSTATS shows a doubling under way, and the wait for
 * it to end, on a private redis-server that allows DEBUG from this machine.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { doublingWithin, isRehashing, waitForSettledTables } from "../../scripts/evaluate/table-doubling.ts";
import { type RedisServer, startRedisServer } from "../../scripts/lib/redis-server.ts";

describe("table doubling", () => {
  test("the power of two a measurement adding keys would pass, if any", () => {
    expect(doublingWithin(1_000_000, 186_000)).toBe(1_048_576);
    expect(doublingWithin(1_058_576, 186_000)).toBeUndefined();
    expect(doublingWithin(1_048_576, 1)).toBe(1_048_576); // a full table of 2^20: the next key doubles it
    expect(doublingWithin(1_048_577, 1)).toBeUndefined();
    expect(doublingWithin(2_000_000, 200_000)).toBe(2_097_152);
    expect(doublingWithin(0, 1)).toBeUndefined();
    expect(doublingWithin(0, 2)).toBe(1);
    expect(doublingWithin(1_000_000, 0)).toBeUndefined();
  });

  test("HTSTATS output: a rehashing target means a doubling under way", () => {
    const settled = "[Dictionary HT]\nHash table 0 stats (main hash table):\n table size: 2097152\n number of elements: 1100000\n[Expires HT]\nHash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n";
    expect(isRehashing(settled)).toBe(false);
    expect(isRehashing(`${settled}Hash table 1 stats (rehashing target):\n table size: 4194304\n`)).toBe(true);
  });

  describe("on a redis-server", () => {
    let server: RedisServer;
    let redis: Redis;
    beforeAll(async () => {
      server = await startRedisServer({ args: ["--enable-debug-command", "local"] });
      redis = new Redis(server.url);
    });
    afterAll(async () => {
      redis.disconnect();
      await server[Symbol.asyncDispose]();
    });

    test("after a key past 2^18 the table doubles; the wait returns once Redis has moved every key", async () => {
      await redis.call("DEBUG", "POPULATE", String(2 ** 18)); // sized to hold exactly these
      await redis.set("one-more", "x"); // the table is full: it doubles and Redis starts moving the keys
      const r = await waitForSettledTables(redis, 60_000, 20);
      expect(r.settled).toBe(true);
      const stats = String(await redis.call("DEBUG", "HTSTATS", "0"));
      expect(isRehashing(stats)).toBe(false);
      expect(stats).toContain(`table size: ${2 ** 19}`);
      expect(stats).toContain(`number of elements: ${2 ** 18 + 1}`);
    }, 90_000);
  });
});
