import { LuaScript } from "../lua-script.ts";

/**
 * Reads the task counters and the queued count in one atomic step, so the running gauge derived from
 * them (submitted - finished - queued) is exact.
 *
 * KEYS[1] stats hash, KEYS[2] queued counter
 * No ARGV.
 * Returns {{field, value, ...} (HGETALL of the stats hash), queued count or false}.
 */
export const READ_STATS = new LuaScript(
  "read-stats",
  `
return {redis.call('HGETALL', KEYS[1]), redis.call('GET', KEYS[2])}
`,
);
