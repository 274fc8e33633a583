/**
 * The Lua scripts of the Redis ScheduleStore. Each touches the two schedule hashes of one shard (one
 * hash slot): `schedules` (id -> JSON of the fixed fields) and `schedule-state` (id -> the changing
 * state, `<nextAt>|<paused 0/1>|<lastFiredAt or empty>`, plain text so no script decodes JSON).
 */
import { LuaScript } from "./lua-script.ts";

/**
 * Stores a new schedule, unless its id is taken.
 *
 * KEYS[1] schedules hash, KEYS[2] schedule-state hash
 * ARGV[1] schedule id, ARGV[2] JSON of its fixed fields, ARGV[3] its state
 * Returns 1 when stored, 0 when the id was taken.
 */
export const SCHEDULE_CREATE = new LuaScript(
  "schedule-create",
  `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
`,
);

/**
 * Pauses or resumes a schedule, moving its next tick when told.
 *
 * KEYS[1] schedules hash, KEYS[2] schedule-state hash
 * ARGV[1] schedule id, ARGV[2] '1' paused or '0' running, ARGV[3] the new nextAt or '' to keep it
 * Returns {fixed fields JSON, new state}, or false when there is no such schedule.
 */
export const SCHEDULE_SET_PAUSED = new LuaScript(
  "schedule-set-paused",
  `
local fixed = redis.call('HGET', KEYS[1], ARGV[1])
local state = redis.call('HGET', KEYS[2], ARGV[1])
if not fixed or not state then return false end
local nextAt, _, last = string.match(state, '^(%d+)|([01])|(%d*)$')
if ARGV[3] ~= '' then nextAt = ARGV[3] end
state = nextAt .. '|' .. ARGV[2] .. '|' .. last
redis.call('HSET', KEYS[2], ARGV[1], state)
return {fixed, state}
`,
);

/**
 * Moves a schedule's next tick, only while it is still the one the caller read (compare-and-set).
 *
 * KEYS[1] schedule-state hash
 * ARGV[1] schedule id, ARGV[2] the nextAt read, ARGV[3] the new nextAt, ARGV[4] the tick fired or ''
 * Returns 1 when moved, 0 when the schedule is gone or its nextAt is no longer ARGV[2].
 */
export const SCHEDULE_ADVANCE = new LuaScript(
  "schedule-advance",
  `
local state = redis.call('HGET', KEYS[1], ARGV[1])
if not state then return 0 end
local nextAt, paused, last = string.match(state, '^(%d+)|([01])|(%d*)$')
if nextAt ~= ARGV[2] then return 0 end
if ARGV[4] ~= '' then last = ARGV[4] end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3] .. '|' .. paused .. '|' .. last)
return 1
`,
);

/**
 * Deletes a schedule.
 *
 * KEYS[1] schedules hash, KEYS[2] schedule-state hash
 * ARGV[1] schedule id
 * Returns 1 when deleted, 0 when there was none.
 */
export const SCHEDULE_DELETE = new LuaScript(
  "schedule-delete",
  `
local n = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return n
`,
);
