/**
 * Registered functions in one Redis hash (function id -> JSON of the record), and a count per tenant
 * (the `functions` field of the tenant's stats hash, written in the same transaction). Functions are
 * immutable and kept until deleted by hand; `list` reads the whole hash and keeps the tenant's.
 */
import type Redis from "ioredis";
import type { FunctionRecord } from "../../domain/function-record.ts";
import type { FunctionStore } from "../../domain/ports.ts";
import { guarded } from "./connection.ts";
import type { RedisKeys } from "./keys.ts";

export class RedisFunctionStore implements FunctionStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async save(fn: FunctionRecord): Promise<void> {
    await guarded(() =>
      this.redis
        .multi()
        .hset(this.keys.functions, fn.id, JSON.stringify(fn))
        .hincrby(this.keys.statsOf(fn.tenant), "functions", 1)
        .sadd(this.keys.tenants, fn.tenant)
        .exec(),
    );
  }


  async get(id: string): Promise<FunctionRecord | undefined> {
    const json = await guarded(() => this.redis.hget(this.keys.functions, id));
    return json === null ? undefined : decodeFunction(json);
  }

  async list(tenant?: string): Promise<FunctionRecord[]> {
    const all = (await guarded(() => this.redis.hvals(this.keys.functions))).map(decodeFunction);
    return tenant === undefined ? all : all.filter((f) => f.tenant === tenant);
  }

  async count(tenant?: string): Promise<number> {
    if (tenant === undefined) return guarded(() => this.redis.hlen(this.keys.functions));
    return Number((await guarded(() => this.redis.hget(this.keys.statsOf(tenant), "functions"))) ?? 0);
  }
}

/** A stored function; records from before tenants belong to `default`. */
function decodeFunction(json: string): FunctionRecord {
  const fn = JSON.parse(json) as FunctionRecord;
  return fn.tenant === undefined ? { ...fn, tenant: "default" } : fn;
}
