/**
 * A Lua script run by its SHA1 (EVALSHA), loaded on demand: after a Redis restart the script cache is
 * empty and the first call falls back to EVAL, which caches it again.
 */
import type Redis from "ioredis";

export class LuaScript {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = new Bun.CryptoHasher("sha1").update(source).digest("hex");
  }

  /** Runs the script with `keys` as KEYS and `args` as ARGV. */
  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.call("EVALSHA", [this.sha, keys.length, ...keys, ...args]);
    } catch (e) {
      if (!String((e as Error)?.message).startsWith("NOSCRIPT")) throw e;
      return redis.call("EVAL", [this.source, keys.length, ...keys, ...args]);
    }
  }
}
