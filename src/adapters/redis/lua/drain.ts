import { LuaScript } from "../lua-script.ts";
import { QUEUE_LUA } from "./queue.ts";
import { SHARED_LUA } from "./shared.ts";

/**
 * Applies the shard's deferred bookkeeping of lone tasks (drain_deferred in deferred.ts): run before
 * anything reads the task counters or the operators' indexes, so they are never seen behind. An
 * EVALSHA script, not a Redis Function: it runs on reads only, and a library would keep one more copy
 * of the shared helpers in the Functions' Lua heap beside the hot scripts'.
 *
 * KEYS: the shard's scriptKeys (see queue.ts)
 * Returns the number of items it applied.
 */
export const DRAIN_DEFERRED = new LuaScript(
  "drain",
  `${SHARED_LUA}${QUEUE_LUA}
bind_keys()
return drain_deferred(K.ops, K.stats, K.task, K.tenants)
`,
);
