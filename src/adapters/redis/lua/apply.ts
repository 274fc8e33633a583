import { LuaScript } from "../lua-script.ts";
import { SHARED_LUA } from "./shared.ts";

/**
 * Applies fenced transitions: each only while its task is RUNNING with the same attempt (a stale
 * attempt never overwrites a newer one). A terminal task gets its result and expires after the
 * retention period (SET ... PX, one command per task); its queue entry is acked and deleted. A QUEUED
 * task (retry) goes back on the queue as a new entry and counts as queued again. Each tenant's stats
 * hash counts its tasks finished (by status, failure label and submit-to-terminal time) and retried,
 * one HINCRBY per tenant and field per call.
 *
 * KEYS[1] queue stream, KEYS[2] queued counter, KEYS[3] prefix of the per-tenant stats hashes,
 * KEYS[#KEYS] the shard's operations prefix (attempts, listing indexes, counters: operations.ts)
 * ARGV[1] group, ARGV[2] now (ms), ARGV[3] retention (ms), ARGV[4] task key prefix, then 6 per
 * transition: task id, attempt, new status ('HANDBACK': QUEUED again with the attempt handed back at a
 * graceful shutdown, not counted toward maxAttempts), result (JSON text; '' stands for null), error label (for
 * FAILED: the failures counter's label, see failureLabel in domain/metrics.ts), where the attempt ran
 * ('' when unknown). Only the first transition of a task in one call counts.
 * Returns {task JSON...} of the tasks changed.
 */
export const APPLY = new LuaScript(
  "apply",
  `${SHARED_LUA}
local now = tonumber(ARGV[2])
local keys = {}
for i = 5, #ARGV, 6 do keys[#keys + 1] = ARGV[4] .. ARGV[i] end
local raws = mget_all(keys)
local out, done, requeued, seen, stats = {}, {}, 0, {}, {}
local finished = {}
for k = 1, #keys do
  local i = 6 * k - 1
  local t = nil
  if not seen[keys[k]] then t = decode_task(keys[k], raws[k]) end
  seen[keys[k]] = true
  if t and t.status == 'RUNNING' and t.attempt == tonumber(ARGV[i + 1]) then
    if t.entry then done[#done + 1] = t.entry end
    t.status = ARGV[i + 2]
    local handback = t.status == 'HANDBACK'
    if handback then
      t.status = 'QUEUED'
      t.handbacks = (tonumber(t.handbacks) or 0) + 1
    end
    t.updatedAt = now
    t.entry = nil
    if ARGV[i + 3] == '' then t.result = cjson.null else t.result = ARGV[i + 3] end
    note_attempt_end(t, now, ARGV[i + 2], ARGV[i + 5])
    local json = cjson.encode(t)
    out[#out + 1] = json
    if t.status == 'QUEUED' then
      redis.call('SET', keys[k], json)
      redis.call('XADD', KEYS[1], '*', 't', ARGV[i])
      requeued = requeued + 1
      bump(stats, tenant_of(t), 'queued', 1)
      if not handback then bump(stats, tenant_of(t), 'retries', 1) end
    else
      redis.call('SET', keys[k], json, 'PX', ARGV[3])
      count_finished(stats, t, now, ARGV[i + 4])
      finished[#finished + 1] = t
    end
  end
end
if requeued > 0 then redis.call('INCRBY', KEYS[2], requeued) end
flush_stats(KEYS[3], stats)
ops_finished(KEYS[#KEYS], finished, now, tonumber(ARGV[3]))
ack_all(KEYS[1], ARGV[1], done)
return out
`,
);
