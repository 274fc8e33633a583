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
 * ARGV[5] the newest hand-out entry this dispatcher read ('' for none), then the entry ids; KEYS[18]
 * the prefix of hand-out streams, KEYS[20] the entry-left hash
 * First takes what ENQUEUE handed to this dispatcher and it has not read (collect_handouts): those
 * entries are not lost, and are handed over as they are.
 * Returns {newest hand-out entry taken (or ''), h, h hand-out task JSONs, task JSON...} of the tasks
 * now RUNNING here.
 */
export const ADOPT = new LuaScript(
  "adopt",
  `${SHARED_LUA}
local handed, newest, handed_entries = collect_handouts(KEYS[18] .. ARGV[2], ARGV[5])
local lost = {}
for i = 6, #ARGV do
  if not handed_entries[ARGV[i]] then lost[#lost + 1] = ARGV[i] end
end
local entries, drop = {}, {}
for i = 1, #lost, 500 do
  local claimed = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, unpack(lost, i, math.min(i + 499, #lost)))
  for _, e in ipairs(entry_pairs(claimed, drop)) do entries[#entries + 1] = e end
end
local out = hand_out(KEYS[1], ARGV[1], KEYS[2], KEYS[3], ARGV[4], KEYS[20], entries, tonumber(ARGV[3]), drop)
return with_handouts({newest}, handed, out)
`,
);
