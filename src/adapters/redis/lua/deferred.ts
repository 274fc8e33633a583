/** How many items the deferred list holds before an APPLY drains it (two per lone task: its enqueue and its end). */
export const DEFERRED_DRAIN_ITEMS = 64;

/**
 * A lone task's bookkeeping, deferred (Lua helpers, part of SHARED_LUA). A task that goes the short way
 * (ENQUEUE hands it alone to an idle dispatcher: claim-core.ts) and ends alone on APPLY's fast path
 * would have its counters and the operators' indexes written one task at a time, twice: a few dozen
 * commands and most of both scripts' Lua work on the one-at-a-time path. Instead ENQUEUE appends one
 * item to the shard's deferred list (`P deferred`, under the operations prefix), and so does APPLY
 * for a task ending alone while the list holds something (tasks going the short way one at a time;
 * in batches it stays empty and nothing is deferred) and no tenant running limits are set (they read
 * the counters). The list is drained in one go:
 *
 * - by APPLY once it holds DEFERRED_DRAIN_ITEMS items (so about every 32 lone tasks);
 * - by every script that may end a task with its enqueue still there (APPLY of several or on its
 *   decoding path, CANCEL), before it writes, so that a task's enqueue is always counted and indexed
 *   before its end (a task failed by a dependency waited for it, so it never went the short way);
 * - by each dispatcher's periodic RECLAIM (about every second), so a quiet shard catches up;
 * - by DRAIN_DEFERRED (drain.ts) before every read of the counters or indexes (stats, listings,
 *   activity, function counts), so no reader ever sees them behind.
 *
 * So what readers see is exact, and a finished task enters the finished sets at most about a second
 * late, scored by its own finish time.
 *
 * defer_enqueued(P, tenant, id, created_at, function_id) and defer_finished(P, t, label, ended_at,
 * retention_ms, only_if_waiting) append an item (fields space-separated: tenant names, ids and failure
 * labels hold none) and return the list's length; with only_if_waiting, only onto a list that holds
 * items already (0, and nothing appended, when it is empty). drain_deferred(P, stats_prefix, task_prefix, tenants_key) applies
 * the items (and returns how many) in order: the enqueued tasks' tenants noted in the shard's tenants
 * set (one SADD), as ENQUEUE notes them; submitted counts; the tasks' ends counted (count_finished) and indexed (ops_finished, one
 * call per second of finish time and retention); a task whose enqueue and end are both in the drain
 * never enters the unfinished index (its end would take it out again); an enqueue whose end is not
 * there yet is indexed as unfinished (index_unfinished).
 */
export const DEFERRED_LUA = `
local DEFERRED_DRAIN_ITEMS = ${DEFERRED_DRAIN_ITEMS}

local function defer_enqueued(P, tenant, id, created_at, function_id)
  return redis.call('RPUSH', P .. 'deferred', 'e ' .. tenant .. ' ' .. id .. ' ' .. created_at .. ' ' .. function_id)
end

local function defer_finished(P, t, label, ended_at, retention_ms, only_if_waiting)
  if not label or label == '' then label = '-' end
  local fields = {'f', tenant_of(t), t.id, string.format('%d', t.createdAt), t.functionId, t.status, label, string.format('%d', ended_at), string.format('%d', retention_ms)}
  return redis.call(only_if_waiting and 'RPUSHX' or 'RPUSH', P .. 'deferred', table.concat(fields, ' '))
end

local function drain_deferred(P, stats_prefix, task_prefix, tenants_key)
  local key = P .. 'deferred'
  local items = redis.call('LRANGE', key, 0, -1)
  if #items == 0 then return 0 end
  redis.call('DEL', key)
  local stats, per_function, open, ends, tenants, noted = {}, {}, {}, {}, {}, {}
  for _, item in ipairs(items) do
    local p = {}
    for part in string.gmatch(item, '%S+') do p[#p + 1] = part end
    if p[1] == 'e' then
      if not noted[p[2]] then
        noted[p[2]] = true
        tenants[#tenants + 1] = p[2]
      end
      bump(stats, p[2], 'submitted', 1)
      per_function[p[5]] = (per_function[p[5]] or 0) + 1
      open[p[3]] = p
    else
      ends[#ends + 1] = p
    end
  end
  local groups, order = {}, {}
  for _, p in ipairs(ends) do
    local ended = tonumber(p[8])
    local t = {tenant = p[2], id = p[3], createdAt = tonumber(p[4]), functionId = p[5], status = p[6], endedAt = ended}
    if open[t.id] then
      t.neverIndexed = true
      open[t.id] = nil
    end
    local label = p[7]
    if label == '-' then label = nil end
    count_finished(stats, t, ended, label)
    local g = math.floor(ended / 1000) .. ' ' .. p[9]
    if not groups[g] then
      groups[g] = {tasks = {}, now = ended, retention = tonumber(p[9])}
      order[#order + 1] = g
    end
    local group = groups[g]
    group.tasks[#group.tasks + 1] = t
    if ended > group.now then group.now = ended end
  end
  if #tenants > 0 then redis.call('SADD', tenants_key, unpack(tenants)) end
  for _, p in pairs(open) do index_unfinished(P, p[2], p[4], 1, '|' .. p[3]) end
  for fid, n in pairs(per_function) do redis.call('HINCRBY', P .. 'fs:' .. fid, 'submitted', n) end
  for _, g in ipairs(order) do ops_finished(P, groups[g].tasks, groups[g].now, groups[g].retention, task_prefix) end
  flush_stats(stats_prefix, stats)
  return #items
end
`;
