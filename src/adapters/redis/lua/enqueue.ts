import { LuaScript } from "../lua-script.ts";
import { SHARED_LUA } from "./shared.ts";

/**
 * Stores new QUEUED tasks of one function in one shard (one MSET) and appends one queue entry per task,
 * all or nothing: when the function is not registered in the shard (Redis restarted empty under an API
 * that cached it) or the queued count (this shard's, plus the other shards' as read just before) plus
 * the batch would pass the limit, nothing is written. Counts them as submitted and queued in their
 * tenant's stats hash and notes the tenant in the shard's tenants set.
 *
 * KEYS[1] queue stream, KEYS[2] queued counter, KEYS[3] the tenant's stats hash, KEYS[4] functions
 * hash, KEYS[5] tenants set
 * ARGV[1] limit (max queued), ARGV[2] tasks queued in the other shards, ARGV[3] task key prefix,
 * ARGV[4] function id, ARGV[5] tenant, ARGV[6] 1: store nothing when the first task exists, ARGV[7]
 * the tenant's queued limit ('' for none), ARGV[8] the tenant's tasks queued in the other shards, then
 * pairs: ARGV[i] task id, ARGV[i+1] task JSON
 * Returns {1} when stored, {2} when the first task existed (ARGV[6] = 1), {-1} when the function is
 * unknown, {0, depth} when the queue is full, {3, depth} when the tenant's share is.
 */
export const ENQUEUE = new LuaScript(
  "enqueue",
  `${SHARED_LUA}
if ARGV[6] == '1' and redis.call('EXISTS', ARGV[3] .. ARGV[9]) == 1 then return {2} end
if redis.call('HEXISTS', KEYS[4], ARGV[4]) == 0 then return {-1} end
local depth = tonumber(redis.call('GET', KEYS[2]) or '0') + tonumber(ARGV[2])
local n = (#ARGV - 8) / 2
if depth + n > tonumber(ARGV[1]) then return {0, depth} end
if ARGV[7] ~= '' then
  local mine = tonumber(redis.call('HGET', KEYS[3], 'queued') or '0') + tonumber(ARGV[8])
  if mine + n > tonumber(ARGV[7]) then return {3, mine} end
end
local writes = {}
for i = 9, #ARGV, 2 do
  writes[#writes + 1] = ARGV[3] .. ARGV[i]
  writes[#writes + 1] = ARGV[i + 1]
end
mset_all(writes)
for i = 9, #ARGV, 2 do redis.call('XADD', KEYS[1], '*', 't', ARGV[i]) end
redis.call('INCRBY', KEYS[2], n)
redis.call('HINCRBY', KEYS[3], 'submitted', n)
redis.call('HINCRBY', KEYS[3], 'queued', n)
redis.call('SADD', KEYS[5], ARGV[5])
return {1}
`,
);
