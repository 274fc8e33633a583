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
 * ACL denies them, gets the same script through EVALSHA from then on. On one server a function call
 * goes through the client's lean lane when it is ready (lean-lanes.ts), else through ioredis.
 *
 * @example
 * const HELLO = new LuaScript("hello", "return redis.call('GET', KEYS[1])");
 * await HELLO.run(client, ["faas:greeting"], []);
 */
import type { Redis } from "ioredis";
import { isCluster, type RedisClient } from "./client.ts";
import { viaLane } from "./lean-lanes.ts";

/** A script as a Redis Functions library: its name (also its one function's) and its code. */
export interface ScriptLibrary {
  readonly name: string;
  readonly code: string;
}

const PING = ["PING"] as const;

/** Clients whose server refused Functions (too old, or the ACL): they run every script with EVALSHA. */
const withoutFunctions = new WeakSet<RedisClient>();

export class LuaScript {
  readonly sha: string;

  /** Set when made by `LuaScript.library`: the script as a Redis Functions library. */
  readonly library?: ScriptLibrary;

  /** What EVAL runs: the script, or a library script's definitions then its body. */
  readonly source: string;

  constructor(
    readonly name: string,
    script: string | { readonly definitions: string; readonly body: string },
  ) {
    this.source = typeof script === "string" ? script : `${script.definitions}\n${script.body}`;
    this.sha = new Bun.CryptoHasher("sha1").update(this.source).digest("hex");
    if (typeof script === "string") return;
    const lib = `bunfaas_${name.replace(/[^A-Za-z0-9_]/g, "_")}_${this.sha.slice(0, 16)}`;
    const code = `#!lua name=${lib}\nlocal KEYS, ARGV\n${script.definitions}\nredis.register_function('${lib}', function(keys, args)\nKEYS, ARGV = keys, args\n${script.body}\nend)\n`;
    this.library = { name: lib, code };
  }

  /**
   * A script whose `definitions` (local constants and functions only: nothing there may run a command
   * or read KEYS or ARGV when it is defined) are loaded once as a library, and whose `body` runs per
   * call with KEYS and ARGV set, as a Redis Function. As an EVAL script (the fallback) it is the two
   * texts one after the other. The library's name carries the script's SHA1, so processes of two
   * versions each find their own.
   */
  static library(name: string, definitions: string, body: string): LuaScript {
    return new LuaScript(name, { definitions, body });
  }

  /** `isNoScript(e)`: the server did not have the script cached (run it with EVAL). */
  static isNoScript(e: unknown): boolean {
    return String((e as Error)?.message).startsWith("NOSCRIPT");
  }

  /**
   * Runs the script with `keys` as KEYS and `args` as ARGV.
   *
   * `replyAfterMessages`: the script's subscribers hear what it publishes before the caller hears
   * its reply, where the call goes as a function through a lean lane. Redis (7.x) writes the replies
   * of one turn of its loop client by client, the client that got its first reply of the turn last
   * going first; a script's reply is made when it ends, after the messages it published, so its
   * caller would be written to (and woken, a few microseconds of Redis's time on a virtual machine)
   * before them. A PING sent ahead in the same write gives the caller its first reply before the script
   * runs. APPLY takes it: a task's waiter hears the task's end before the dispatcher hears APPLY's
   * answer (2026-11-28, lone tasks through redis-local: that hop 8-28 us shorter in six of six
   * alternated runs). Through ioredis (EVALSHA, or no lane) nothing is sent ahead.
   */
  async run(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[], o: { readonly replyAfterMessages?: boolean } = {}): Promise<unknown> {
    const lib = this.library;
    if (lib !== undefined && !withoutFunctions.has(redis)) {
      const command = ["FCALL", lib.name, keys.length, ...keys, ...args];
      // Through the lean lane while it and the command connection are both up (one closed or
      // reconnecting fails fast, as before).
      const lead = o.replyAfterMessages === true ? PING : undefined;
      const fcall = (): Promise<unknown> => viaLane(redis, command, () => redis.call("FCALL", command.slice(1)), lead);
      try {
        return await fcall();
      } catch (e) {
        const message = String((e as Error)?.message);
        if (message.includes("Function not found")) {
          await loadLibrary(redis, lib.code);
          return await fcall();
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
