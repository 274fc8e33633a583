import { LuaScript } from "../lua-script.ts";
import { CLAIM_LUA } from "./claim-core.ts";
import { QUEUE_LUA } from "./queue.ts";
import { SHARED_LUA } from "./shared.ts";

/**
 * Stores new QUEUED tasks of one tenant in one shard (one MSET) and queues each where its placement
 * code says (queue.ts; the caller computes the codes so the script never decodes a task), all or
 * nothing: when a function is not registered in the shard (Redis restarted empty under an API that
 * cached it), the queued count (this shard's, plus the other shards' as read just before) plus the
 * batch would pass the limit, or the tenant's would pass its own, nothing is written. Tasks that wait
 * for others get a "link" item on the outbox: a dispatcher links them to what they wait for
 * (dependency-links.ts). Counts them as submitted and queued in their tenant's stats hash, notes the
 * tenant in the shard's tenants set (REGISTER noted it with the function already; this is for records
 * of older versions). Then a dispatcher waiting for work (the shard's idle hash) gets
 * them at once: the script claims for it and appends the tasks to its hand-out stream, which it blocks
 * on (claim-core.ts). Blocked dispatchers are woken (one entry on the wake stream) unless that drained
 * the queue and every new task was due and free of dependencies. When nothing else is queued in the
 * shard and such a dispatcher takes every new task, they go the short way (`hand_fresh`): stored
 * RUNNING at once, counted submitted only (never queued); a task that goes it alone leaves its count
 * and its place in the operators' index to a later drain (deferred.ts).
 *
 * KEYS: the shard's scriptKeys (see queue.ts)
 * ARGV[1] limit (max queued), ARGV[2] tasks queued in the other shards, ARGV[3] the function ids
 * (space-separated), ARGV[4] tenant, ARGV[5] 1: store nothing when the first task exists, ARGV[6] the
 * tenant's queued limit ('' for none), ARGV[7] the tenant's tasks queued in the other shards, ARGV[8]
 * now (ms), ARGV[9] the tasks' createdAt when they share one ('' otherwise), ARGV[10] with ARGV[9]: `|` then the
 * tasks' ids in descending byte order, space-separated (the run the unfinished index's group takes:
 * operations.ts), then triples: task id, task JSON, placement code ('r' ready list, 'p<rank>' priority set,
 * 'd<runAt>' delayed, 'b' waiting for other tasks)
 * Returns {1} when stored, {2} when the first task existed (ARGV[5] = 1), {-1, function id} when a
 * function is unknown, {0, depth} when the queue is full, {3, depth} when the tenant's share is.
 */
export const ENQUEUE = LuaScript.library(
  "enqueue",
  `${SHARED_LUA}${QUEUE_LUA}${CLAIM_LUA}`,
  `bind_keys()
if ARGV[5] == '1' and redis.call('EXISTS', K.task .. ARGV[11]) == 1 then return {2} end
for fid in string.gmatch(ARGV[3], '%S+') do
  if redis.call('HEXISTS', K.functions, fid) == 0 then return {-1, fid} end
end
local queued_here = tonumber(redis.call('GET', K.queued) or '0')
local depth = queued_here + tonumber(ARGV[2])
local n = (#ARGV - 10) / 3
if depth + n > tonumber(ARGV[1]) then return {0, depth} end
local tenant = ARGV[4]
local stats_key = K.stats .. tenant
if ARGV[6] ~= '' then
  local mine = tonumber(redis.call('HGET', stats_key, 'queued') or '0') + tonumber(ARGV[7])
  if mine + n > tonumber(ARGV[6]) then return {3, mine} end
end
local created_at, ids_run = nil, nil
if ARGV[9] ~= '' then created_at, ids_run = ARGV[9], ARGV[10] end
local one_function = nil
if not string.find(ARGV[3], ' ', 1, true) then one_function = ARGV[3] end
-- the short way (claim-core.ts): nothing else queued here, every new task due and free to run
local handed = false
if queued_here == 0 then
  local ids, records = {}, {}
  for i = 11, #ARGV, 3 do
    if ARGV[i + 2] ~= 'r' then
      ids = nil
      break
    end
    ids[#ids + 1] = ARGV[i]
    records[#records + 1] = ARGV[i + 1]
  end
  handed = ids ~= nil and hand_fresh(tonumber(ARGV[8]), ids, records)
end
local not_due = false
if not handed then
  local writes, ready, links = {}, {}, {}
  for i = 11, #ARGV, 3 do
    writes[#writes + 1] = K.task .. ARGV[i]
    writes[#writes + 1] = ARGV[i + 1]
    local code = ARGV[i + 2]
    if code == 'b' then links[#links + 1] = 'link|' .. ARGV[i] else place_coded(ARGV[i], code, tenant, ready) end
    if code ~= 'r' and string.sub(code, 1, 1) ~= 'p' then not_due = true end
  end
  mset_all(writes)
  if #ready > 0 then push_ready(tenant, ready, tonumber(ARGV[8])) end
  for i = 1, #links, 1000 do redis.call('LPUSH', K.outbox, unpack(links, i, math.min(i + 999, #links))) end
  redis.call('INCRBY', K.queued, n)
  redis.call('HINCRBY', stats_key, 'queued', n)
end
if handed and n == 1 and created_at and one_function then
  defer_enqueued(K.ops, tenant, ARGV[11], created_at, one_function) -- counted, indexed and its tenant noted later (deferred.ts)
else
  redis.call('SADD', K.tenants, tenant)
  redis.call('HINCRBY', stats_key, 'submitted', n)
  ops_enqueued(K.ops, tenant, ARGV, 11, 3, created_at, one_function, ids_run)
end
if not handed and (not hand_to_idle(tonumber(ARGV[8])) or not_due) then wake() end
return {1}
`,
);
