import { DURATION_BUCKETS_MS } from "../../../domain/metrics.ts";

/**
 * Lua helpers prepended to the scripts. Many keys are read with one MGET and written with one MSET
 * (in chunks: Lua's unpack has a stack limit), so a batch costs a few commands, not a few per task.
 *
 * mget_all(keys) -> values (false where missing); mset_all({k1, v1, k2, v2, ...}).
 *
 * start_attempts(task_prefix, entries, now): entries = {{entry id, task id}, ...}. Each task that is
 * QUEUED, or RUNNING on that same entry (taken over from a dead dispatcher), becomes RUNNING with its
 * attempt counted and the entry noted (finishing the task acks it). Returns the new task JSONs, the
 * entry ids to drop (task gone, terminal or unreadable), how many were QUEUED (the queued count) and how
 * many were RUNNING and may still run (attempts lost with their dispatcher and retried: the retries counter).
 *
 * ack_all(queue, group, ids): XACK and XDEL the entries.
 *
 * hand_out(queue, group, queued_key, stats_key, task_prefix, entries, now, drop): what every script that
 * gives entries to a dispatcher does (claim, reclaim, adopt): start_attempts, then the queued counter,
 * the retries counter (stats_key may be nil), and XACK+XDEL of what was dropped (added to `drop`).
 * Returns the new task JSONs.
 *
 * Task counters (the stats hash, fields in task-stats.ts) are added up per call in a Lua table and
 * written with one HINCRBY per field that moved, however many tasks the call carries:
 * count_finished(acc, task, now, error_label) counts a task that just became terminal (status, failure
 * label when FAILED, submit-to-terminal time in its histogram bucket); flush_stats(key, acc) writes them.
 */
export const SHARED_LUA = `
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

local function decode_task(key, raw)
  if not raw then return nil end
  local okay, t = pcall(cjson.decode, raw)
  if okay then return t end
  redis.log(redis.LOG_WARNING, 'bunfaas: unreadable task JSON at ' .. key)
  return nil
end

local function start_attempts(task_prefix, entries, now)
  local keys = {}
  for i, e in ipairs(entries) do keys[i] = task_prefix .. e[2] end
  local raws = mget_all(keys)
  local out, drop, writes, queued, retried = {}, {}, {}, 0, 0
  for i, e in ipairs(entries) do
    local t = decode_task(keys[i], raws[i])
    if t and (t.status == 'QUEUED' or (t.status == 'RUNNING' and t.entry == e[1])) then
      if t.status == 'QUEUED' then
        queued = queued + 1
      elseif t.attempt < t.maxAttempts then
        retried = retried + 1
      end
      t.status = 'RUNNING'
      t.attempt = t.attempt + 1
      t.updatedAt = now
      t.entry = e[1]
      local json = cjson.encode(t)
      writes[#writes + 1] = keys[i]
      writes[#writes + 1] = json
      out[#out + 1] = json
    else
      drop[#drop + 1] = e[1]
    end
  end
  mset_all(writes)
  return out, drop, queued, retried
end

local function ack_all(queue, group, ids)
  for i = 1, #ids, 500 do
    local last = math.min(i + 499, #ids)
    redis.call('XACK', queue, group, unpack(ids, i, last))
    redis.call('XDEL', queue, unpack(ids, i, last))
  end
end

local function hand_out(queue, group, queued_key, stats_key, task_prefix, entries, now, drop)
  local out, dropped, queued, retried = start_attempts(task_prefix, entries, now)
  for _, id in ipairs(dropped) do drop[#drop + 1] = id end
  if queued > 0 then redis.call('DECRBY', queued_key, queued) end
  if retried > 0 and stats_key then redis.call('HINCRBY', stats_key, 'retries', retried) end
  ack_all(queue, group, drop)
  return out
end

local function bump(acc, field, n)
  acc[field] = (acc[field] or 0) + n
end

local function count_finished(acc, t, now, error_label)
  bump(acc, 'finished:' .. t.status, 1)
  if t.status == 'FAILED' then
    if not error_label or error_label == '' then error_label = 'UserError' end
    bump(acc, 'failed:' .. error_label, 1)
  end
  local ms = math.floor(now - (tonumber(t.createdAt) or now))
  if ms < 0 then ms = 0 end
  local bucket = #DURATION_BOUNDS
  for i, bound in ipairs(DURATION_BOUNDS) do
    if ms <= bound then
      bucket = i - 1
      break
    end
  end
  bump(acc, 'duration:' .. bucket, 1)
  bump(acc, 'duration_sum_ms', ms)
end

local function flush_stats(key, acc)
  for field, n in pairs(acc) do redis.call('HINCRBY', key, field, string.format('%d', n)) end
end

-- {{entry id, task id}, ...} from an XREADGROUP / XCLAIM reply; entries deleted meanwhile are dropped
local function entry_pairs(reply, drop)
  local entries = {}
  for _, e in ipairs(reply) do
    if e[2] then entries[#entries + 1] = {e[1], e[2][2]} else drop[#drop + 1] = e[1] end
  end
  return entries
end
`;
