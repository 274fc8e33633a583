import { LuaScript } from "../lua-script.ts";
import { SHARED_LUA } from "./shared.ts";

/**
 * Cancels one task atomically, if it is QUEUED or RUNNING: CANCELLED, result null, expiring after the
 * retention period (SET ... PX).
 * - QUEUED: it leaves the queued count at once. Its stream entry (not delivered yet: delivery and the
 *   start of an attempt are one step in CLAIM) is not known by id; the next claim that reads it acks and
 *   deletes it without starting anything, as for any entry whose task is not QUEUED.
 * - RUNNING: the entry pending on its dispatcher is acked and deleted here, since no transition of that
 *   attempt will ever apply (the fence refuses them), so nothing else would; a dead dispatcher's reclaim
 *   then never sees it either.
 * Its tenant's stats hash counts it as finished CANCELLED, with its submit-to-cancel time.
 *
 * KEYS[1] queue stream, KEYS[2] queued counter, KEYS[3] prefix of the per-tenant stats hashes,
 * KEYS[#KEYS] the shard's operations prefix (attempts, listing indexes, counters: operations.ts)
 * ARGV[1] group, ARGV[2] now (ms), ARGV[3] retention (ms), ARGV[4] task key
 * Returns {'CANCELLED', task JSON}, {'AlreadyTerminal', status} or {'UnknownTask'}.
 */
export const CANCEL = new LuaScript(
  "cancel",
  `${SHARED_LUA}
local t = decode_task(ARGV[4], redis.call('GET', ARGV[4]))
if not t then return {'UnknownTask'} end
if t.status ~= 'QUEUED' and t.status ~= 'RUNNING' then return {'AlreadyTerminal', t.status} end
local stats = {}
if t.status == 'QUEUED' then
  redis.call('DECRBY', KEYS[2], 1)
  bump(stats, tenant_of(t), 'queued', -1)
end
if t.status == 'RUNNING' and t.entry then ack_all(KEYS[1], ARGV[1], {t.entry}) end
if t.status == 'RUNNING' then note_attempt_end(t, tonumber(ARGV[2]), 'CANCELLED', '') end
t.status = 'CANCELLED'
t.result = cjson.null
t.updatedAt = tonumber(ARGV[2])
t.entry = nil
local json = cjson.encode(t)
redis.call('SET', ARGV[4], json, 'PX', ARGV[3])
count_finished(stats, t, t.updatedAt, nil)
flush_stats(KEYS[3], stats)
ops_finished(KEYS[#KEYS], {t}, t.updatedAt, tonumber(ARGV[3]))
return {'CANCELLED', json}
`,
);
