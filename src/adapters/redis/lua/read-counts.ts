import { LuaScript } from "../lua-script.ts";

/**
 * Reads the per-second activity hashes (operations.ts) of one tenant, or of every tenant in the
 * shard's tenants set, for the minutes asked.
 *
 * KEYS[1] the shard's operations prefix, KEYS[2] the shard's tenants set
 * ARGV[1] tenant ('' for every tenant), ARGV[2] first minute, ARGV[3] last minute (minutes since the epoch)
 * Returns {{field, value, ...}, ...}: one HGETALL reply per tenant and minute that has counts.
 */
export const READ_ACTIVITY = new LuaScript(
  "read-activity",
  `
local tenants = {ARGV[1]}
if ARGV[1] == '' then tenants = redis.call('SMEMBERS', KEYS[2]) end
local out = {}
for _, t in ipairs(tenants) do
  for m = tonumber(ARGV[2]), tonumber(ARGV[3]) do
    local h = redis.call('HGETALL', KEYS[1] .. 'h:' .. t .. ':' .. m)
    if #h > 0 then out[#out + 1] = h end
  end
end
return out
`,
);

/**
 * Reads per-function counters (operations.ts).
 *
 * KEYS[1] the shard's operations prefix
 * ARGV function ids
 * Returns {{field, value, ...}, ...}: one HGETALL reply per function, in order.
 */
export const READ_FUNCTION_COUNTS = new LuaScript(
  "read-function-counts",
  `
local out = {}
for i, id in ipairs(ARGV) do out[i] = redis.call('HGETALL', KEYS[1] .. 'fs:' .. id) end
return out
`,
);
