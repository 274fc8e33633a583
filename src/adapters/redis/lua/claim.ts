import { LuaScript } from "../lua-script.ts";
import { CLAIM_LUA } from "./claim-core.ts";
import { QUEUE_LUA } from "./queue.ts";
import { SHARED_LUA } from "./shared.ts";

/**
 * A dispatcher claims up to ARGV[3] tasks of one shard for itself (claim_for in claim-core.ts: each
 * RUNNING, attempt + 1, in one atomic step). First it takes itself off the shard's idle hash and takes
 * what ENQUEUE handed to it and it has not read (its hand-out stream past ARGV[6]); those count toward
 * ARGV[3]. When it got fewer than it asked for, it notes itself idle with the slots left, so the next
 * ENQUEUE claims for it and hands the tasks over on its hand-out stream (no claim round trip). The note
 * holds for ARGV[7] ms (default 3000): a waiting dispatcher claims again before then to renew it, so
 * one that died stops getting tasks within that time (not only once its liveness key expires). Each
 * note gives the dispatcher's hand-out stream an hour to live, so a dead dispatcher's goes and a live
 * one's never expires under the tasks handed to it.
 *
 * KEYS: the shard's scriptKeys (see queue.ts)
 * ARGV[1] group, ARGV[2] consumer (dispatcher id), ARGV[3] max, ARGV[4] now (ms), ARGV[5] aging (ms),
 * ARGV[6] the newest hand-out entry the dispatcher read ('' for none), ARGV[7] how long the idle note
 * holds (ms; '' for 3000), then triples of limits: tenant
 * (or '*'), most running in this shard (or ''), starts per second in this shard (or '')
 * Returns {'', outbox length, the wake stream's newest id (or '0-0'), the earliest delayed runAt (or
 * ''), ms until a rate-limited tenant may start one (or ''), the newest hand-out entry taken (or ''),
 * task JSON...} when tasks were taken (a caller that got fewer than it asked for may block on the wake
 * stream after that id, until then, rather than look again); else {the wake stream's newest id (or
 * '0-0'), outbox length, the earliest delayed runAt (or ''), ms until a rate-limited tenant may start
 * one (or '')}.
 */
export const CLAIM = LuaScript.library(
  "claim",
  `${SHARED_LUA}${QUEUE_LUA}${CLAIM_LUA}`,
  `bind_keys()
local consumer, max, now, aging = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local limits = limits_from(ARGV, 8)
redis.call('HDEL', K.idle, consumer)
local out, newest = collect_handouts(K.handout .. consumer, ARGV[6] or '')
local rate_wait = nil
if #out < max then
  local claimed
  claimed, rate_wait = claim_for(consumer, max - #out, now, aging, limits)
  for _, json in ipairs(claimed) do out[#out + 1] = json end
end
if #out < max then
  local spec = {string.format('%d', max - #out), ARGV[5], string.format('%d', now + (tonumber(ARGV[7] or '') or 3000))}
  for i = 8, #ARGV do
    if ARGV[i] == '' then spec[#spec + 1] = '-' else spec[#spec + 1] = ARGV[i] end
  end
  redis.call('HSET', K.idle, consumer, table.concat(spec, ' '))
  redis.call('PEXPIRE', K.handout .. consumer, HANDOUT_TTL_MS) -- an hour from the last note: ENQUEUE leaves it (hand_over)
end
local last = redis.call('XREVRANGE', K.wake, '+', '-', 'COUNT', 1)
local due = redis.call('ZRANGE', K.delayed, 0, 0, 'WITHSCORES')
if #out == 0 then
  return {last[1] and last[1][1] or '0-0', redis.call('LLEN', K.outbox), due[2] or '', rate_wait or ''}
end
table.insert(out, 1, newest)
table.insert(out, 1, rate_wait or '')
table.insert(out, 1, due[2] or '')
table.insert(out, 1, last[1] and last[1][1] or '0-0')
table.insert(out, 1, redis.call('LLEN', K.outbox))
table.insert(out, 1, '')
return out
`,
);
