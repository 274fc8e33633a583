import { LuaScript } from "../lua-script.ts";
import { QUEUE_LUA } from "./queue.ts";
import { SHARED_LUA } from "./shared.ts";

/**
 * The two steps of task dependencies, each in one shard (a task and the one it waits for may be in
 * different shards): dependency-links.ts runs them for the outbox items.
 *
 * LINK, in the shard of the task waited for: notes the waiting task in its dependents set while it is
 * QUEUED or RUNNING, and marks it `hasDeps`, atomically with reading its status, so its end (where
 * apply.ts, cancel.ts and RESOLVE check the mark) cannot be missed.
 * KEYS: the shard's scriptKeys. ARGV[1] id of the task waited for, ARGV[2] id of the waiting task.
 * Returns {'pending'}, {'COMPLETED', result JSON}, {'FAILED'} / {'CANCELLED'}, or {'gone'}.
 */
export const LINK = new LuaScript(
  "link",
  `${SHARED_LUA}${QUEUE_LUA}
bind_keys()
local key = K.task .. ARGV[1]
local d = decode_task(key, redis.call('GET', key))
if not d then return {'gone'} end
if d.status == 'QUEUED' or d.status == 'RUNNING' then
  redis.call('SADD', K.deps .. ARGV[1], ARGV[2])
  if not d.hasDeps then
    d.hasDeps = true
    redis.call('SET', key, encode_task(d), 'KEEPTTL') -- hasDeps right after the head (APPLY's fast path)
  end
  return {'pending'}
end
if d.status == 'COMPLETED' then
  if type(d.result) == 'string' then return {'COMPLETED', d.result} end
  return {'COMPLETED', 'null'}
end
return {d.status}
`,
);

/**
 * RESOLVE, in the shard of the waiting task: settles one of its dependencies, once (a repeat is a
 * no-op), as domain/dependencies.ts does: a COMPLETED one is noted with its result and, when it was the
 * last, the task is queued (its arguments extended with the results, in `after` order, when it asked),
 * waking a dispatcher; any other end fails it DependencyFailed naming the dependency, and an outbox
 * "done" item then settles the tasks waiting for it in turn.
 * KEYS: the shard's scriptKeys. ARGV[1] now, ARGV[2] aging (ms), ARGV[3] retention (ms), ARGV[4]
 * waiting task id, ARGV[5] dependency id, ARGV[6] its status ('gone' when it no longer exists), ARGV[7]
 * its result (JSON text, when COMPLETED).
 * Returns {'noop'}, {'waiting'}, {'ready'} or {'failed', task JSON}.
 */
export const RESOLVE = new LuaScript(
  "resolve",
  `${SHARED_LUA}${QUEUE_LUA}
bind_keys()
local function append_results(args, results)
  local open = string.find(args, '[', 1, true)
  local close = string.match(args, '^.*()%]')
  local body = string.match(string.sub(args, open + 1, close - 1), '^%s*(.-)%s*$')
  local sep = ','
  if body == '' then sep = '' end
  return '[' .. body .. sep .. table.concat(results, ',') .. ']'
end

local key = K.task .. ARGV[4]
local t = decode_task(key, redis.call('GET', key))
if not t or t.status ~= 'QUEUED' or (tonumber(t.blockedBy) or 0) == 0 or type(t.after) ~= 'table' then return {'noop'} end
local listed = false
for _, id in ipairs(t.after) do if id == ARGV[5] then listed = true end end
if not listed then return {'noop'} end
if type(t.depResults) ~= 'table' then t.depResults = {} end
if t.depResults[ARGV[5]] ~= nil then return {'noop'} end
local now = tonumber(ARGV[1])
local tenant = tenant_of(t)
if ARGV[6] ~= 'COMPLETED' then
  local why = 'ended ' .. ARGV[6]
  if ARGV[6] == 'gone' then why = 'is gone (unknown or expired)' end
  t.status = 'FAILED'
  t.blockedBy = nil
  t.depResults = nil
  t.result = cjson.encode({name = 'DependencyFailed', message = 'Task ' .. ARGV[5] .. ' ' .. why .. '; this task needed it to COMPLETE', stack = ''})
  t.updatedAt = now
  local json = encode_task(t)
  redis.call('SET', key, json)
  redis.call('DECRBY', K.queued, 1)
  local stats = {}
  bump(stats, tenant, 'queued', -1)
  count_finished(stats, t, now, 'DependencyFailed')
  flush_stats(K.stats, stats)
  ops_finished(K.ops, {t}, now, tonumber(ARGV[3]), K.task)
  if t.hasDeps then redis.call('LPUSH', K.outbox, 'done|' .. t.id) end
  return {'failed', json}
end
t.depResults[ARGV[5]] = ARGV[7]
t.blockedBy = t.blockedBy - 1
if t.blockedBy > 0 then
  redis.call('SET', key, encode_task(t))
  return {'waiting'}
end
if t.argsFrom == 'results' then
  local results = {}
  for i, id in ipairs(t.after) do results[i] = t.depResults[id] or 'null' end
  t.args = append_results(t.args, results)
end
t.depResults = nil
t.runAt = math.max(tonumber(t.runAt) or tonumber(t.createdAt) or now, now)
t.updatedAt = now
redis.call('SET', key, encode_task(t))
place_all({t}, now, tonumber(ARGV[2]))
wake()
return {'ready'}
`,
);
