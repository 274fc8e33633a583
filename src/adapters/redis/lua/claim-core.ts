import { GROUP } from "../keys.ts";

/**
 * The claim itself as a Lua function (prepended after SHARED_LUA and QUEUE_LUA), shared by CLAIM (a
 * dispatcher claiming for itself) and ENQUEUE (handing new tasks straight to an idle dispatcher, see
 * enqueue.ts): `claim_for(consumer, max, now, aging, limits)` takes up to `max` claimable tasks of the
 * shard for the dispatcher `consumer` and starts an attempt of each (RUNNING, attempt + 1), in one step:
 * 1. moves the delayed tasks now due to their tenants' queues;
 * 2. shares the claim among the tenants with work, round-robin (one turn further each call), each
 *    within what its limits leave (running at once in this shard, counted from its counters as
 *    submitted - finished - queued; its token bucket for starts per second), each tenant's tasks in
 *    rank order (the ready list and the priority set merged);
 * 3. appends one queue-stream entry for the tasks it starts (see release_entries in shared.ts) and
 *    reads it into the dispatcher's pending list (XREADGROUP), so a dead dispatcher's tasks are found
 *    and taken over (reclaim.ts).
 * Entries of tasks no longer QUEUED (cancelled) are dropped on the way. Creates the consumer group when
 * missing (first use, or Redis restarted empty). `limits` maps a tenant (or '*') to {running, rate}:
 * most running in this shard and starts per second in this shard (either nil).
 * Returns the tasks' JSON (a list) and the ms until a rate-limited tenant may start one (or nil).
 *
 * Idle dispatchers: a dispatcher whose claim took fewer tasks than it asked for notes itself in the
 * shard's idle hash (K.idle: its id -> "<free slots> <aging> <valid until, ms> <limits...>"); ENQUEUE
 * claims for a live one there whose note still holds and adds the tasks, as one entry, to that
 * dispatcher's hand-out stream (K.handout .. id), which it reads in the same blocking read as the wake
 * stream. A dispatcher's claim takes it off the hash first, and takes back what is on its hand-out
 * stream past what it read. New tasks that would be a shard's only queued ones go the short way when
 * the idle dispatcher with the most free slots can take them all (`hand_fresh`): stored RUNNING at
 * once, with what claim_for writes.
 */
