import { LuaScript } from "../lua-script.ts";
import { QUEUE_LUA } from "./queue.ts";
import { SHARED_LUA } from "./shared.ts";

/**
 * Applies the shard's deferred bookkeeping of lone tasks (drain_deferred in deferred.ts): run before
 * anything reads the task counters or the operators' indexes, so they are never seen behind.
 *
 * KEYS: the shard's scriptKeys (see queue.ts)
 * Returns the number of items it applied.
 */
export const DRAIN_DEFERRED = LuaScript.library(
  "drain",
  `${SHARED_LUA}${QUEUE_LUA}`,
  `bind_keys()
local n = redis.call('LLEN', K.ops .. 'deferred')
if n > 0 then drain_deferred(K.ops, K.stats, K.task) end
return n
`,
);
