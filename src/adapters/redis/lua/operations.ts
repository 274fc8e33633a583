import { ACTIVITY_KEEP_MS, LATENCY_BOUNDS_MS } from "../../../domain/activity.ts";
import { MAX_ATTEMPT_RECORDS } from "../../../domain/attempt-log.ts";

/**
 * Lua helpers for operators, prepended to every script with SHARED_LUA (shared.ts). The scripts that
 * change tasks call them with a line or two each; every key they touch is under the shard's operations
 * prefix P (`<shard base>ops:`, passed as the scripts' last KEYS entry), so a script stays in one slot:
 *
 * - `P a:<tenant>`: sorted set of the tenant's unfinished tasks (QUEUED, RUNNING) by created time;
 * - `P d:<tenant>:<status>`: its finished tasks by finish time, and `P fd:<function id>:FAILED` a
 *   function's FAILED ones (the lists operators filter by function most: to inspect and re-run them);
 *   other lists of one function scan the tenant's sets. Entries older than the retention are trimmed
 *   when a set is written, and a set expires `retention` after its last write, so no entry outlives
 *   its task by more than that;
 * - `P fs:<function id>`: hash of the function's counters (submitted, C, F, X, b<bucket>);
 * - `P h:<tenant>:<minute>`: hash of that minute's seconds (`<second>:C|F|X`, `<second>:b<bucket>`),
 *   expiring ACTIVITY_KEEP_MS after the minute began (task-counts in activity.ts).
 *
 * Each call writes a batch with one command per key touched (ZADD, ZREM variadic; HMGET + HSET for the
 * counters), so the commands per task fall with the batch size; each task costs one sorted-set insert
 * when queued and one removal and one insert when it finishes (two inserts when it FAILED).
 *
 * note_attempt_start(t, now): records the attempt t.attempt starting now (in start_attempts).
 * note_attempt_end(t, now, status, ran_on, result): ends attempt t.attempt as the APPLY status says
 * ('COMPLETED', 'FAILED', 'CANCELLED', 'QUEUED': REQUEUED, 'HANDBACK': HANDED_BACK, 'RETRY': RETRIED by
 * the task's retry policy), noting where it ran and, for FAILED and RETRIED, the error's name and
 * message (cut at 1,000 characters) from the result.
 * ops_enqueued(P, tenant, argv, first, step, created_at, function_id): indexes the tasks of argv from
 * `first`, one every `step` entries (task id, then its JSON), as unfinished and counts them submitted
 * for their functions; `created_at` and `function_id`, when the caller knows them for the whole batch
 * (else nil), spare reading them from each task's JSON.
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

local ATTEMPT_OUTCOME = {QUEUED = 'REQUEUED', HANDBACK = 'HANDED_BACK', RETRY = 'RETRIED'}
local function note_attempt_end(t, now, status, ran_on, result)
  local a = t.attempts
  if type(a) ~= 'table' then return end
  for i = #a, 1, -1 do
    if type(a[i]) == 'table' and a[i].attempt == t.attempt then
      a[i].endedAt = now
      a[i].outcome = ATTEMPT_OUTCOME[status] or status
      if ran_on and ran_on ~= '' then a[i].ranOn = ran_on end
      if (status == 'FAILED' or status == 'RETRY') and type(result) == 'string' and result ~= '' then
        local okay, e = pcall(cjson.decode, result)
        if okay and type(e) == 'table' and type(e.name) == 'string' then
          local message = ''
          if type(e.message) == 'string' then message = string.sub(e.message, 1, 1000) end
          a[i].error = {name = e.name, message = message}
        end
      end
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

local function ops_enqueued(P, tenant, argv, first, step, created_at, function_id)
  local members, per_function = {}, {}
  for i = first, #argv, step do
    members[#members + 1] = created_at or string.match(argv[i + 1], '"createdAt":(%d+)') or '0'
    members[#members + 1] = argv[i]
    local fid = function_id or string.match(argv[i + 1], '"functionId":"([^"]*)"')
    if fid then per_function[fid] = (per_function[fid] or 0) + 1 end
  end
  if #members == 0 then return end
  zadd_all(P .. 'a:' .. tenant, members)
  for fid, n in pairs(per_function) do redis.call('HINCRBY', P .. 'fs:' .. fid, 'submitted', n) end
end

local STATUS_FIELD = {COMPLETED = 'C', FAILED = 'F', CANCELLED = 'X'}

-- per owner (tenant or function): ids leaving the unfinished set, finished members by status, counters
local function ops_group(groups, owner)
  local g = groups[owner]
  if not g then
    g = {ids = {}, done = {}, acc = {}}
    groups[owner] = g
  end
  return g
end

local function ops_note(g, t, status, stamp, field, bucket_field, indexed)
  if indexed then
    g.ids[#g.ids + 1] = t.id
    local d = g.done[status]
    if not d then
      d = {}
      g.done[status] = d
    end
    d[#d + 1] = stamp
    d[#d + 1] = t.id
  end
  g.acc[field] = (g.acc[field] or 0) + 1
  if bucket_field then g.acc[bucket_field] = (g.acc[bucket_field] or 0) + 1 end
end

local function ops_flush_sets(unfinished_key, done_prefix, g, now, retention_ms)
  if unfinished_key then zrem_all(unfinished_key, g.ids) end
  local cutoff = '(' .. string.format('%d', now - retention_ms)
  for status, members in pairs(g.done) do
    local key = done_prefix .. status
    zadd_all(key, members)
    redis.call('ZREMRANGEBYSCORE', key, '-inf', cutoff)
    redis.call('PEXPIRE', key, retention_ms)
  end
end

local function ops_finished(P, tasks, now, retention_ms)
  if #tasks == 0 then return end
  local tenants, fns, bucket_fields = {}, {}, {}
  local stamp = string.format('%d', now) -- the finished sets' score as text once: a number is formatted on every use
  for _, t in ipairs(tasks) do
    local status = t.status
    local field = STATUS_FIELD[status] or 'X'
    local bf = nil
    if field ~= 'X' then
      local b = latency_bucket(math.max(0, now - (tonumber(t.createdAt) or now)))
      bf = bucket_fields[b]
      if not bf then
        bf = 'b' .. b
        bucket_fields[b] = bf
      end
    end
    ops_note(ops_group(tenants, ops_tenant_of(t)), t, status, stamp, field, bf, true)
    ops_note(ops_group(fns, t.functionId), t, status, stamp, field, bf, status == 'FAILED')
  end
  local second = math.floor(now / 1000)
  local minute = math.floor(second / 60)
  local ttl = math.max(1000, minute * 60000 + ACTIVITY_KEEP_MS - now)
  for tenant, g in pairs(tenants) do
    ops_flush_sets(P .. 'a:' .. tenant, P .. 'd:' .. tenant .. ':', g, now, retention_ms)
    local acc = {}
    for f, n in pairs(g.acc) do acc[second .. ':' .. f] = n end
    hash_add(P .. 'h:' .. tenant .. ':' .. minute, acc, ttl)
  end
  for fid, g in pairs(fns) do
    ops_flush_sets(nil, P .. 'fd:' .. fid .. ':', g, now, retention_ms)
    hash_add(P .. 'fs:' .. fid, g.acc, nil)
  end
end
`;
