import { LuaScript } from "../lua-script.ts";

/**
 * Stores a function in one shard's functions hash (every shard holds every function, so the enqueue
 * script can check it within its own slot). The shard that keeps the catalogue (shard 0) also counts
 * it in its tenant's stats hash (`functions`) and notes the tenant, in the same step.
 *
 * KEYS[1] functions hash, KEYS[2] the tenant's stats hash, KEYS[3] tenants set
 * ARGV[1] function id, ARGV[2] function JSON, ARGV[3] tenant, ARGV[4] '1' to count it here, else '0'
 * Returns 1.
 */
export const REGISTER = new LuaScript(
  "register",
  `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[4] == '1' then
  redis.call('HINCRBY', KEYS[2], 'functions', 1)
  redis.call('SADD', KEYS[3], ARGV[3])
end
return 1
`,
);
