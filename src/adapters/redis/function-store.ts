/**
 * Registered functions in Redis: one hash per shard (function id -> JSON of the record), every shard
 * holding every function so the enqueue script checks a function within its own slot. Shard 0 is the
 * catalogue: `get`, `list` and `count` read it, and it keeps the count per tenant (the `functions` field
 * of the tenant's stats hash, written in the same script). `save` writes the other shards first and
 * shard 0 last, so a function that can be read can be executed in every shard. Functions are immutable
 * and kept until deleted by hand; `list` reads the whole hash and keeps the tenant's.
 *
 * @example
 * const functions = new RedisFunctionStore(client, redisKeys("faas", { shards: 3 }), writes);
 * await functions.save(record);
 */
import type { FunctionRecord } from "../../domain/function-record.ts";
import type { FunctionStore } from "../../domain/ports.ts";
import type { RedisClient } from "./client.ts";
import { guarded } from "./connection.ts";
import type { RedisKeys, ShardKeys } from "./keys.ts";
import { REGISTER } from "./lua/register.ts";
import type { ReplicatedWrites } from "./replicated-writes.ts";

export class RedisFunctionStore implements FunctionStore {
  private readonly catalogue: ShardKeys;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly writes: ReplicatedWrites,
  ) {
    this.catalogue = keys.shards[0] as ShardKeys;
  }

  async save(fn: FunctionRecord): Promise<void> {
    const json = JSON.stringify(fn);
    const shards = this.keys.shards;
    for (let i = shards.length - 1; i >= 0; i--) {
      const k = shards[i] as ShardKeys;
      await this.writes.run(REGISTER, [k.functions, k.statsOf(fn.tenant), k.tenants], [fn.id, json, fn.tenant, i === 0 ? "1" : "0"]);
    }
  }

  async get(id: string): Promise<FunctionRecord | undefined> {
    const json = await guarded(() => this.redis.hget(this.catalogue.functions, id));
    return json === null ? undefined : decodeFunction(json);
  }

  async list(tenant?: string): Promise<FunctionRecord[]> {
    const all = (await guarded(() => this.redis.hvals(this.catalogue.functions))).map(decodeFunction);
    return tenant === undefined ? all : all.filter((f) => f.tenant === tenant);
  }

  async count(tenant?: string): Promise<number> {
    if (tenant === undefined) return guarded(() => this.redis.hlen(this.catalogue.functions));
    return Number((await guarded(() => this.redis.hget(this.catalogue.statsOf(tenant), "functions"))) ?? 0);
  }
}

/** A stored function; records from before tenants belong to `default`. */
function decodeFunction(json: string): FunctionRecord {
  const fn = JSON.parse(json) as FunctionRecord;
  return fn.tenant === undefined ? { ...fn, tenant: "default" } : fn;
}
