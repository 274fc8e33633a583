/**
 * The usual fixture on Redis: a private redis-server, an admin connection to inspect it, and the API on
 * it (in this process, or as a real `bun src/app/api.ts` when the file needs one it can kill), started
 * before the file's tests and stopped after them with everything the tests started.
 *
 * @example
 * const stack = useRedisStack("e2e-failover");
 * test("...", async () => { await register(stack.api.url, "() => 1"); await startDispatcherHere(stack.target); });
 */
import { afterAll, beforeAll } from "bun:test";
import Redis from "ioredis";
import { killAll, spawnEntry, spawnServer, type Managed } from "../../scripts/lib/processes.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { startApiHere, stopAllHere, type RedisTarget } from "./roots.ts";

export interface RedisStack {
  readonly redis: RedisServer;
  readonly api: { readonly url: string };
  readonly admin: Redis;
  /** What the start helpers take: the Redis URL and this file's key prefix. */
  readonly target: RedisTarget;
  /** A real `bun src/app/dispatcher.ts` process on this stack (for kill -9); `--mode local` unless args say otherwise. */
  dispatcherProcess(args?: string[]): Managed;
}

/**
 * A real dispatcher process on `target` (local mode unless `args` name another; threads unless they
 * ask for another isolation: tests run trusted code, and gate files in /tmp must be visible to it).
 */
export function spawnDispatcher(target: RedisTarget, args: string[] = []): Managed {
  const mode = args.includes("--mode") ? [] : ["--mode", "local"];
  const isolation = args.includes("--isolation") ? [] : ["--isolation", "thread"];
  return spawnEntry("dispatcher", [...mode, ...isolation, ...args], { REDIS_URL: target.url, FAAS_PREFIX: target.prefix }, `dispatcher-${target.prefix}`);
}

/** Registers beforeAll/afterAll hooks; the returned object is filled in once beforeAll has run. */
export function useRedisStack(prefix: string, o: { apiProcess?: boolean } = {}): RedisStack {
  const target = { url: "", prefix };
  const stack = { target, dispatcherProcess: (args: string[] = []) => spawnDispatcher(target, args) } as RedisStack & { redis: RedisServer; api: { url: string }; admin: Redis };
  beforeAll(async () => {
    stack.redis = await startRedisServer();
    target.url = stack.redis.url;
    stack.admin = new Redis(stack.redis.url);
    stack.api = o.apiProcess ? await spawnServer("api", [], { REDIS_URL: target.url, FAAS_PREFIX: prefix }) : await startApiHere(target);
  });
  afterAll(async () => {
    stack.admin?.disconnect();
    await stopAllHere();
    await killAll();
    await stack.redis?.[Symbol.asyncDispose]();
  });
  return stack;
}
