import { ACTIVITY_KEEP_MS, LATENCY_BOUNDS_MS } from "../../../domain/activity.ts";
import { MAX_ATTEMPT_RECORDS } from "../../../domain/attempt-log.ts";

/**
 * Lua helpers for operators, prepended to every script with SHARED_LUA (shared.ts). The scripts that
 * change tasks call them with a line or two each; every key they touch is under the shard's operations
 * prefix P (`<shard base>ops:`, passed as the scripts' last KEYS entry), so a script stays in one slot:
 *
 * - `P a:<tenant>`, `P fa:<function id>`: sorted sets of unfinished tasks (QUEUED, RUNNING) by created time;
 * - `P d:<tenant>:<status>`, `P fd:<function id>:<status>`: finished tasks by finish time; entries older
 *   than the retention are trimmed when the set is written, and the set expires `retention` after its
 *   last write, so no entry outlives its task by more than that;
 * - `P fs:<function id>`: hash of the function's counters (submitted, C, F, X, b<bucket>);
 * - `P h:<tenant>:<minute>`: hash of that minute's seconds (`<second>:C|F|X`, `<second>:b<bucket>`),
 *   expiring ACTIVITY_KEEP_MS after the minute began (task-counts in activity.ts).
 *
 * Each call writes a batch with one command per key touched (ZADD, ZREM variadic; HMGET + HSET for the
 * counters), so the cost per task falls with the batch size.
 *
 * note_attempt_start(t, now): records the attempt t.attempt starting now (in start_attempts).
 * note_attempt_end(t, now, status, ran_on): ends attempt t.attempt as the APPLY status says
 * ('COMPLETED', 'FAILED', 'CANCELLED', 'QUEUED': REQUEUED, 'HANDBACK': HANDED_BACK), noting where it ran.
 * ops_enqueued(P, tenant, function_id, argv, first): indexes the (id, task JSON) pairs of argv from
 * `first` as unfinished and counts them submitted.
 * ops_finished(P, tasks, now, retention_ms): moves terminal tasks to the finished sets and counts them.
 */
