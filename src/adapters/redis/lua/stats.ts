import { LuaScript } from "../lua-script.ts";

/**
 * Reads task counters in one atomic step, so the running gauge derived from them (submitted -
 * finished - queued) is exact: one tenant's stats hash, or every tenant's (those in the tenants set).
 *
 * KEYS[1] tenants set, KEYS[2] prefix of the per-tenant stats hashes
 * ARGV[1] the tenant, or '' for every tenant
 * Returns {{field, value, ...}, ...}: one HGETALL reply per tenant read.
 */
export const READ_STATS = new LuaScript(
  "read-stats",
  `
local tenants = {ARGV[1]}
if ARGV[1] == '' then tenants = redis.call('SMEMBERS', KEYS[1]) end
local out = {}
for i, t in ipairs(tenants) do out[i] = redis.call('HGETALL', KEYS[2] .. t) end
return out
`,
);
