import { LuaScript } from "../lua-script.ts";
import { QUEUE_LUA } from "./queue.ts";
import { SHARED_LUA } from "./shared.ts";

/**
 * Applies fenced transitions: each only while its task is RUNNING with the same attempt (a stale
 * attempt never overwrites a newer one); its queue entry is acked (ack_all: the stream is trimmed up to the oldest pending entry once it holds ACKED_KEPT entries). A terminal task gets its result and goes
 * into its tenant's finished set, whose sweep deletes it after the retention period (operations.ts); when tasks wait for it (LINK marked it `hasDeps`), a "done" item goes on the outbox for dispatchers to settle them
 * (dependency-links.ts). A QUEUED task (a lost attempt, a hand-back, or a retry of its policy, due
 * after its backoff) is queued again (queue.ts). Each tenant's stats hash counts its tasks finished (by
 * status, failure label and submit-to-terminal time) and retried, one HINCRBY per tenant and field.
 * When a task was queued again, or (with running limits) a slot freed while tenants have work, one entry
 * on the wake stream wakes blocked dispatchers.
 *
 * KEYS: the shard's scriptKeys (see queue.ts)
 * ARGV[1] group, ARGV[2] now (ms), ARGV[3] retention (ms), ARGV[4] aging (ms), ARGV[5] '1' when tenants
 * have running limits (a freed slot then wakes dispatchers), ARGV[6] the task events channel ('' for
 * none: the tasks that ended are published there as JSON arrays of their records, each message up to
 * about 8 KB unless one record is longer (a record over 64 KiB as its id), so a long-poll need not read
 * them again), ARGV[7] '1': quiet (the caller needs no records back), then 12 per transition:
 * task id, attempt, new status ('HANDBACK': QUEUED again with the attempt handed back at a graceful
 * shutdown, not counted toward maxAttempts), result (JSON text; '' stands for null), error label (for
 * FAILED: the failures counter's label, see failureLabel in domain/metrics.ts), retry delay in ms (a
 * retry of the policy: counted in `retries`, due after it; '' otherwise), where the attempt ran (''
 * when unknown); then, for the fast path, the queue entry the caller holds the attempt under ('' for
 * none), the fields the attempt's end changes as the caller computed them (a JSON object: status,
 * attempt, updatedAt, result, attempts; the task's result and where it ran are read from it, so the
 * two fields before are '' then), the task's tenant, createdAt and functionId. Only the first
 * transition of a task in one call counts. Each attempt's end (how, where, its error) is noted in the
 * task, and finished tasks in the operators' indexes (operations.ts).
 *
 * The fast path (a task ending COMPLETED, FAILED or CANCELLED, settled by the dispatcher that claimed
 * it): when the stored record still begins with the head the claim wrote (status RUNNING, this
 * attempt, this entry: see encode_task) and nobody waits for the task (no hasDeps, which encode_task
 * writes right after that head: no scan of the record), the changed
 * fields replace the record's head: for a first attempt claimed as enqueue stored it (the layout
 * claim.ts writes), the text after its attempt records is kept as it is, so no JSON is decoded or
 * encoded here; any other record is decoded and the fields set. Any other case (a cancel, a take-over,
 * LINK) changed the head or marked hasDeps, and the task is decoded and changed here as before.
 * Returns {outbox length, task JSON...} of the tasks changed (none when quiet).
 */
