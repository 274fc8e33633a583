/**
 * A private redis-server for one test file, with an admin connection: started before the file's tests,
 * stopped (its temp dir removed) after them.
 *
 * @example
 * const redis = usePrivateRedis();
 * test("...", async () => { await redis.admin.set("k", "v"); new Redis(redis.server.url); });
 */
import { afterAll, beforeAll } from "bun:test";
import Redis from "ioredis";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";

export interface PrivateRedis {
  readonly server: RedisServer;
  readonly admin: Redis;
}

export function usePrivateRedis(): PrivateRedis {
  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.[Symbol.asyncDispose](); // stops it and removes its temp dir
  });
  return {
    get server(): RedisServer {
      if (server === undefined) throw new Error("the private redis-server is not started yet (use it inside a test)");
      return server;
    },
    get admin(): Redis {
      if (admin === undefined) throw new Error("the private redis-server is not started yet (use it inside a test)");
      return admin;
    },
  };
}
