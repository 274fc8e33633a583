/**
 * LuaScript against a private redis-server: plain scripts through EVALSHA (EVAL when the cache is
 * empty), and scripts made with LuaScript.library as Redis Functions: loaded once, loaded again when
 * the server lost them, and run through EVALSHA for a user the ACL denies Functions.
 */
import { describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { LuaScript } from "../../src/adapters/redis/lua-script.ts";
import { usePrivateRedis } from "../helpers/private-redis.ts";

const redis = usePrivateRedis();

/** Calls of each command so far (INFO commandstats). */
async function calls(command: string): Promise<number> {
  const line = (await redis.admin.info("commandstats")).split("\n").find((l) => l.startsWith(`cmdstat_${command}:`));
  return Number(/calls=(\d+)/.exec(line ?? "")?.[1] ?? 0);
}

// A helper that counts its own definitions in a key would need a command at load time, which Redis
// refuses; the library's helper here is a plain function the body calls.
const GREET = LuaScript.library("greet", "local function greeting(name) return 'hello ' .. name end", "redis.call('INCR', KEYS[1]) return greeting(ARGV[1])");

describe("LuaScript", () => {
  test("a plain script runs through EVALSHA, and through EVAL when the server's script cache is empty", async () => {
    const echo = new LuaScript("echo", "return ARGV[1] .. KEYS[1]");
    await redis.admin.script("FLUSH");
    const [evals, evalshas] = [await calls("eval"), await calls("evalsha")];
    expect(await echo.run(redis.admin, ["k"], ["v-"])).toBe("v-k");
    expect(await echo.run(redis.admin, ["k"], ["w-"])).toBe("w-k");
    expect([(await calls("eval")) - evals, (await calls("evalsha")) - evalshas]).toEqual([1, 2]); // a miss, then a hit
  });

  test("a library script runs as a Redis Function: loaded on the first call, then FCALL only (no EVAL, no EVALSHA)", async () => {
    await redis.admin.call("FUNCTION", "FLUSH");
    const [loads, fcalls, evalshas] = [await calls("function|load"), await calls("fcall"), await calls("evalsha")];
    expect(await GREET.run(redis.admin, ["greet:count"], ["ann"])).toBe("hello ann");
    expect(await GREET.run(redis.admin, ["greet:count"], ["bob"])).toBe("hello bob");
    expect(await redis.admin.get("greet:count")).toBe("2");
    expect((await calls("function|load")) - loads).toBe(1);
    expect((await calls("fcall")) - fcalls).toBe(3); // a miss, then two runs
    expect((await calls("evalsha")) - evalshas).toBe(0);
    const listed = JSON.stringify(await redis.admin.call("FUNCTION", "LIST", "LIBRARYNAME", GREET.library!.name));
    expect(listed).toContain(GREET.library!.name);
  });

  test("a server that lost its functions (restarted empty, FUNCTION FLUSH) gets the library again on the next call", async () => {
    expect(await GREET.run(redis.admin, ["greet:count"], ["cy"])).toBe("hello cy");
    await redis.admin.call("FUNCTION", "FLUSH");
    expect(await GREET.run(redis.admin, ["greet:count"], ["di"])).toBe("hello di");
  });

  test("two versions of a script are two libraries, side by side (processes of two versions each find their own)", async () => {
    const newer = LuaScript.library("greet", "local function greeting(name) return 'hi ' .. name end", "return greeting(ARGV[1])");
    expect(newer.library!.name).not.toBe(GREET.library!.name);
    expect(await newer.run(redis.admin, ["greet:count"], ["ed"])).toBe("hi ed");
    expect(await GREET.run(redis.admin, ["greet:count"], ["fay"])).toBe("hello fay");
  });

  test("a user the ACL denies Functions runs library scripts through EVALSHA", async () => {
    await redis.admin.call("ACL", "SETUSER", "nofunctions", "on", ">secret", "~*", "&*", "+@all", "-fcall", "-function");
    const limited = new Redis(redis.server.url.replace("redis://", "redis://nofunctions:secret@"));
    try {
      const evalshas = await calls("evalsha");
      expect(await GREET.run(limited, ["greet:count"], ["gus"])).toBe("hello gus");
      expect(await GREET.run(limited, ["greet:count"], ["hal"])).toBe("hello hal");
      expect((await calls("evalsha")) - evalshas).toBe(2);
    } finally {
      limited.disconnect();
    }
  });
});
