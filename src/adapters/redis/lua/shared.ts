import { DURATION_BUCKETS_MS } from "../../../domain/metrics.ts";
import { DEFERRED_LUA } from "./deferred.ts";
import { OPS_LUA } from "./operations.ts";

/**
 * Acked entries the queue stream keeps before ack_all trims it (up to its oldest pending entry): the
 * check that a trim is due is one XLEN, where a trim is an XPENDING and an XTRIM, and a stream never
 * emptied takes new entries into its last node instead of a new one.
 */
export const ACKED_KEPT = 1000;

/**
 * Lua helpers prepended to the scripts. Many keys are read with one MGET and written with one MSET
 * (in chunks: Lua's unpack has a stack limit), so a batch costs a few commands, not a few per task.
 *
 * mget_all(keys) -> values (false where missing); mset_all({k1, v1, k2, v2, ...}).
 *
 * Queue-stream entries: a claim appends one entry for all the tasks it starts (field t: their ids,
 * space-separated), and notes in the shard's entry-left hash (`left_key`: entry id -> tasks of it not
 * settled yet) how many when more than one (an entry the hash does not know carries one task: a task
 * claimed alone, as one at a time, costs no count); release_entries counts tasks settled off it and
 * acks an entry when none is left, so an entry stays pending while any of its tasks may still run.
 *
 * start_attempts(task_prefix, left_key, entries, now): entries = {{entry id, task id}, ...} (several
 * per entry: entry_pairs). Each task that is RUNNING on that same entry (taken over from a dead
 * dispatcher), or QUEUED on an entry of its own, becomes RUNNING with its attempt counted and the entry
 * noted (settling the task releases it); the entry-left hash holds, per entry, the tasks started on it.
 * Returns the new task JSONs, the entry ids to drop (none of their tasks started: gone, terminal or
 * unreadable), and two tables by tenant: how many were QUEUED (the queued counters) and how many were
 * RUNNING and may still run (attempts lost with their dispatcher and retried: the retries counters).
 *
 * release_entries(queue, group, left_key, ids): ids = the entry of each task settled (repeated for
 * tasks sharing one); an entry with no task left is acked (ack_all) and leaves the hash. An entry the
 * hash does not know (one task, or written before entries were shared) is acked at once.
 *
 * encode_task(t): the task's JSON with its head first, in this order: status, attempt, (while an
 * attempt runs) entry and (once a task waits for it: LINK) hasDeps. Every script writes task records
 * with it. APPLY's fast path fences on that head without decoding the record (a change by anyone else,
 * a cancel or a take-over, changes the head; a LINK puts hasDeps right after it).
 *
 * ack_all(queue, group, ids): XACK the entries; once the stream holds ACKED_KEPT entries or more, trim
 * it up to its oldest pending entry (all of it when none is pending): entries leave the stream in
 * whole blocks from the front, cheaper than an XDEL of each. Acked entries newer than the oldest
 * pending one stay until it is acked, so the stream holds at most ACKED_KEPT entries beside those
 * handed out since the longest running attempt began. Only pending entries matter to anyone.
 *
 * hand_out(queue, group, queued_key, stats_prefix, task_prefix, left_key, entries, now, drop): what
 * the scripts that take entries over do (reclaim, adopt): start_attempts, then the queued counter (all
 * tenants) and each tenant's queued and retries counters, and the ack (ack_all) of what was dropped
 * (added to `drop`). Returns the new task JSONs.
 *
 * Task counters live in one hash per tenant, `<stats_prefix><tenant>` (fields in task-stats.ts). They
 * are added up per call in a Lua table by tenant and written with one HINCRBY per tenant and field
 * that moved, however many tasks the call carries: bump(acc, tenant, field, n);
 * count_finished(acc, task, now, error_label) counts a task that just became terminal (status, failure
 * label when FAILED, submit-to-terminal time in its histogram bucket); flush_stats(stats_prefix, acc)
 * writes them.
 *
 * collect_handouts(key, seen): the tasks on a dispatcher's hand-out stream (lua/claim-core.ts) in
 * entries newer than `seen` (the newest it read itself; '' for none), and empties the stream (XTRIM, so
 * its ids keep growing). Every script that gives a dispatcher entries runs it first, so what was handed
 * to the dispatcher and not read yet is never taken for lost. Returns the task JSONs, the newest entry
 * id consumed ('' when none) and the set of the queue entries those tasks run under;
 * with_handouts(head, handed, rest) makes such a script's reply.
 *
 * The operators' helpers (operations.ts) come first: start_attempts notes each attempt it starts. The
 * lone tasks' deferred bookkeeping (deferred.ts: defer_enqueued, defer_finished, drain_deferred) comes
 * last, as it uses both.
 */
