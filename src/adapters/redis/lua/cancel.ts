import { LuaScript } from "../lua-script.ts";
import { QUEUE_LUA } from "./queue.ts";
import { SHARED_LUA } from "./shared.ts";

/**
 * Cancels one task atomically, if it is QUEUED or RUNNING: CANCELLED, result null, deleted by the
 * retention's sweep after the retention period (operations.ts).
 * - QUEUED: it leaves the queued count at once, and the delayed set if it waits there. An entry in its
 *   tenant's ready list or priority set stays until a claim meets it and drops it (claims take only
 *   QUEUED tasks).
 * - RUNNING: the entry pending on its dispatcher is acked here (ack_all), since no transition of that
 *   attempt will ever apply (the fence refuses them), so nothing else would; a dead dispatcher's reclaim
 *   then never sees it either.
 * When tasks wait for it, a "done" item goes on the outbox (they end FAILED DependencyFailed) and the
 * wake stream wakes a dispatcher to carry it out. Its tenant's stats hash counts it as finished
 * CANCELLED, with its submit-to-cancel time.
 *
 * KEYS: the shard's scriptKeys (see queue.ts)
 * ARGV[1] group, ARGV[2] now (ms), ARGV[3] retention (ms), ARGV[4] task id
 * Returns {'CANCELLED', task JSON}, {'AlreadyTerminal', status} or {'UnknownTask'}.
 */
export const CANCEL = new LuaScript(
  "cancel",
  `${SHARED_LUA}${QUEUE_LUA}
bind_keys()
local key = K.task .. ARGV[4]
local t = decode_task(key, redis.call('GET', key))
if not t then return {'UnknownTask'} end
if t.status ~= 'QUEUED' and t.status ~= 'RUNNING' then return {'AlreadyTerminal', t.status} end
local stats, tenant = {}, tenant_of(t)
if t.status == 'QUEUED' then
  redis.call('DECRBY', K.queued, 1)
  bump(stats, tenant, 'queued', -1)
  redis.call('ZREM', K.delayed, t.id)
else
  if t.entry then release_entries(K.queue, ARGV[1], K.left, {t.entry}) end
  note_attempt_end(t, tonumber(ARGV[2]), 'CANCELLED', '', nil)
  if redis.call('SCARD', K.active) > 0 then wake() end -- a running limit may have held work back
end
t.status = 'CANCELLED'
t.result = nil
t.updatedAt = tonumber(ARGV[2])
t.entry = nil
t.depResults = nil
local json = encode_task(t)
redis.call('SET', key, json)
count_finished(stats, t, t.updatedAt, nil)
flush_stats(K.stats, stats)
drain_deferred(K.ops, K.stats, K.task, K.tenants) -- the task's enqueue may wait there (deferred.ts)
ops_finished(K.ops, {t}, t.updatedAt, tonumber(ARGV[3]), K.task)
if t.hasDeps then
  redis.call('LPUSH', K.outbox, 'done|' .. t.id)
  wake()
end
return {'CANCELLED', json}
`,
);
