import { DEFAULT_PRIORITY } from "../../../domain/task.ts";

/**
 * Lua helpers of the scripts that queue tasks (prepended after SHARED_LUA). Every such script takes the
 * shard's `scriptKeys` as KEYS (keys.ts), named here in table K once its body has called `bind_keys()`
 * (first thing: a script loaded as a library, see LuaScript.library, defines these helpers once, when
 * there are no KEYS yet); the last, K.ops, is the operators' prefix (operations.ts), as every script
 * that changes tasks has it.
 *
 * Where a QUEUED task waits (see domain/queue-order.ts for the order):
 * - not due yet: in the shard's delayed set, by runAt; `promote_due` moves due ones on;
 * - due, default priority: at the tail of its tenant's ready list, as "<ms queued>|<id>" (first-in
 *   first-out is rank order there);
 * - due, another priority: in its tenant's priority set, scored by rank (runAt - priority * aging),
 *   member "<seq>|<id>" so equal ranks stay first-in first-out;
 * - waiting for other tasks: nowhere, until the last one COMPLETES (dependencies.ts places it).
 * A tenant with a non-empty list or set is in the active set.
 *
 * place_all(tasks, now, aging): places decoded tasks (one RPUSH per tenant for the ready ones).
 * place_coded(id, code, now, tenant, ready_batch): places by a code computed by the caller (enqueue,
 * which does not decode its tasks): 'r' ready list, 'p<rank>' priority set, 'd<runAt>' delayed, 'b'
 * blocked; flush_ready(ready_batch) pushes the collected ready ids.
 * promote_due(now, aging): moves the delayed tasks due by now (at most 1000 per call).
 * wake(): one entry on the wake stream, which blocked dispatchers read.
 */
/** The names of the shard's script keys in K, in KEYS order (keys.ts, scriptKeys). */
const K_FIELDS = ["queue", "queued", "stats", "wake", "active", "delayed", "seq", "turn", "rate", "outbox", "ready", "prio", "deps", "task", "tenants", "functions", "idle", "handout", "live", "left", "ops"];

export const QUEUE_LUA = `
local K = {}
local function bind_keys()
  ${K_FIELDS.map((name, i) => `K.${name} = KEYS[${i + 1}]`).join("\n  ")}
end
local DEFAULT_PRIORITY = ${DEFAULT_PRIORITY}

local function wake()
  redis.call('XADD', K.wake, 'MAXLEN', '~', 100, '*', 'w', '1')
end

local function push_ready(tenant, ids, now)
  local stamp = string.format('%d', now) .. '|'
  for i = 1, #ids, 1000 do
    local items = {}
    for j = i, math.min(i + 999, #ids) do items[#items + 1] = stamp .. ids[j] end
    redis.call('RPUSH', K.ready .. tenant, unpack(items))
  end
  redis.call('SADD', K.active, tenant)
end

local function push_prio(tenant, id, rank)
  local seq = redis.call('INCR', K.seq)
  redis.call('ZADD', K.prio .. tenant, rank, string.format('%015d', seq) .. '|' .. id)
  redis.call('SADD', K.active, tenant)
end

local function place_all(ts, now, aging)
  local ready = {}
  for _, t in ipairs(ts) do
    local run_at = tonumber(t.runAt) or tonumber(t.createdAt) or now
    local p = tonumber(t.priority) or DEFAULT_PRIORITY
    local tenant = tenant_of(t)
    if run_at > now then
      redis.call('ZADD', K.delayed, run_at, t.id)
    elseif p == DEFAULT_PRIORITY then
      ready[tenant] = ready[tenant] or {}
      table.insert(ready[tenant], t.id)
    else
      push_prio(tenant, t.id, run_at - p * aging)
    end
  end
  for tenant, ids in pairs(ready) do push_ready(tenant, ids, now) end
end

local function place_coded(id, code, tenant, ready_batch)
  local kind = string.sub(code, 1, 1)
  if kind == 'r' then
    ready_batch[#ready_batch + 1] = id
  elseif kind == 'p' then
    push_prio(tenant, id, tonumber(string.sub(code, 2)))
  elseif kind == 'd' then
    redis.call('ZADD', K.delayed, tonumber(string.sub(code, 2)), id)
  end
end

local function promote_due(now, aging)
  local ids = redis.call('ZRANGEBYSCORE', K.delayed, '-inf', now, 'LIMIT', 0, 1000)
  if #ids == 0 then return end
  local keys = {}
  for i, id in ipairs(ids) do keys[i] = K.task .. id end
  local raws = mget_all(keys)
  local due = {}
  for i = 1, #ids do
    local t = decode_task(keys[i], raws[i])
    if t and t.status == 'QUEUED' and (tonumber(t.blockedBy) or 0) == 0 then
      t.runAt = math.min(tonumber(t.runAt) or tonumber(t.createdAt) or now, now)
      due[#due + 1] = t
    end
  end
  for i = 1, #ids, 500 do redis.call('ZREM', K.delayed, unpack(ids, i, math.min(i + 499, #ids))) end
  place_all(due, now, aging)
end
`;
