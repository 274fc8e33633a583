import { ACTIVITY_KEEP_MS, LATENCY_BOUNDS_MS } from "../../../domain/activity.ts";
import { MAX_ATTEMPT_RECORDS } from "../../../domain/attempt-log.ts";

/**
 * The retention's sweep: a call that ends n tasks deletes up to SWEEP_FACTOR * n + SWEEP_EXTRA tasks
 * past the retention from each finished set it writes (so deletion keeps up with any steady rate of
 * finishing); each dispatcher's periodic RECLAIM deletes up to SWEEP_BUDGET (its default) more in its shard, from
 * the tenants' sets (the tasks of a tenant that stopped, or of a status rarely written), looking at
 * about SWEEP_TENANTS tenants per call (a scan of the shard's tenants that goes on where the last call
 * left off), so its cost does not grow with the number of tenants.
 */
export const SWEEP_FACTOR = 2;
export const SWEEP_EXTRA = 10;
export const SWEEP_BUDGET = 2000;
export const SWEEP_TENANTS = 100;

/**
 * Lua helpers for operators, prepended to every script with SHARED_LUA (shared.ts). The scripts that
 * change tasks call them with a line or two each; every key they touch is under the shard's operations
 * prefix P (`<shard base>ops:`, passed as the scripts' last KEYS entry), so a script stays in one slot:
 *
 * - `P a:<tenant>`: the tenant's unfinished tasks (QUEUED, RUNNING) by created time, one member per
 *   creation time (`g<createdAt>`, scored by it) for all the tasks created in that millisecond (a batch
 *   is one): their ids are the text `P ag:<tenant>:<createdAt>` (runs of ids, each run `|` then ids in
 *   descending byte order, space-separated, one run appended per enqueue) and how many of them are not
 *   finished is field `<createdAt>` of hash `P al:<tenant>`. A task's end counts it off its group; the
 *   group leaves at 0. So a batch of 1,000 costs the index four commands when queued and two when a
 *   call ends any number of its tasks, where a member per task cost a sorted-set insert and removal
 *   each (7.5% of Redis's time per task). A task queued alone is a member of its own, as all were
 *   before groups (a HEXISTS and a ZADD; at its end, one HMGET for the call's creation times and one
 *   ZREM for all such tasks of the call), unless its millisecond has a group, which it joins; a new
 *   group takes in the members of its millisecond, so a millisecond has a group or members of their
 *   own, never both, and a count only ever counts its group's tasks. A listing drops a group whose
 *   tasks are all gone or finished (a count left wrong, e.g. by an older dispatcher settling the
 *   group's tasks);
 * - `P d:<tenant>:<status>`: its finished tasks by finish time, and `P fd:<function id>:FAILED` a
 *   function's FAILED ones (the lists operators filter by function most: to inspect and re-run them);
 *   other lists of one function scan the tenant's sets. The tasks one call ends with one status are one
 *   member (a task ended alone: its id), `g<finish time>`, their ids a run of the text `P dg:<tenant>:<status>:<finish time>` (`P
 *   fdg:<function id>:FAILED:<finish time>`). A tenant's sets are also what the retention sweeps
 *   (task records carry no expiry: a key with one costs every command that touches it a second
 *   lookup): the entries older than the retention go, with their tasks' records and their group
 *   texts, as the set is written (about twice as many tasks as the call ended, see SWEEP_FACTOR) and
 *   at each dispatcher's periodic RECLAIM (sweep_tenants); these sets and texts never expire. A
 *   function's sets are only an index: trimmed of entries older than the retention when written,
 *   they and their texts expire `retention` after their last write. A listing drops a group whose
 *   tasks are all gone. Members that are task ids (written before groups) are listed as before;
 * - `P fs:<function id>`: hash of the function's counters (submitted, C, F, X, b<bucket>);
 * - `P h:<tenant>:<minute>`: hash of that minute's seconds (`<second>:C|F|X`, `<second>:b<bucket>`),
 *   expiring ACTIVITY_KEEP_MS after the minute began (task-counts in activity.ts).
 * - `P sweep`: where the periodic sweep's scan of the shard's tenants goes on (an SSCAN cursor).
 *
 * Each call writes a batch with a few commands per key touched (HMGET + HSET for the counters), so the
 * commands per task fall with the batch size; no index costs a sorted-set member per task.
 *
 * note_attempt_start(t, now): records the attempt t.attempt starting now (in start_attempts).
 * note_attempt_end(t, now, status, ran_on, result): ends attempt t.attempt as the APPLY status says
 * ('COMPLETED', 'FAILED', 'CANCELLED', 'QUEUED': REQUEUED, 'HANDBACK': HANDED_BACK, 'RETRY': RETRIED by
 * the task's retry policy), noting where it ran and, for FAILED and RETRIED, the error's name and
 * message (cut at 1,000 characters) from the result.
 * ops_enqueued(P, tenant, argv, first, step, created_at, function_id, ids_run): indexes the tasks of
 * argv from `first`, one every `step` entries (task id, then its JSON), as unfinished and counts them
 * submitted for their functions; `created_at`, `function_id` and `ids_run` (the run of their ids the
 * group text takes, as the caller sorted them), when the caller knows them for the whole batch (else
 * nil), spare reading them from each task's JSON and sorting the ids here.
 * bytes_less(a, b): a before b in byte order (Lua's `<` compares by the locale Redis runs in).
 * unfinished_keys(P, tenant), finished_keys(P, kind, owner, status): the key names of the indexes and
 * their groups, for the scripts that write them and for the listing.
 * group_stamp(member, score): the time (text) of an index member that is a group, nil for a task id
 * (the sweep and the listing).
 * ops_finished(P, tasks, now, retention_ms, task_prefix): moves terminal tasks to the finished sets
 * and counts them (the ids of each set's group in the order of `tasks`), sweeping the tenants' sets.
 * Tasks drained from the deferred list (deferred.ts) carry `endedAt`: each is a member of its own,
 * scored and put in a latency bucket by it (the call's `now` is their latest, in the same second);
 * one with `neverIndexed` was never in the unfinished index, so it is not taken off it.
 * sweep_tenants(P, tenants_key, task_prefix, now, retention_ms, budget): sweeps the finished sets of
 * the next tenants of the shard (about SWEEP_TENANTS), up to `budget` tasks deleted.
 */
