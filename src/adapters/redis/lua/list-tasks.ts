import { LuaScript } from "../lua-script.ts";
import { SHARED_LUA } from "./shared.ts";

/**
 * One shard's part of a task list (task-listing.ts): scans each index (source) that the query needs
 * (operations.ts names them: a function's FAILED tasks have their own; other lists of one function
 * scan its tenant's, keeping that function's tasks) after the position, newest first, skipping entries whose task expired
 * (removing them from the index: ZREM) or no longer belongs there, until it has `limit` items or has
 * examined `budget` entries. Members are read a whole score at a time: a score's tasks, members that
 * are task ids and groups (operations.ts) expanded to their ids, are examined in descending byte order
 * of their ids; ties of the position's score are read whole and kept when their id is below the
 * position's. A group whose tasks a scan saw all gone (or, in the unfinished index, finished) leaves
 * the index.
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

local function fmt(n) return string.format('%d', n) end

local function descending(list)
  for i = 2, #list do
    if bytes_less(list[i - 1][1], list[i][1]) then return false end
  end
  return true
end

-- a group member of an index: its ids text ('' when gone), a function that drops the group (and its
-- field of the counts hash, when the index has one), and holds(t): whether task t keeps the group in
-- the index; nil for a member that is a task id
local function grouped(set_key, group_prefix, holds, counts)
  return function(member, score)
    local stamp = group_stamp(member, score)
    if not stamp then return nil end
    local text = group_prefix .. stamp
    return redis.call('GET', text) or '', function()
      redis.call('ZREM', set_key, member)
      redis.call('DEL', text)
      if counts then redis.call('HDEL', counts, stamp) end
    end, holds
  end
end

-- scans one index; accept(t, score) says whether the task is listed here; group: see grouped
local function scan(key, accept, group)
  local out, items, examined, last, dead, groups = {0, '', ''}, 0, 0, nil, {}, {}
  -- the entries ({id, score, group}) of members (descending) that all have score s, ids descending:
  -- plain members come so from Redis; groups' runs are checked and sorted when they are not
  local function entries_of(members, s)
    local list, runs = {}, 0
    for _, m in ipairs(members) do
      local text, drop, holds = nil, nil, nil
      if group then text, drop, holds = group(m, s) end
      if text then
        local g = {size = 0, seen = 0, live = 0, drop = drop, holds = holds}
        groups[#groups + 1] = g
        for run in string.gmatch(text, '[^|]+') do
          runs = runs + 1
          for id in string.gmatch(run, '%S+') do
            list[#list + 1] = {id, s, g}
            g.size = g.size + 1
          end
        end
      else
        list[#list + 1] = {m, s}
      end
    end
    if runs > 0 and not descending(list) then table.sort(list, function(a, b) return bytes_less(b[1], a[1]) end) end
    return list
  end
  -- groups seen whole in this scan with no task left that holds them leave the index
  local function finish()
    if #dead > 0 then zrem_all(key, dead) end
    for _, g in ipairs(groups) do
      if g.seen == g.size and g.live == 0 then g.drop() end
    end
    return out
  end
  local chunk, max = {}, '+inf'
  if after_score then
    max = '(' .. fmt(after_score)
    for _, e in ipairs(entries_of(redis.call('ZREVRANGEBYSCORE', key, fmt(after_score), fmt(after_score)), after_score)) do
      if bytes_less(e[1], after_id) then chunk[#chunk + 1] = e end
    end
  end
  while true do
    -- the chunk's tasks are read 256 at a time, as far as the scan goes
    for from = 1, #chunk, 256 do
      local to = math.min(#chunk, from + 255)
      local keys = {}
      for i = from, to do keys[#keys + 1] = task_prefix .. chunk[i][1] end
      local raws = mget_all(keys)
      for i = from, to do
        local e = chunk[i]
        if last and (items == limit or examined == budget) then
          out[1], out[2], out[3] = 1, fmt(last[2]), last[1]
          return finish()
        end
        examined = examined + 1
        last = e
        local t = decode_task(keys[i - from + 1], raws[i - from + 1])
        local g = e[3]
        if g then
          g.seen = g.seen + 1
          if t and g.holds(t) then g.live = g.live + 1 end
        elseif not t then
          dead[#dead + 1] = e[1]
        end
        if t and accept(t, e[2]) then
          items = items + 1
          out[#out + 1] = summary(t)
        end
      end
    end
    -- the next members, whole scores at a time (a score's members are read together: its ids sort as
    -- one), no more than the budget can still examine (a group may hold a thousand tasks)
    local room = budget - examined + 1
    local wanted = math.min(256, room)
    local got = redis.call('ZREVRANGEBYSCORE', key, max, '-inf', 'WITHSCORES', 'LIMIT', 0, wanted)
    if #got == 0 then break end
    chunk = {}
    local i = 1
    while i <= #got and #chunk < room do
      local s, members = got[i + 1], {}
      while i <= #got and got[i + 1] == s do
        members[#members + 1] = got[i]
        i = i + 2
      end
      local score = tonumber(s)
      -- a full read may have cut the last score's members short: read them all
      if i > #got and #got / 2 == wanted then members = redis.call('ZREVRANGEBYSCORE', key, fmt(score), fmt(score)) end
      for _, e in ipairs(entries_of(members, score)) do chunk[#chunk + 1] = e end
      max = '(' .. fmt(score)
    end
  end
  return finish()
end

local function finished_here(s)
  return function(t, score) return t.status == s and t.updatedAt == score and mine(t) end
end
local function present() return true end
local function is_unfinished(t) return UNFINISHED[t.status] end
-- a finished set: its key and its groups' (operations.ts)
local function finished_scan(kind, owner, s)
  local key, group_prefix = finished_keys(P, kind, owner, s)
  return scan(key, finished_here(s), grouped(key, group_prefix, present))
end
local result = {}
if fid ~= '' and status == 'FAILED' then
  result[1] = finished_scan('fd', fid, 'FAILED')
  return result
end
local tenants = {tenant}
if tenant == '' then tenants = redis.call('SMEMBERS', KEYS[2]) end
for _, name in ipairs(tenants) do
  if status == '' or UNFINISHED[status] then
    local index, counts, group_prefix = unfinished_keys(P, name)
    result[#result + 1] = scan(index, function(t, score)
      return UNFINISHED[t.status] and (status == '' or t.status == status) and t.createdAt == score and mine(t)
    end, grouped(index, group_prefix, is_unfinished, counts))
  end
  for _, s in ipairs(FINISHED) do
    if status == '' or status == s then result[#result + 1] = finished_scan('d', name, s) end
  end
end
return result
`,
);