export const APPLY = LuaScript.library(
  "apply",
  `${SHARED_LUA}${QUEUE_LUA}
-- Publishes records (JSON texts) as JSON arrays of at most MESSAGE_BYTES each (a longer record alone):
-- table.concat builds a text that fits Lua's buffer (8 KiB) in place and makes one string of it, but a
-- longer one goes through intermediate strings, each hashed in full as Redis's Lua makes every string.
local MESSAGE_BYTES = 8000
local function publish_records(channel, records)
  local parts, size = {'['}, 1
  local function flush()
    parts[#parts] = ']' -- the last separator becomes the closing bracket
    redis.call('PUBLISH', channel, table.concat(parts))
    parts, size = {'['}, 1
  end
  for _, json in ipairs(records) do
    if size > 1 and size + #json + 1 > MESSAGE_BYTES then flush() end
    parts[#parts + 1] = json
    parts[#parts + 1] = ','
    size = size + #json + 1
  end
  if size > 1 then flush() end
end
`,
  `bind_keys()
local now, aging = tonumber(ARGV[2]), tonumber(ARGV[4])
local STEP = 12
local keys = {}
for i = 8, #ARGV, STEP do keys[#keys + 1] = K.task .. ARGV[i] end
local raws = mget_all(keys)
local out, done, requeued, seen, stats, freed, finished, announce = {}, {}, {}, {}, {}, {}, {}, {}
-- a lone task ending without tenant running limits (which read the counters) defers its bookkeeping
-- when others wait deferred (tasks going the short way one at a time: deferred.ts), its item pushed
-- only onto a list that holds some (RPUSHX: no LLEN first); in batches, with nothing deferred, tasks
-- are written at once as before. waiting: the deferred list's length, read once it is needed.
local defer, deferred, waiting = #keys == 1 and ARGV[5] ~= '1', 0, nil

-- a task that ended: stored (the retention's sweep deletes it: operations.ts) and announced
local function stored(key, t, json)
  redis.call('SET', key, json)
  if ARGV[6] ~= '' then
    if #json <= 65536 then announce[#announce + 1] = json else announce[#announce + 1] = cjson.encode(t.id) end
  end
end

-- ... and counted, and indexed below
local function ended(key, t, json, error_label)
  stored(key, t, json)
  count_finished(stats, t, now, error_label)
  finished[#finished + 1] = t
end

for k = 1, #keys do
  local i = 8 + STEP * (k - 1)
  -- settled: the task's new record when the fast path holds (see above)
  local raw, entry, settled = raws[k], ARGV[i + 7], nil
  local result, ran_on = ARGV[i + 3], ARGV[i + 6]
  if entry ~= '' then
    local changes = ARGV[i + 8]
    if not seen[keys[k]] and raw then
      local head = '{"status":"RUNNING","attempt":' .. ARGV[i + 1] .. ',"entry":"' .. entry .. '",'
      if string.sub(raw, 1, #head) == head and not string.find(raw, '^"hasDeps":', #head + 1) then
        local _, last = string.find(raw, '^"updatedAt":%d+,"attempts":%[{"attempt":1,"startedAt":%d+}%],', #head + 1)
        if ARGV[i + 1] == '1' and last then
          settled = string.sub(changes, 1, -2) .. ',' .. string.sub(raw, last + 1)
        else
          local t, c = cjson.decode(raw), cjson.decode(changes)
          t.entry, t.status, t.attempt, t.updatedAt, t.result, t.attempts = nil, c.status, c.attempt, c.updatedAt, c.result, c.attempts
          settled = encode_task(t)
        end
      end
    end
    if not settled then
      -- the decoding path below: the result and where it ran come from the changed fields
      local c = cjson.decode(changes)
      result = c.result or ''
      local attempts = c.attempts
      ran_on = (type(attempts) == 'table' and attempts[#attempts] and attempts[#attempts].ranOn) or ''
    end
  end
  if settled then
    seen[keys[k]] = true
    done[#done + 1] = entry
    local t = {id = ARGV[i], tenant = ARGV[i + 9], status = ARGV[i + 2], createdAt = tonumber(ARGV[i + 10]), functionId = ARGV[i + 11]}
    local tenant = tenant_of(t)
    freed[tenant] = (freed[tenant] or 0) + 1
    if ARGV[7] ~= '1' then out[#out + 1] = settled end
    if defer and t.tenant ~= '' and t.functionId ~= '' and t.createdAt then
      deferred = defer_finished(K.ops, t, ARGV[i + 4], now, tonumber(ARGV[3]), true)
      if deferred > 0 then
        stored(keys[k], t, settled)
      else
        waiting = 0 -- nothing deferred: written at once
        ended(keys[k], t, settled, ARGV[i + 4])
      end
    else
      ended(keys[k], t, settled, ARGV[i + 4])
    end
  else
    local t = nil
    if not seen[keys[k]] then t = decode_task(keys[k], raw) end
    seen[keys[k]] = true
    if t and t.status == 'RUNNING' and t.attempt == tonumber(ARGV[i + 1]) then
      if t.entry then done[#done + 1] = t.entry end
      local tenant = tenant_of(t)
      freed[tenant] = (freed[tenant] or 0) + 1
      t.status = ARGV[i + 2]
      local handback = t.status == 'HANDBACK'
      local outcome = t.status
      if ARGV[i + 5] ~= '' then outcome = 'RETRY' end
      note_attempt_end(t, now, outcome, ran_on, result)
      if handback then
        t.status = 'QUEUED'
        t.handbacks = (tonumber(t.handbacks) or 0) + 1
      end
      if ARGV[i + 5] ~= '' then
        t.retries = (tonumber(t.retries) or 0) + 1
        t.runAt = now + tonumber(ARGV[i + 5])
      end
      t.updatedAt = now
      t.entry = nil
      if result == '' then t.result = nil else t.result = result end
      local json = encode_task(t)
      if ARGV[7] ~= '1' then out[#out + 1] = json end
      if t.status == 'QUEUED' then
        redis.call('SET', keys[k], json)
        requeued[#requeued + 1] = t
        bump(stats, tenant, 'queued', 1)
        if not handback then bump(stats, tenant, 'retries', 1) end
      else
        ended(keys[k], t, json, ARGV[i + 4])
        if t.hasDeps then redis.call('LPUSH', K.outbox, 'done|' .. t.id) end
      end
    end
  end
end
if #requeued > 0 then
  redis.call('INCRBY', K.queued, #requeued)
  place_all(requeued, now, aging)
end
if #requeued > 0 or (ARGV[5] == '1' and next(freed) ~= nil and redis.call('SCARD', K.active) > 0) then wake() end
flush_stats(K.stats, stats)
if #finished > 0 and waiting == nil then waiting = redis.call('LLEN', K.ops .. 'deferred') end
local drain = (#finished > 0 and waiting > 0) or deferred >= DEFERRED_DRAIN_ITEMS
if drain then drain_deferred(K.ops, K.stats, K.task, K.tenants) end
ops_finished(K.ops, finished, now, tonumber(ARGV[3]), K.task)
-- a deferred lone end leaves the queue stream's trim to the call that drains (ack_all in shared.ts)
release_entries(K.queue, ARGV[1], K.left, done, deferred > 0 and not drain)
publish_records(ARGV[6], announce)
table.insert(out, 1, redis.call('LLEN', K.outbox))
return out
`,
);
