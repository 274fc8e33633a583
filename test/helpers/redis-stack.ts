/**
 * The usual e2e fixture on Redis: a private redis-server, an admin connection to inspect it, and
 * `bun run api` on it, started before the file's tests and killed after them (with every process the
 * tests started through test/helpers/processes.ts).
 *
 * @example
 * const stack = useRedisStack("e2e-failover");
 * test("...", async () => { await register(stack.api.url, "() => 1"); startDispatcher(stack.target); });
 */
import { afterAll, beforeAll } from "bun:test";
import Redis from "ioredis";
import { killAll, startApi, type ApiProcess, type RedisTarget } from "./processes.ts";
import { startRedisServer, type RedisServer } from "./redis-server.ts";

export interface RedisStack {
  readonly redis: RedisServer;
  readonly api: ApiProcess;
  readonly admin: Redis;
  /** What startApi / startDispatcher / startWorker take: the Redis URL and this file's key prefix. */
  readonly target: RedisTarget;
}

/** Registers beforeAll/afterAll hooks; the returned object is filled in once beforeAll has run. */
export function useRedisStack(prefix: string): RedisStack {
  const target = { url: "", prefix };
  const stack = { target } as { redis: RedisServer; api: ApiProcess; admin: Redis; target: RedisTarget };
  beforeAll(async () => {
    stack.redis = await startRedisServer();
    target.url = stack.redis.url;
    stack.admin = new Redis(stack.redis.url);
    stack.api = await startApi(stack.target);
  });
  afterAll(async () => {
    stack.admin?.disconnect();
    await killAll();
    await stack.redis?.stop({ kill: true });
  });
  return stack;
}