export const OPS_LUA = `
local LATENCY_BOUNDS = {${LATENCY_BOUNDS_MS.join(", ")}}
local ACTIVITY_KEEP_MS = ${ACTIVITY_KEEP_MS}

local function ops_tenant_of(t)
  if type(t.tenant) == 'string' and t.tenant ~= '' then return t.tenant end
  return 'default'
end

local function latency_bucket(ms)
  local lo, hi = 1, #LATENCY_BOUNDS + 1
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if LATENCY_BOUNDS[mid] >= ms then hi = mid else lo = mid + 1 end
  end
  return lo - 1
end

local function note_attempt_start(t, now)
  if type(t.attempts) ~= 'table' then t.attempts = {} end
  local a = t.attempts
  a[#a + 1] = {attempt = t.attempt, startedAt = now}
  while #a > ${MAX_ATTEMPT_RECORDS} do table.remove(a, 1) end
end

local ATTEMPT_OUTCOME = {QUEUED = 'REQUEUED', HANDBACK = 'HANDED_BACK'}
local function note_attempt_end(t, now, status, ran_on)
  local a = t.attempts
  if type(a) ~= 'table' then return end
  for i = #a, 1, -1 do
    if type(a[i]) == 'table' and a[i].attempt == t.attempt then
      a[i].endedAt = now
      a[i].outcome = ATTEMPT_OUTCOME[status] or status
      if ran_on and ran_on ~= '' then a[i].ranOn = ran_on end
      return
    end
  end
end

local function zadd_all(key, members)
  for i = 1, #members, 1000 do redis.call('ZADD', key, unpack(members, i, math.min(i + 999, #members))) end
end

local function zrem_all(key, ids)
  for i = 1, #ids, 1000 do redis.call('ZREM', key, unpack(ids, i, math.min(i + 999, #ids))) end
end

-- adds acc = {field = n} into hash key with one HMGET and one HSET; ttl_ms: expire the hash when new
local function hash_add(key, acc, ttl_ms)
  local fields = {}
  for f in pairs(acc) do fields[#fields + 1] = f end
  if #fields == 0 then return end
  if ttl_ms then fields[#fields + 1] = '_' end
  local cur = redis.call('HMGET', key, unpack(fields))
  local sets = {}
  for i, f in ipairs(fields) do
    if f ~= '_' then
      sets[#sets + 1] = f
      sets[#sets + 1] = string.format('%d', (tonumber(cur[i]) or 0) + acc[f])
    end
  end
  local fresh = ttl_ms and not cur[#fields]
  if fresh then
    sets[#sets + 1] = '_'
    sets[#sets + 1] = '1'
  end
  redis.call('HSET', key, unpack(sets))
  if fresh then redis.call('PEXPIRE', key, ttl_ms) end
end

local function add_to(groups, key, a, b)
  local g = groups[key]
  if not g then
    g = {}
    groups[key] = g
  end
  g[#g + 1] = a
  if b ~= nil then g[#g + 1] = b end
end

local function ops_enqueued(P, tenant, function_id, argv, first)
  local members = {}
  for i = first, #argv, 2 do
    members[#members + 1] = tonumber(string.match(argv[i + 1], '"createdAt":(%d+)')) or 0
    members[#members + 1] = argv[i]
  end
  if #members == 0 then return end
  zadd_all(P .. 'a:' .. tenant, members)
  zadd_all(P .. 'fa:' .. function_id, members)
  redis.call('HINCRBY', P .. 'fs:' .. function_id, 'submitted', #members / 2)
end

local STATUS_FIELD = {COMPLETED = 'C', FAILED = 'F', CANCELLED = 'X'}
local function ops_finished(P, tasks, now, retention_ms)
  if #tasks == 0 then return end
  local unfinished, finished, fn_counts, seconds = {}, {}, {}, {}
  local second = math.floor(now / 1000)
  local minute_key = function(tenant) return P .. 'h:' .. tenant .. ':' .. math.floor(second / 60) end
  for _, t in ipairs(tasks) do
    local tenant = ops_tenant_of(t)
    local field = STATUS_FIELD[t.status] or 'X'
    add_to(unfinished, P .. 'a:' .. tenant, t.id)
    add_to(unfinished, P .. 'fa:' .. t.functionId, t.id)
    add_to(finished, P .. 'd:' .. tenant .. ':' .. t.status, now, t.id)
    add_to(finished, P .. 'fd:' .. t.functionId .. ':' .. t.status, now, t.id)
    local fc = fn_counts[t.functionId] or {}
    fn_counts[t.functionId] = fc
    local sc = seconds[tenant] or {}
    seconds[tenant] = sc
    fc[field] = (fc[field] or 0) + 1
    sc[second .. ':' .. field] = (sc[second .. ':' .. field] or 0) + 1
    if field ~= 'X' then
      local b = 'b' .. latency_bucket(math.max(0, now - (tonumber(t.createdAt) or now)))
      fc[b] = (fc[b] or 0) + 1
      sc[second .. ':' .. b] = (sc[second .. ':' .. b] or 0) + 1
    end
  end
  for key, ids in pairs(unfinished) do zrem_all(key, ids) end
  for key, members in pairs(finished) do
    zadd_all(key, members)
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. string.format('%d', now - retention_ms))
    redis.call('PEXPIRE', key, retention_ms)
  end
  for fid, acc in pairs(fn_counts) do hash_add(P .. 'fs:' .. fid, acc, nil) end
  local ttl = math.floor(second / 60) * 60000 + ACTIVITY_KEEP_MS - now
  for tenant, acc in pairs(seconds) do hash_add(minute_key(tenant), acc, math.max(1000, ttl)) end
end
`;
