/**
 * A Lua script run by its SHA1 (EVALSHA), loaded on demand: after a Redis restart (or on a Cluster
 * node or promoted replica that never ran it) the script cache is empty and the first call falls back
 * to EVAL, which caches it again. On a Cluster the call goes to the node serving KEYS[1]'s slot.
 *
 * A script made with `LuaScript.library` runs as a Redis Function instead (FCALL, Redis 7 and later):
 * its definitions (the helpers every call of an EVAL script defines again: 15-20 us of Redis time per
 * call with the shared helpers) are loaded once, with FUNCTION LOAD, and only its body runs per call.
 * A server that lacks the function (restarted empty, a new Cluster master) gets the library on the
 * first call that misses it (on every master of a Cluster); a server without Functions, or a user the
 * ACL denies them, gets the same script through EVALSHA from then on.
 *
 * @example
 * const HELLO = new LuaScript("hello", "return redis.call('GET', KEYS[1])");
 * await HELLO.run(client, ["faas:greeting"], []);
 */
import type { Redis } from "ioredis";
import { isCluster, type RedisClient } from "./client.ts";

/** A script as a Redis Functions library: its name, the function's name and the library's code. */
export interface ScriptLibrary {
  readonly name: string;
  readonly fn: string;
  readonly code: string;
}

/** Clients whose server refused Functions (too old, or the ACL): they run every script with EVALSHA. */
const withoutFunctions = new WeakSet<RedisClient>();

export class LuaScript {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly source: string,
    readonly library?: ScriptLibrary,
  ) {
    this.sha = new Bun.CryptoHasher("sha1").update(source).digest("hex");
  }

  /**
   * A script whose `definitions` (local constants and functions only: nothing there may run a command
   * or read KEYS or ARGV when it is defined) are loaded once as a library, and whose `body` runs per
   * call with KEYS and ARGV set, as a Redis Function. As an EVAL script (the fallback) it is the two
   * texts one after the other. The library's name carries the script's SHA1, so processes of two
   * versions each find their own.
   */
  static library(name: string, definitions: string, body: string): LuaScript {
    const source = `${definitions}\n${body}`;
    const sha = new Bun.CryptoHasher("sha1").update(source).digest("hex");
    const lib = `bunfaas_${name.replace(/[^A-Za-z0-9_]/g, "_")}_${sha.slice(0, 16)}`;
    const code = `#!lua name=${lib}\nlocal KEYS, ARGV\n${definitions}\nredis.register_function('${lib}', function(keys, args)\nKEYS, ARGV = keys, args\n${body}\nend)\n`;
    return new LuaScript(name, source, { name: lib, fn: lib, code });
  }

  /** `isNoScript(e)`: the server did not have the script cached (run it with EVAL). */
  static isNoScript(e: unknown): boolean {
    return String((e as Error)?.message).startsWith("NOSCRIPT");
  }

  /** Runs the script with `keys` as KEYS and `args` as ARGV. */
  async run(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const lib = this.library;
    if (lib !== undefined && !withoutFunctions.has(redis)) {
      try {
        return await redis.call("FCALL", [lib.fn, keys.length, ...keys, ...args]);
      } catch (e) {
        const message = String((e as Error)?.message);
        if (message.includes("Function not found")) {
          await loadLibrary(redis, lib.code);
          return await redis.call("FCALL", [lib.fn, keys.length, ...keys, ...args]);
        }
        if (!/unknown command|NOPERM/i.test(message)) throw e;
        withoutFunctions.add(redis); // no Functions here: EVALSHA from now on
      }
    }
    try {
      return await redis.call("EVALSHA", [this.sha, keys.length, ...keys, ...args]);
    } catch (e) {
      if (!LuaScript.isNoScript(e)) throw e;
      return redis.call("EVAL", [this.source, keys.length, ...keys, ...args]);
    }
  }
}

/** Loads a library on the server (every master of a Cluster); one loaded meanwhile by another process is fine. */
async function loadLibrary(redis: RedisClient, code: string): Promise<void> {
  const servers: Redis[] = isCluster(redis) ? redis.nodes("master") : [redis];
  await Promise.all(
    servers.map(async (server) => {
      try {
        await server.call("FUNCTION", ["LOAD", code]);
      } catch (e) {
        if (!String((e as Error)?.message).includes("already exists")) throw e;
      }
    }),
  );
}
