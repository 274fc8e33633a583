import { LuaScript } from "../lua-script.ts";
import { SHARED_LUA } from "./shared.ts";

/**
 * Takes over what dead dispatchers left: for each consumer of the group whose liveness key is gone,
 * its pending entries move to this dispatcher (XCLAIM) and each task starts a new attempt. A live
 * dispatcher's entries are never touched, however long they have been idle. Entries whose task is
 * terminal or gone are acked and dropped; dead consumers with nothing left pending are deleted.
 * Before that, the lone tasks' deferred bookkeeping is drained (deferred.ts), and the retention's sweep
 * (sweep_tenants in operations.ts) deletes up to ARGV[9] tasks of the shard that finished more than
 * ARGV[8] ms ago.
 *
 * KEYS[1] queue stream, KEYS[2] queued counter, KEYS[3] prefix of the per-tenant stats hashes,
 * KEYS[15] the shard's tenants set, KEYS[#KEYS] the shard's operations prefix
 * ARGV[1] group, ARGV[2] consumer (this dispatcher's id), ARGV[3] max entries, ARGV[4] now (ms),
 * ARGV[5] task key prefix, ARGV[6] liveness key prefix, ARGV[7] the newest hand-out entry this
 * dispatcher read ('' for none), ARGV[8] the retention (ms; '' sweeps nothing), ARGV[9] the sweep's
 * budget (tasks); KEYS[18] the prefix of hand-out streams, KEYS[20] the entry-left hash
 * First takes what ENQUEUE handed to this dispatcher and it has not read (collect_handouts).
 * Returns {n, newest hand-out entry taken (or ''), h, h hand-out task JSONs, task JSON...}: n = entries
 * pending on this dispatcher before the call, less the queue entries of the h tasks just taken from its
 * hand-out stream (more than it knows it holds: it lost some, e.g. an acknowledged write lost in a
 * failover; see ADOPT), then the tasks now RUNNING here.
 */
export const RECLAIM = new LuaScript(
  "reclaim",
  `${SHARED_LUA}
drain_deferred(KEYS[#KEYS], KEYS[3], ARGV[5], KEYS[15])
if (ARGV[8] or '') ~= '' then sweep_tenants(KEYS[#KEYS], KEYS[15], ARGV[5], tonumber(ARGV[4]), tonumber(ARGV[8]), tonumber(ARGV[9])) end
local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if type(consumers) ~= 'table' or consumers.err then return {0} end
local handed, newest, handed_entries = collect_handouts(KEYS[18] .. ARGV[2], ARGV[7] or '')
local handed_count = 0 -- queue entries: the tasks of a hand-out share one
for _ in pairs(handed_entries) do handed_count = handed_count + 1 end
local left = tonumber(ARGV[3])
local mine = 0
local entries, drop = {}, {}
for _, c in ipairs(consumers) do
  local name, pending = nil, 0
  for i = 1, #c, 2 do
    if c[i] == 'name' then name = c[i + 1] elseif c[i] == 'pending' then pending = tonumber(c[i + 1]) end
  end
  if name == ARGV[2] then mine = pending end
  if name ~= ARGV[2] and redis.call('EXISTS', ARGV[6] .. name) == 0 then
    local taken = 0
    if pending > 0 and left > 0 then
      local ids = {}
      for i, p in ipairs(redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', left, name)) do ids[i] = p[1] end
      for i = 1, #ids, 500 do
        local claimed = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, unpack(ids, i, math.min(i + 499, #ids)))
        for _, e in ipairs(entry_pairs(claimed, drop)) do entries[#entries + 1] = e end
      end
      taken = #ids
      left = left - taken
    end
    if taken >= pending then redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name) end
  end
end
local out = hand_out(KEYS[1], ARGV[1], KEYS[2], KEYS[3], ARGV[5], KEYS[20], entries, tonumber(ARGV[4]), drop)
return with_handouts({mine - handed_count, newest}, handed, out)
`,
);
