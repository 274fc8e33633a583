import { LuaScript } from "../lua-script.ts";
import { SHARED_LUA } from "./shared.ts";

/**
 * Starts a new attempt of the tasks behind the given entries pending on this dispatcher, which it does
 * not know it holds: a claim whose reply was lost when the connection or Redis died after the script
 * ran. Entries no longer pending are skipped; entries whose task is terminal or gone are acked.
 *
 * KEYS[1] queue stream, KEYS[2] queued counter, KEYS[3] prefix of the per-tenant stats hashes,
 * KEYS[#KEYS] the shard's operations prefix (unused here: the attempt is noted in the task)
 * ARGV[1] group, ARGV[2] consumer (this dispatcher's id), ARGV[3] now (ms), ARGV[4] task key prefix,
 * then the entry ids
 * Returns {task JSON...} of the tasks now RUNNING here.
 */
export const ADOPT = new LuaScript(
  "adopt",
  `${SHARED_LUA}
local entries, drop = {}, {}
for i = 5, #ARGV, 500 do
  local claimed = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, unpack(ARGV, i, math.min(i + 499, #ARGV)))
  for _, e in ipairs(entry_pairs(claimed, drop)) do entries[#entries + 1] = e end
end
return hand_out(KEYS[1], ARGV[1], KEYS[2], KEYS[3], ARGV[4], entries, tonumber(ARGV[3]), drop)
`,
);
