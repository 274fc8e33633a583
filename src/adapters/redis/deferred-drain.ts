/**
 * Before a read of the task counters or the operators' indexes: each shard's deferred bookkeeping of
 * lone tasks applied first (lua/deferred.ts), so the read sees every task that ended.
 *
 * @example
 * const stats = await Promise.all(keys.shards.map((k) => drainedThen(redis, k, () => READ_STATS.run(redis, [k.tenants, k.statsPrefix], [""]))));
 */
import type { RedisClient } from "./client.ts";
import { guarded } from "./connection.ts";
import type { ShardKeys } from "./keys.ts";
import { DRAIN_DEFERRED } from "./lua/drain.ts";

export async function drainedThen<T>(redis: RedisClient, shard: ShardKeys, read: () => Promise<unknown>): Promise<T> {
  return guarded(async () => {
    await DRAIN_DEFERRED.run(redis, shard.scriptKeys, []);
    return (await read()) as T;
  });
}