export const OPS_LUA = `
local SWEEP_FACTOR, SWEEP_EXTRA, SWEEP_TENANTS = ${SWEEP_FACTOR}, ${SWEEP_EXTRA}, ${SWEEP_TENANTS}
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

local function bytes_less(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local function bytes_greater(a, b) return bytes_less(b, a) end

-- the unfinished index of a tenant, its groups' counts, and the prefix of its groups' ids (then createdAt)
local function unfinished_keys(P, tenant)
  return P .. 'a:' .. tenant, P .. 'al:' .. tenant, P .. 'ag:' .. tenant .. ':'
end

-- a finished set (kind 'd': a tenant's, 'fd': a function's) and the prefix of its groups' ids (then the
-- finish time)
local function finished_keys(P, kind, owner, status)
  return P .. kind .. ':' .. owner .. ':' .. status, P .. kind .. 'g:' .. owner .. ':' .. status .. ':'
end

-- a task queued alone is a member of its own (as before groups), unless its millisecond has a group,
-- which it joins; a new group takes in the tasks queued alone in its millisecond, so a millisecond has
-- either a group (and its count) or members of their own, never both
local function index_unfinished(P, tenant, created, n, ids_run)
  local index, counts, group_prefix = unfinished_keys(P, tenant)
  local ids = group_prefix .. created
  if n == 1 and redis.call('HEXISTS', counts, created) == 0 then
    redis.call('ZADD', index, created, string.sub(ids_run, 2))
    return
  end
  if redis.call('HINCRBY', counts, created, n) == n then
    local group = 'g' .. created
    local alone = {}
    for _, m in ipairs(redis.call('ZRANGEBYSCORE', index, created, created)) do
      if m ~= group then alone[#alone + 1] = m end
    end
    redis.call('ZADD', index, created, group)
    if #alone > 0 then
      zrem_all(index, alone)
      table.sort(alone, bytes_greater)
      redis.call('HINCRBY', counts, created, #alone)
      redis.call('APPEND', ids, '|' .. table.concat(alone, ' '))
    end
  end
  redis.call('APPEND', ids, ids_run)
end

-- takes tasks that ended off the index (created: createdAt number -> their ids): a group's count falls
-- (the group leaves at 0), members of their own leave (one ZREM for all of them)
local function unindex_unfinished(P, tenant, created)
  local index, counts, group_prefix = unfinished_keys(P, tenant)
  local times, texts = {}, {}
  for c in pairs(created) do
    times[#times + 1] = c
    texts[#texts + 1] = string.format('%d', c)
  end
  local alone = {}
  for from = 1, #texts, 1000 do
    local have = redis.call('HMGET', counts, unpack(texts, from, math.min(from + 999, #texts)))
    for j = 1, #have do
      local i = from + j - 1
      local ids = created[times[i]]
      if have[j] then
        local text = texts[i]
        if redis.call('HINCRBY', counts, text, -#ids) <= 0 then
          redis.call('HDEL', counts, text)
          redis.call('DEL', group_prefix .. text)
          redis.call('ZREM', index, 'g' .. text)
        end
      else
        for _, id in ipairs(ids) do alone[#alone + 1] = id end
      end
    end
  end
  if #alone > 0 then zrem_all(index, alone) end
end

-- appends id to lists[key], made on first use
local function list_in(lists, key, id)
  local l = lists[key]
  if not l then
    l = {}
    lists[key] = l
  end
  l[#l + 1] = id
end

local function ops_enqueued(P, tenant, argv, first, step, created_at, function_id, ids_run)
  local per_function, n, groups = {}, 0, nil
  if not (created_at and ids_run) then groups = {} end
  for i = first, #argv, step do
    n = n + 1
    if groups then list_in(groups, created_at or string.match(argv[i + 1], '"createdAt":(%d+)') or '0', argv[i]) end
    if not function_id then
      local fid = string.match(argv[i + 1], '"functionId":"([^"]*)"')
      if fid then per_function[fid] = (per_function[fid] or 0) + 1 end
    end
  end
  if n == 0 then return end
  if function_id then per_function[function_id] = n end
  if groups then
    for c, ids in pairs(groups) do
      table.sort(ids, bytes_greater)
      index_unfinished(P, tenant, c, #ids, '|' .. table.concat(ids, ' '))
    end
  else
    index_unfinished(P, tenant, created_at, n, ids_run)
  end
  for fid, count in pairs(per_function) do redis.call('HINCRBY', P .. 'fs:' .. fid, 'submitted', count) end
end

local STATUS_FIELD = {COMPLETED = 'C', FAILED = 'F', CANCELLED = 'X'}

-- per owner (tenant or function): ids leaving the unfinished index by creation time, finished members
-- by status, counters
local function ops_group(groups, owner)
  local g = groups[owner]
  if not g then
    g = {created = {}, done = {}, ended = {}, acc = {}}
    groups[owner] = g
  end
  return g
end

local function ops_note(g, t, status, field, bucket_field, indexed)
  if indexed then
    list_in(g.done, status, t.id)
    if t.endedAt then list_in(g.ended, status, t.endedAt) end
  end
  g.acc[field] = (g.acc[field] or 0) + 1
  if bucket_field then g.acc[bucket_field] = (g.acc[bucket_field] or 0) + 1 end
end

-- the time (as text) of an index member that is a group ('g<time>', scored by that time); nil for a
-- member that is a task id
local function group_stamp(member, score)
  local stamp = string.format('%d', tonumber(score))
  if member == 'g' .. stamp then return stamp end
  return nil
end

-- the score bound below which finished entries are past the retention (exclusive)
local function retention_cutoff(now, retention_ms)
  return '(' .. string.format('%d', now - retention_ms)
end

-- Deletes the tasks of a tenant's finished set (kind 'd') that finished before cutoff (a score, text),
-- in finish order, about budget of them at most: their records, their groups' texts, their members.
-- A group goes whole, only when its text's length says it fits what is left of the budget (ID_BYTES
-- per task), unless it comes first and whole_first is set (the periodic sweep, before it deleted
-- anything: so a group larger than any budget still goes). Returns how many tasks it deleted.
local ID_BYTES = 37

local function sweep_finished(key, group_prefix, task_prefix, cutoff, budget, whole_first)
  local got = redis.call('ZRANGEBYSCORE', key, '-inf', cutoff, 'WITHSCORES', 'LIMIT', 0, budget)
  if #got == 0 then return 0 end
  local members, dels, n = {}, {}, 0
  for i = 1, #got, 2 do
    if n >= budget then break end
    local m = got[i]
    local stamp = group_stamp(m, got[i + 1])
    if stamp then
      local text = group_prefix .. stamp
      if not (whole_first and n == 0) and redis.call('STRLEN', text) > (budget - n) * ID_BYTES then break end
      for id in string.gmatch(redis.call('GET', text) or '', '[^ |]+') do
        dels[#dels + 1] = task_prefix .. id
        n = n + 1
      end
      dels[#dels + 1] = text
    else
      dels[#dels + 1] = task_prefix .. m
      n = n + 1
    end
    members[#members + 1] = m
  end
  for i = 1, #dels, 1000 do redis.call('DEL', unpack(dels, i, math.min(i + 999, #dels))) end
  zrem_all(key, members)
  return n
end

-- a call's finished tasks of one owner and status are one group, g<stamp> in the set, its ids (in
-- the caller's order: the dispatcher sends them in descending byte order) a run of the group text;
-- a task that ended alone is a member of its own (two commands fewer). A tenant's set (kind 'd') is
-- the retention's sweep list (see SWEEP_FACTOR): written without expiry, it deletes tasks past the
-- retention as it goes. A function's set (kind 'fd') only indexes: trimmed, it and its texts expire.
local function ops_flush_sets(P, kind, owner, g, now, retention_ms, stamp, task_prefix)
  local cutoff = retention_cutoff(now, retention_ms)
  local sweeps = kind == 'd'
  for status, ids in pairs(g.done) do
    local key, group_prefix = finished_keys(P, kind, owner, status)
    local ended = g.ended[status]
    if ended then
      -- deferred tasks (deferred.ts): each a member of its own, scored by its own finish time
      for i = 1, #ids, 500 do
        local pairs_ = {}
        for j = i, math.min(i + 499, #ids) do
          pairs_[#pairs_ + 1] = string.format('%d', ended[j])
          pairs_[#pairs_ + 1] = ids[j]
        end
        redis.call('ZADD', key, unpack(pairs_))
      end
    elseif #ids == 1 then
      redis.call('ZADD', key, stamp, ids[1])
    else
      local text = group_prefix .. stamp
      redis.call('ZADD', key, stamp, 'g' .. stamp)
      redis.call('APPEND', text, '|' .. table.concat(ids, ' '))
      if not sweeps then redis.call('PEXPIRE', text, retention_ms) end
    end
    if sweeps then
      sweep_finished(key, group_prefix, task_prefix, cutoff, SWEEP_FACTOR * #ids + SWEEP_EXTRA, false)
    else
      redis.call('ZREMRANGEBYSCORE', key, '-inf', cutoff)
      redis.call('PEXPIRE', key, retention_ms)
    end
  end
end

local FINISHED_STATUSES = {'COMPLETED', 'FAILED', 'CANCELLED'}

-- The periodic sweep (RECLAIM): the finished sets of the next tenants of the shard (the set
-- tenants_key, about SWEEP_TENANTS of them by SSCAN from the cursor the last call left in 'P sweep',
-- 'default' at the start of each pass), each made permanent (a set written by a version that let it
-- expire) and swept, until budget tasks were deleted; each second begins with another of them, so a
-- tenant's backlog holds none back for long, and the cursor moves on only once all of them were looked
-- at within the budget. Returns how many were deleted.
local function sweep_tenants(P, tenants_key, task_prefix, now, retention_ms, budget)
  local cutoff = retention_cutoff(now, retention_ms)
  local cursor_key = P .. 'sweep'
  local cursor = redis.call('GET', cursor_key) or '0'
  if not string.match(cursor, '^%d+$') then cursor = '0' end
  local scan = redis.call('SSCAN', tenants_key, cursor, 'COUNT', SWEEP_TENANTS)
  local tenants, seen = scan[2], {}
  if cursor == '0' then tenants[#tenants + 1] = 'default' end
  local first = math.floor(now / 1000) % #tenants
  local left = budget
  for i = 0, #tenants - 1 do
    local tenant = tenants[(first + i) % #tenants + 1]
    if seen[tenant] == nil and tenant ~= '' then
      seen[tenant] = true
      for _, status in ipairs(FINISHED_STATUSES) do
        if left <= 0 then return budget - left end
        local key, group_prefix = finished_keys(P, 'd', tenant, status)
        redis.call('PERSIST', key)
        left = left - sweep_finished(key, group_prefix, task_prefix, cutoff, left, left == budget)
      end
    end
  end
  redis.call('SET', cursor_key, scan[1])
  return budget - left
end

local function ops_finished(P, tasks, now, retention_ms, task_prefix)
  if #tasks == 0 then return end
  local tenants, fns, bucket_fields = {}, {}, {}
  local stamp = string.format('%d', now) -- the finished sets' score as text once: a number is formatted on every use
  for _, t in ipairs(tasks) do
    local status = t.status
    local field = STATUS_FIELD[status] or 'X'
    local bf = nil
    if field ~= 'X' then
      local ended = t.endedAt or now
      local b = latency_bucket(math.max(0, ended - (tonumber(t.createdAt) or ended)))
      bf = bucket_fields[b]
      if not bf then
        bf = 'b' .. b
        bucket_fields[b] = bf
      end
    end
    local g = ops_group(tenants, ops_tenant_of(t))
    if not t.neverIndexed then list_in(g.created, tonumber(t.createdAt) or 0, t.id) end
    ops_note(g, t, status, field, bf, true)
    ops_note(ops_group(fns, t.functionId), t, status, field, bf, status == 'FAILED')
  end
  local second = math.floor(now / 1000)
  local minute = math.floor(second / 60)
  local ttl = math.max(1000, minute * 60000 + ACTIVITY_KEEP_MS - now)
  for tenant, g in pairs(tenants) do
    unindex_unfinished(P, tenant, g.created)
    ops_flush_sets(P, 'd', tenant, g, now, retention_ms, stamp, task_prefix)
    local acc = {}
    for f, n in pairs(g.acc) do acc[second .. ':' .. f] = n end
    hash_add(P .. 'h:' .. tenant .. ':' .. minute, acc, ttl)
  end
  for fid, g in pairs(fns) do
    ops_flush_sets(P, 'fd', fid, g, now, retention_ms, stamp, task_prefix)
    hash_add(P .. 'fs:' .. fid, g.acc, nil)
  end
end
`;
