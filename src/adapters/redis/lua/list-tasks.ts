import { LuaScript } from "../lua-script.ts";
import { SHARED_LUA } from "./shared.ts";

/**
 * One shard's part of a task list (task-listing.ts): scans each index (source) that the query needs
 * (operations.ts names them: a function's FAILED tasks have their own; other lists of one function
 * scan its tenant's, keeping that function's tasks) after the position, newest first, skipping entries whose task expired
 * (removing them from the index: ZREM) or no longer belongs there, until it has `limit` items or has
 * examined `budget` entries. Ties of the position's score are read whole and kept when their id is
 * below the position's (byte order, as the sorted set orders members).
 *
 * KEYS[1] the shard's operations prefix, KEYS[2] the shard's tenants set
 * ARGV[1] task key prefix, ARGV[2] tenant ('' for every tenant), ARGV[3] status ('' for any),
 * ARGV[4] function id ('' for any), ARGV[5] limit, ARGV[6] budget, ARGV[7] after score ('' from the
 * newest), ARGV[8] after id
 * Returns one entry per source: {more (1 or 0), horizon score, horizon id, summary JSON...}; the horizon
 * (the last entry examined) is '' unless `more`.
 */
export const LIST_TASKS = new LuaScript(
  "list-tasks",
  `${SHARED_LUA}
local P, task_prefix = KEYS[1], ARGV[1]
local tenant, status, fid = ARGV[2], ARGV[3], ARGV[4]
local limit, budget = tonumber(ARGV[5]), tonumber(ARGV[6])
local after_score, after_id = tonumber(ARGV[7]), ARGV[8]
local UNFINISHED = {QUEUED = true, RUNNING = true}
local FINISHED = {'COMPLETED', 'FAILED', 'CANCELLED'}

local function bytes_less(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local function summary(t)
  local s = {id = t.id, tenant = ops_tenant_of(t), functionId = t.functionId, status = t.status, attempt = t.attempt, createdAt = t.createdAt}
  if not UNFINISHED[t.status] then s.finishedAt = t.updatedAt end
  if t.status == 'FAILED' and type(t.result) == 'string' then s.errorName = string.match(t.result, '"name":"([^"\\\\]*)"') end
  if type(t.retriedAs) == 'string' then s.retriedAs = t.retriedAs end
  return cjson.encode(s)
end

local function mine(t)
  return (tenant == '' or ops_tenant_of(t) == tenant) and (fid == '' or t.functionId == fid)
end

-- scans one index; accept(t, score) says whether the task is listed here
local function scan(key, accept)
  local out, items, examined, last, dead = {0, '', ''}, 0, 0, nil, {}
  local offset, ties_done = 0, after_score == nil
  while true do
    local chunk = {}
    if not ties_done then
      ties_done = true
      local ties = redis.call('ZRANGEBYSCORE', key, after_score, after_score)
      for i = #ties, 1, -1 do
        if #chunk > budget then break end
        if bytes_less(ties[i], after_id) then chunk[#chunk + 1] = {ties[i], after_score} end
      end
    else
      local max = '+inf'
      if after_score then max = '(' .. string.format('%d', after_score) end
      local got = redis.call('ZREVRANGEBYSCORE', key, max, '-inf', 'WITHSCORES', 'LIMIT', offset, math.min(256, budget - examined + 1))
      if #got == 0 then break end
      offset = offset + #got / 2
      for i = 1, #got, 2 do chunk[#chunk + 1] = {got[i], tonumber(got[i + 1])} end
    end
    local keys = {}
    for i, e in ipairs(chunk) do keys[i] = task_prefix .. e[1] end
    local raws = mget_all(keys)
    for i, e in ipairs(chunk) do
      if last and (items == limit or examined == budget) then
        if #dead > 0 then zrem_all(key, dead) end
        out[1], out[2], out[3] = 1, string.format('%d', last[2]), last[1]
        return out
      end
      examined = examined + 1
      last = e
      local t = decode_task(keys[i], raws[i])
      if not t then
        dead[#dead + 1] = e[1]
      elseif accept(t, e[2]) then
        items = items + 1
        out[#out + 1] = summary(t)
      end
    end
  end
  if #dead > 0 then zrem_all(key, dead) end
  return out
end

local function finished_here(s)
  return function(t, score) return t.status == s and t.updatedAt == score and mine(t) end
end
local result = {}
if fid ~= '' and status == 'FAILED' then
  result[1] = scan(P .. 'fd:' .. fid .. ':FAILED', finished_here('FAILED'))
  return result
end
local tenants = {tenant}
if tenant == '' then tenants = redis.call('SMEMBERS', KEYS[2]) end
for _, name in ipairs(tenants) do
  if status == '' or UNFINISHED[status] then
    result[#result + 1] = scan(P .. 'a:' .. name, function(t, score)
      return UNFINISHED[t.status] and (status == '' or t.status == status) and t.createdAt == score and mine(t)
    end)
  end
  for _, s in ipairs(FINISHED) do
    if status == '' or status == s then result[#result + 1] = scan(P .. 'd:' .. name .. ':' .. s, finished_here(s)) end
  end
end
return result
`,
);
