/**
 * A Lua script run by its SHA1 (EVALSHA), loaded on demand: after a Redis restart (or on a Cluster
 * node or promoted replica that never ran it) the script cache is empty and the first call falls back
 * to EVAL, which caches it again. On a Cluster the call goes to the node serving KEYS[1]'s slot.
 *
 * @example
 * const HELLO = new LuaScript("hello", "return redis.call('GET', KEYS[1])");
 * await HELLO.run(client, ["faas:greeting"], []);
 */
import type { RedisClient } from "./client.ts";

export class LuaScript {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = new Bun.CryptoHasher("sha1").update(source).digest("hex");
  }

  /** `isNoScript(e)`: the server did not have the script cached (run it with EVAL). */
  static isNoScript(e: unknown): boolean {
    return String((e as Error)?.message).startsWith("NOSCRIPT");
  }

  /** Runs the script with `keys` as KEYS and `args` as ARGV. */
  async run(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.call("EVALSHA", [this.sha, keys.length, ...keys, ...args]);
    } catch (e) {
      if (!LuaScript.isNoScript(e)) throw e;
      return redis.call("EVAL", [this.source, keys.length, ...keys, ...args]);
    }
  }
}
