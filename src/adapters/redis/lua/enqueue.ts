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
 * hash, KEYS[5] tenants set, KEYS[#KEYS] the shard's operations prefix (listing indexes: operations.ts)
 * ARGV[1] limit (max queued), ARGV[2] tasks queued in the other shards, ARGV[3] task key prefix,
 * ARGV[4] function id, ARGV[5] tenant, then pairs: ARGV[i] task id, ARGV[i+1] task JSON
 * Returns {1} when stored, {-1} when the function is unknown, {0, depth} when the queue is full.
 */
export const ENQUEUE = new LuaScript(
  "enqueue",
  `${SHARED_LUA}
if redis.call('HEXISTS', KEYS[4], ARGV[4]) == 0 then return {-1} end
local depth = tonumber(redis.call('GET', KEYS[2]) or '0') + tonumber(ARGV[2])
local n = (#ARGV - 5) / 2
if depth + n > tonumber(ARGV[1]) then return {0, depth} end
local writes = {}
for i = 6, #ARGV, 2 do
  writes[#writes + 1] = ARGV[3] .. ARGV[i]
  writes[#writes + 1] = ARGV[i + 1]
end
mset_all(writes)
for i = 6, #ARGV, 2 do redis.call('XADD', KEYS[1], '*', 't', ARGV[i]) end
redis.call('INCRBY', KEYS[2], n)
redis.call('HINCRBY', KEYS[3], 'submitted', n)
redis.call('HINCRBY', KEYS[3], 'queued', n)
redis.call('SADD', KEYS[5], ARGV[5])
ops_enqueued(KEYS[#KEYS], ARGV[5], ARGV[4], ARGV, 6)
return {1}
`,
);