export const SHARED_LUA = `${OPS_LUA}
local DURATION_BOUNDS = {${DURATION_BUCKETS_MS.join(", ")}}
local function mget_all(keys)
  local values = {}
  for i = 1, #keys, 500 do
    local got = redis.call('MGET', unpack(keys, i, math.min(i + 499, #keys)))
    for j = 1, #got do values[i + j - 1] = got[j] end
  end
  return values
end

local function mset_all(pairs)
  for i = 1, #pairs, 1000 do redis.call('MSET', unpack(pairs, i, math.min(i + 999, #pairs))) end
end

local function tenant_of(t)
  if type(t.tenant) == 'string' and t.tenant ~= '' then return t.tenant end
  return 'default'
end

local function decode_task(key, raw)
  if not raw then return nil end
  local okay, t = pcall(cjson.decode, raw)
  if okay then return t end
  redis.log(redis.LOG_WARNING, 'bunfaas: unreadable task JSON at ' .. key)
  return nil
end

local function encode_task(t)
  local status, attempt, entry, has_deps = t.status, t.attempt, t.entry, t.hasDeps
  if type(status) ~= 'string' or type(attempt) ~= 'number' then return cjson.encode(t) end
  t.status, t.attempt, t.entry, t.hasDeps = nil, nil, nil, nil
  local rest = cjson.encode(t)
  t.status, t.attempt, t.entry, t.hasDeps = status, attempt, entry, has_deps
  local head = '{"status":' .. cjson.encode(status) .. ',"attempt":' .. string.format('%d', attempt)
  if entry then head = head .. ',"entry":' .. cjson.encode(entry) end
  if has_deps ~= nil then head = head .. ',"hasDeps":' .. cjson.encode(has_deps) end
  if rest == '{}' then return head .. '}' end
  return head .. ',' .. string.sub(rest, 2)
end

local function start_attempts(task_prefix, left_key, entries, now)
  local keys, shared = {}, {}
  for i, e in ipairs(entries) do
    keys[i] = task_prefix .. e[2]
    shared[e[1]] = (shared[e[1]] or 0) + 1
  end
  local raws = mget_all(keys)
  local out, drop, writes, queued, retried, started, order = {}, {}, {}, {}, {}, {}, {}
  for i, e in ipairs(entries) do
    if not started[e[1]] then
      started[e[1]] = 0
      order[#order + 1] = e[1]
    end
    local t = decode_task(keys[i], raws[i])
    -- a QUEUED task only from an entry of its own (one a claim shares may be a task since queued again)
    if t and ((t.status == 'QUEUED' and shared[e[1]] == 1) or (t.status == 'RUNNING' and t.entry == e[1])) then
      local tenant = tenant_of(t)
      if t.status == 'QUEUED' then
        queued[tenant] = (queued[tenant] or 0) + 1
      elseif t.attempt - (tonumber(t.handbacks) or 0) < t.maxAttempts then
        retried[tenant] = (retried[tenant] or 0) + 1
      end
      t.status = 'RUNNING'
      t.attempt = t.attempt + 1
      t.updatedAt = now
      note_attempt_start(t, now)
      t.entry = e[1]
      local json = encode_task(t)
      writes[#writes + 1] = keys[i]
      writes[#writes + 1] = json
      out[#out + 1] = json
      started[e[1]] = started[e[1]] + 1
    end
  end
  mset_all(writes)
  for _, entry in ipairs(order) do
    if started[entry] == 0 then
      drop[#drop + 1] = entry
    else
      redis.call('HSET', left_key, entry, started[entry])
    end
  end
  return out, drop, queued, retried
end

local function ack_all(queue, group, ids, no_trim)
  if #ids == 0 then return end
  for i = 1, #ids, 500 do redis.call('XACK', queue, group, unpack(ids, i, math.min(i + 499, #ids))) end
  if no_trim or redis.call('XLEN', queue) < ${ACKED_KEPT} then return end
  local pending = redis.call('XPENDING', queue, group)
  if pending[1] == 0 then
    redis.call('XTRIM', queue, 'MAXLEN', 0)
  else
    redis.call('XTRIM', queue, 'MINID', pending[2])
  end
end

-- takes entries off the entry-left hash (entries it does not hold are no matter)
local function forget_counts(left_key, ids)
  for i = 1, #ids, 500 do redis.call('HDEL', left_key, unpack(ids, i, math.min(i + 499, #ids))) end
end

local function release_entries(queue, group, left_key, ids, no_trim)
  local n, order = {}, {}
  for _, id in ipairs(ids) do
    if not n[id] then
      n[id] = 0
      order[#order + 1] = id
    end
    n[id] = n[id] + 1
  end
  local done, counted = {}, {}
  for _, id in ipairs(order) do
    local have = redis.call('HGET', left_key, id)
    local left = have and tonumber(have) - n[id]
    if not left then
      done[#done + 1] = id
    elseif left <= 0 then
      done[#done + 1] = id
      counted[#counted + 1] = id
    else
      redis.call('HSET', left_key, id, left)
    end
  end
  forget_counts(left_key, counted)
  ack_all(queue, group, done, no_trim)
end

local function bump(acc, tenant, field, n)
  local fields = acc[tenant]
  if not fields then
    fields = {}
    acc[tenant] = fields
  end
  fields[field] = (fields[field] or 0) + n
end

local function flush_stats(stats_prefix, acc)
  for tenant, fields in pairs(acc) do
    for field, n in pairs(fields) do redis.call('HINCRBY', stats_prefix .. tenant, field, string.format('%d', n)) end
  end
end

local function hand_out(queue, group, queued_key, stats_prefix, task_prefix, left_key, entries, now, drop)
  local out, dropped, queued, retried = start_attempts(task_prefix, left_key, entries, now)
  for _, id in ipairs(dropped) do drop[#drop + 1] = id end
  local total, acc = 0, {}
  for tenant, n in pairs(queued) do
    total = total + n
    bump(acc, tenant, 'queued', -n)
  end
  for tenant, n in pairs(retried) do bump(acc, tenant, 'retries', n) end
  if total > 0 then redis.call('DECRBY', queued_key, total) end
  flush_stats(stats_prefix, acc)
  forget_counts(left_key, drop)
  ack_all(queue, group, drop)
  return out
end

local FINISHED_FIELD = {COMPLETED = 'finished:COMPLETED', FAILED = 'finished:FAILED', CANCELLED = 'finished:CANCELLED'}
local DURATION_FIELD = {${DURATION_BUCKETS_MS.map((_, i) => `[${i}] = 'duration:${i}'`).join(", ")}, [${DURATION_BUCKETS_MS.length}] = 'duration:${DURATION_BUCKETS_MS.length}'} -- written out: a number made text at run time costs a sprintf on every call

-- field names built once per script call, tables reached once per task: this runs for every task that ends
local function count_finished(acc, t, now, error_label)
  local tenant = tenant_of(t)
  local fields = acc[tenant]
  if not fields then
    fields = {}
    acc[tenant] = fields
  end
  local status = t.status
  local f = FINISHED_FIELD[status] or ('finished:' .. status)
  fields[f] = (fields[f] or 0) + 1
  if status == 'FAILED' then
    if not error_label or error_label == '' then error_label = 'UserError' end
    f = 'failed:' .. error_label
    fields[f] = (fields[f] or 0) + 1
  end
  local ms = math.floor(now - (tonumber(t.createdAt) or now))
  if ms < 0 then ms = 0 end
  local bucket = #DURATION_BOUNDS
  for i = 1, bucket do
    if ms <= DURATION_BOUNDS[i] then
      bucket = i - 1
      break
    end
  end
  f = DURATION_FIELD[bucket]
  fields[f] = (fields[f] or 0) + 1
  fields.duration_sum_ms = (fields.duration_sum_ms or 0) + ms
end

-- whether stream id a ('ms-seq') is newer than b ('' or '0-0' for none)
local function id_after(a, b)
  if b == '' then return true end
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, bm = tonumber(am), tonumber(bm)
  if am ~= bm then return am > bm end
  return tonumber(as) > tonumber(bs)
end

local function collect_handouts(key, seen)
  local jsons, newest, entries = {}, '', {}
  local got = redis.call('XRANGE', key, '-', '+')
  if #got == 0 then return jsons, newest, entries end
  for _, e in ipairs(got) do
    if id_after(e[1], seen) then
      newest = e[1]
      local f = e[2]
      for j = 2, #f, 2 do
        jsons[#jsons + 1] = f[j]
        local entry = string.match(f[j], '"entry":"([^"]+)"')
        if entry then entries[entry] = true end
      end
    end
  end
  redis.call('XTRIM', key, 'MAXLEN', 0)
  return jsons, newest, entries
end

-- a reply of a script that took hand-outs first: head (a list), then #handed, the hand-outs, the rest
local function with_handouts(head, handed, rest)
  local reply = head
  reply[#reply + 1] = #handed
  for _, json in ipairs(handed) do reply[#reply + 1] = json end
  for _, json in ipairs(rest) do reply[#reply + 1] = json end
  return reply
end

-- {{entry id, task id}, ...} from an XREADGROUP / XCLAIM reply; entries deleted meanwhile are dropped
local function entry_pairs(reply, drop)
  local entries = {}
  for _, e in ipairs(reply) do
    if e[2] then
      for id in string.gmatch(e[2][2], '%S+') do entries[#entries + 1] = {e[1], id} end
    else
      drop[#drop + 1] = e[1]
    end
  end
  return entries
end
${DEFERRED_LUA}`;