export const CLAIM_LUA = `
local GROUP = '${GROUP}'
-- how long a dispatcher's hand-out stream lives after its last idle note (claim.ts), or after a
-- hand-over made it (hand_over)
local HANDOUT_TTL_MS = 3600000

local function limit_of(limits, tenant, field)
  local own, all = limits[tenant], limits['*']
  if own and own[field] then return own[field] end
  if all then return all[field] end
  return nil
end

local function tokens_of(tenant, rate, now)
  local raw = redis.call('HGET', K.rate, tenant)
  local tokens, at = math.max(rate, 1), now
  if raw then
    local a, b = string.match(raw, '^([^:]+):(.+)$')
    tokens, at = tonumber(a), tonumber(b)
  end
  -- starts full; at most a second's worth saved, but at least one whole token (a share below 1/s must still start)
  return math.min(math.max(rate, 1), tokens + math.max(0, now - at) / 1000 * rate)
end

-- tasks of a tenant running in this shard, from its counters: submitted - finished - queued
local function running_of(tenant)
  local c = redis.call('HMGET', K.stats .. tenant, 'submitted', 'finished:COMPLETED', 'finished:FAILED', 'finished:CANCELLED', 'queued')
  return (tonumber(c[1]) or 0) - (tonumber(c[2]) or 0) - (tonumber(c[3]) or 0) - (tonumber(c[4]) or 0) - (tonumber(c[5]) or 0)
end

-- A task never handed out, as enqueue stored it (head first: see encodeTask): the text after its
-- head, which a first attempt's head replaces without decoding it; nil for any other record.
local FRESH_HEAD = '^{"status":"QUEUED","attempt":0,"updatedAt":%d+,'
local function fresh_rest(raw)
  local _, last = string.find(raw, FRESH_HEAD)
  if not last or string.find(raw, '"attempts":', last, true) then return nil end
  return string.sub(raw, last + 1)
end

-- One queue-stream entry for the tasks a claim starts (their ids), noted with their count in the
-- entry-left hash when more than one (see release_entries in shared.ts).
local function add_entry(ids)
  local entry = redis.call('XADD', K.queue, '*', 't', table.concat(ids, ' '))
  if #ids > 1 then redis.call('HSET', K.left, entry, #ids) end
  return entry
end

-- A fresh task's first attempt on queue entry "entry": its record with the attempt's head (what
-- encode_task and note_attempt_start would write) before the rest of the record as enqueue stored it.
local function fresh_running(id, at, rest, entry)
  return '{"status":"RUNNING","attempt":1,"entry":"' .. entry .. '","updatedAt":' .. at .. ',"attempts":[{"attempt":1,"startedAt":' .. at .. '}],' .. rest
end

-- Reads the entries just appended to the queue stream into the dispatcher's pending list, so a dead
-- dispatcher's tasks are found and taken over; creates the consumer group when missing (first use, or
-- Redis restarted empty).
local function read_into(consumer)
  local r = redis.pcall('XREADGROUP', 'GROUP', GROUP, consumer, 'STREAMS', K.queue, '>')
  if type(r) == 'table' and r.err then
    if not string.find(r.err, 'NOGROUP', 1, true) then error(r.err) end
    redis.call('XGROUP', 'CREATE', K.queue, GROUP, '0', 'MKSTREAM')
    redis.call('XREADGROUP', 'GROUP', GROUP, consumer, 'STREAMS', K.queue, '>')
  end
end

-- up to n live tasks of a tenant (llen, zcard: its list's and set's lengths), most urgent first,
-- appended to chosen as {key, task} (or {key, nil, id, tenant, rest} for a fresh task)
local function take_tenant(tenant, n, llen, zcard, chosen, aging)
  local list, zset = K.ready .. tenant, K.prio .. tenant
  local got = 0
  for _ = 1, 4 do
    local want = n - got
    if want <= 0 or llen + zcard == 0 then break end
    local ls, zs = {}, {}
    if llen > 0 then ls = redis.call('LRANGE', list, 0, want - 1) end
    if zcard > 0 then zs = redis.call('ZRANGE', zset, 0, want - 1, 'WITHSCORES') end
    local ids, li, zi = {}, 1, 1
    while #ids < want and (li <= #ls or 2 * zi <= #zs) do
      local lrank, zrank = nil, nil
      if li <= #ls then lrank = tonumber(string.match(ls[li], '^(%d+)|')) - DEFAULT_PRIORITY * aging end
      if 2 * zi <= #zs then zrank = tonumber(zs[2 * zi]) end
      if zrank and (not lrank or zrank < lrank) then
        ids[#ids + 1] = string.match(zs[2 * zi - 1], '|(.*)$')
        zi = zi + 1
      else
        ids[#ids + 1] = string.match(ls[li], '|(.*)$')
        li = li + 1
      end
    end
    if li > 1 then
      redis.call('LTRIM', list, li - 1, -1)
      llen = llen - (li - 1)
    end
    if zi > 1 then
      redis.call('ZPOPMIN', zset, zi - 1)
      zcard = zcard - (zi - 1)
    end
    local keys = {}
    for i, id in ipairs(ids) do keys[i] = K.task .. id end
    local raws = mget_all(keys)
    for i = 1, #ids do
      local raw = raws[i]
      local rest = raw and fresh_rest(raw)
      if rest then
        chosen[#chosen + 1] = {keys[i], nil, ids[i], tenant, rest}
        got = got + 1
      else
        local t = decode_task(keys[i], raw)
        if t and t.status == 'QUEUED' then
          chosen[#chosen + 1] = {keys[i], t}
          got = got + 1
        end
      end
    end
  end
  if llen + zcard == 0 then redis.call('SREM', K.active, tenant) end
  return got
end

-- how many tasks each tenant with work gets of max (round-robin), within its limits; and the ms until
-- a rate-limited tenant may start one (or nil)
local function share_claim(max, now, limits, tokens, lens)
  local rate_wait = nil
  local tenants = redis.call('SMEMBERS', K.active)
  local order, avail, share = {}, {}, {}
  if #tenants == 0 then return order, share, rate_wait end
  local start = 0
  if #tenants > 1 then
    table.sort(tenants)
    start = redis.call('INCR', K.turn) % #tenants
  end
  for i = 0, #tenants - 1 do
    local tenant = tenants[(start + i) % #tenants + 1]
    local llen, zcard = redis.call('LLEN', K.ready .. tenant), redis.call('ZCARD', K.prio .. tenant)
    lens[tenant] = {llen, zcard}
    local n = llen + zcard
    if n == 0 then redis.call('SREM', K.active, tenant) end
    local running = limit_of(limits, tenant, 'running')
    if running and n > 0 then n = math.min(n, running - running_of(tenant)) end
    local rate = limit_of(limits, tenant, 'rate')
    if rate then
      local have = tokens_of(tenant, rate, now)
      tokens[tenant] = have
      n = math.min(n, math.floor(have))
      if have < 1 then
        local wait = math.ceil((1 - have) / rate * 1000)
        if not rate_wait or wait < rate_wait then rate_wait = wait end
      end
    end
    if n > 0 then
      order[#order + 1] = tenant
      avail[tenant] = n
    end
  end
  local left, progress = max, true
  while left > 0 and progress do
    progress = false
    for _, tenant in ipairs(order) do
      if left == 0 then break end
      if (share[tenant] or 0) < avail[tenant] then
        share[tenant] = (share[tenant] or 0) + 1
        left = left - 1
        progress = true
      end
    end
  end
  return order, share, rate_wait
end

local function claim_for(consumer, max, now, aging, limits)
  promote_due(now, aging)
  local chosen, tokens, lens = {}, {}, {}
  local order, share, rate_wait = share_claim(max, now, limits, tokens, lens)
  for _, tenant in ipairs(order) do
    if share[tenant] then take_tenant(tenant, share[tenant], lens[tenant][1], lens[tenant][2], chosen, aging) end
  end
  local out = {}
  if #chosen == 0 then return out, rate_wait end
  local writes, per_tenant, ids = {}, {}, {}
  local at = string.format('%d', now)
  for i, c in ipairs(chosen) do ids[i] = c[3] or c[2].id end
  local entry = add_entry(ids)
  for _, c in ipairs(chosen) do
    local t, json, tenant = c[2], nil, c[4]
    if t then
      t.entry = entry
      t.status = 'RUNNING'
      t.attempt = t.attempt + 1
      t.updatedAt = now
      note_attempt_start(t, now)
      json = encode_task(t)
      tenant = tenant_of(t)
    else
      json = fresh_running(c[3], at, c[5], entry)
    end
    writes[#writes + 1] = c[1]
    writes[#writes + 1] = json
    out[#out + 1] = json
    per_tenant[tenant] = (per_tenant[tenant] or 0) + 1
  end
  read_into(consumer)
  mset_all(writes)
  redis.call('DECRBY', K.queued, #chosen)
  local stats = {}
  for tenant, n in pairs(per_tenant) do
    bump(stats, tenant, 'queued', -n)
    if tokens[tenant] then redis.call('HSET', K.rate, tenant, string.format('%.6f', tokens[tenant] - n) .. ':' .. at) end
  end
  flush_stats(K.stats, stats)
  return out, rate_wait
end

-- limits from "tenant running rate" triples in a list from index i ('' or '-' for none)
local function limits_from(list, i)
  local limits = {}
  for j = i, #list, 3 do limits[list[j]] = {running = tonumber(list[j + 1]), rate = tonumber(list[j + 2])} end
  return limits
end

-- The idle dispatchers, the one with the most free slots first: {id, note, free slots}.
local function idle_dispatchers()
  local hash = redis.call('HGETALL', K.idle)
  local idle = {}
  for i = 1, #hash, 2 do idle[#idle + 1] = {hash[i], hash[i + 1], tonumber(string.match(hash[i + 1], '^%d+'))} end
  if #idle > 1 then table.sort(idle, function(a, b) return a[3] > b[3] end) end
  return idle
end

-- An idle dispatcher's note as its parts (free slots, aging, valid until, limits...), or nil when it may
-- not be waiting any more (not renewed in time, or dead): then it is taken off the hash.
local function waiting_spec(consumer, text, now)
  local spec = {}
  for part in string.gmatch(text, '%S+') do spec[#spec + 1] = part end
  if (tonumber(spec[3]) or 0) < now or redis.call('EXISTS', K.live .. consumer) == 0 then
    redis.call('HDEL', K.idle, consumer)
    return nil
  end
  return spec
end

-- Appends tasks (their JSON) to an idle dispatcher's hand-out stream and notes the slots it has left
-- (off the hash when none).
local function hand_over(consumer, text, spec, out)
  local max = tonumber(spec[1])
  if #out >= max then
    redis.call('HDEL', K.idle, consumer)
  else
    redis.call('HSET', K.idle, consumer, string.format('%d', max - #out) .. string.sub(text, #spec[1] + 1))
  end
  local key = K.handout .. consumer
  for j = 1, #out, 500 do
    local fields = {}
    for k = j, math.min(j + 499, #out) do
      fields[#fields + 1] = 't'
      fields[#fields + 1] = out[k]
    end
    -- the stream lives an hour from the dispatcher's last idle note (claim.ts), which every dispatcher
    -- handed tasks renewed within the note's few seconds; one made here gets its hour too
    if not redis.call('XADD', key, 'NOMKSTREAM', '*', unpack(fields)) then
      redis.call('XADD', key, '*', unpack(fields))
      redis.call('PEXPIRE', key, HANDOUT_TTL_MS)
    end
  end
end

-- ENQUEUE: claims for the idle dispatchers in turn, the one with the most free slots first (so tasks
-- queued one at a time spread over them; a dead one is taken off the hash), and appends what each got
-- to its hand-out stream; one stays on the hash with the slots it has left, if any. True when one of
-- them got fewer than it could take without limits in the way: nothing else is claimable, so nobody
-- else need be woken.
local function hand_to_idle(now)
  for _, entry in ipairs(idle_dispatchers()) do
    local consumer, text = entry[1], entry[2]
    local spec = waiting_spec(consumer, text, now)
    if spec then
      local max = tonumber(spec[1])
      local out, rate_wait = claim_for(consumer, max, now, tonumber(spec[2]), limits_from(spec, 4))
      if #out > 0 then hand_over(consumer, text, spec, out) end
      if #out < max then return #spec <= 3 and rate_wait == nil end
    end
  end
  return false
end

-- ENQUEUE's short way, for new tasks (ids and records as enqueue stores them, all due and waiting for
-- nothing) that would be the shard's only queued ones: when the idle dispatcher with the most free
-- slots has room for all of them and notes no limits, they start there at once, as claim_for would
-- start them, but stored RUNNING straight away: never written QUEUED, put on a ready list, read back
-- and counted queued and then not. Returns false, having written nothing (beyond taking dead
-- dispatchers off the idle hash), when that does not hold.
local function hand_fresh(now, ids, records)
  local rests = {}
  for i = 1, #records do
    rests[i] = fresh_rest(records[i])
    if not rests[i] then return false end
  end
  for _, entry in ipairs(idle_dispatchers()) do
    local consumer, text = entry[1], entry[2]
    local spec = waiting_spec(consumer, text, now)
    if spec then
      if #spec > 3 or tonumber(spec[1]) < #ids then return false end
      local at = string.format('%d', now)
      local writes, out = {}, {}
      local entry = add_entry(ids)
      for i = 1, #ids do
        out[i] = fresh_running(ids[i], at, rests[i], entry)
        writes[#writes + 1] = K.task .. ids[i]
        writes[#writes + 1] = out[i]
      end
      read_into(consumer)
      mset_all(writes)
      hand_over(consumer, text, spec, out)
      return true
    end
  end
  return false
end
`;
