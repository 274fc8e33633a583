import { LuaScript } from "../lua-script.ts";

/**
 * Reads tasks for a long-poll that looks at the same tasks again and again (TaskStore.peekMany): a
 * terminal task whole, a task not terminal yet as its status and tenant only, read from the text
 * without decoding it (records begin with their status: task-codec.ts, and encode_task in the
 * scripts). A record that does not begin with its status (written by an earlier version) comes whole.
 * Reads only.
 *
 * KEYS: the tasks' keys (one slot on a Cluster)
 * Returns one item per key: false (no such task), the task's JSON, or "STATUS|tenant".
 */
export const PEEK = new LuaScript(
  "peek",
  `
local UNFINISHED = {QUEUED = true, RUNNING = true}
local out = {}
for first = 1, #KEYS, 500 do
  local raws = redis.call('MGET', unpack(KEYS, first, math.min(first + 499, #KEYS)))
  for j = 1, #raws do
    local raw = raws[j]
    if raw then
      local status = string.match(raw, '^{"status":"(%u+)"')
      if status and UNFINISHED[status] then
        raw = status .. '|' .. (string.match(raw, '"tenant":"([^"]*)"') or 'default')
      end
    end
    out[first + j - 1] = raw
  end
end
return out
`,
);
