import { LuaScript } from "../lua-script.ts";
import { SHARED_LUA } from "./shared.ts";

/**
 * Marks tasks as run again (task-retries.ts), each only if it is FAILED or CANCELLED and not marked
 * yet: `retriedAs` names the new task. The task keeps its expiry (SET ... KEEPTTL).
 *
 * KEYS[1] the shard's operations prefix (names the shard's slot)
 * ARGV[1] task key prefix, then pairs: task id, the new task's id
 * Returns the ids marked.
 */
export const MARK_RETRIED = new LuaScript(
  "mark-retried",
  `${SHARED_LUA}
local marked = {}
for i = 2, #ARGV, 2 do
  local key = ARGV[1] .. ARGV[i]
  local t = decode_task(key, redis.call('GET', key))
  if t and (t.status == 'FAILED' or t.status == 'CANCELLED') and type(t.retriedAs) ~= 'string' then
    t.retriedAs = ARGV[i + 1]
    redis.call('SET', key, encode_task(t), 'KEEPTTL')
    marked[#marked + 1] = ARGV[i]
  end
end
return marked
`,
);

/**
 * Takes marks back (the new task could not be queued): only where the task is still marked with the
 * same new id.
 *
 * KEYS[1] the shard's operations prefix (names the shard's slot)
 * ARGV[1] task key prefix, then pairs: task id, the new task's id
 * Returns how many marks were taken back.
 */
export const UNMARK_RETRIED = new LuaScript(
  "unmark-retried",
  `${SHARED_LUA}
local n = 0
for i = 2, #ARGV, 2 do
  local key = ARGV[1] .. ARGV[i]
  local t = decode_task(key, redis.call('GET', key))
  if t and t.retriedAs == ARGV[i + 1] then
    t.retriedAs = nil
    redis.call('SET', key, encode_task(t), 'KEEPTTL')
    n = n + 1
  end
end
return n
`,
);
