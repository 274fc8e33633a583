/**
 * Registered functions in one Redis hash (function id -> JSON of the record). Functions are immutable
 * and kept until deleted by hand; `list` reads the whole hash.
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
    await guarded(() => this.redis.hset(this.keys.functions, fn.id, JSON.stringify(fn)));
  }

  async get(id: string): Promise<FunctionRecord | undefined> {
    const json = await guarded(() => this.redis.hget(this.keys.functions, id));
    return json === null ? undefined : (JSON.parse(json) as FunctionRecord);
  }

  async list(): Promise<FunctionRecord[]> {
    const all = await guarded(() => this.redis.hvals(this.keys.functions));
    return all.map((json) => JSON.parse(json) as FunctionRecord);
  }

  async count(): Promise<number> {
    return guarded(() => this.redis.hlen(this.keys.functions));
  }
}
