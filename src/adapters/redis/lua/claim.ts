import { LuaScript } from "../lua-script.ts";
import { SHARED_LUA } from "./shared.ts";

/**
 * Reads up to ARGV[3] new entries for one dispatcher from the consumer group and starts an attempt of
 * each task (RUNNING, attempt + 1) in the same atomic step, so no entry is ever delivered without its
 * task being marked. Entries whose task is gone or not QUEUED are acked and dropped. Creates the group
 * when missing (first use, or Redis restarted empty).
 *
 * KEYS[1] queue stream, KEYS[2] queued counter, KEYS[3] prefix of the per-tenant stats hashes,
 * KEYS[#KEYS] the shard's operations prefix (unused here: the attempt is noted in the task)
 * ARGV[1] group, ARGV[2] consumer (dispatcher id), ARGV[3] max entries, ARGV[4] now (ms),
 * ARGV[5] task key prefix
 * Returns {'', task JSON...} when entries were read; {last id} when none were waiting: the id a
 * blocking XREAD should wait after (the newest entry in the stream, or '0-0').
 */
export const CLAIM = new LuaScript(
  "claim",
  `${SHARED_LUA}
local function read()
  return redis.pcall('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
end
local r = read()
if type(r) == 'table' and r.err then
  if not string.find(r.err, 'NOGROUP', 1, true) then return redis.error_reply(r.err) end
  redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
  r = read()
end
if not r then
  local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
  if last[1] then return {last[1][1]} end
  return {'0-0'}
end
local drop = {}
local out = hand_out(KEYS[1], ARGV[1], KEYS[2], KEYS[3], ARGV[5], entry_pairs(r[1][2], drop), tonumber(ARGV[4]), drop)
table.insert(out, 1, '')
return out
`,
);
