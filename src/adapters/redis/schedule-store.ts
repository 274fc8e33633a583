/**
 * Schedules in Redis. A schedule lives in the shard its id names (ids come from the backend's
 * `taskIds.batch(1)`: `<k>-<uuid>` with several shards), so its tick tasks (`<id>@<tick>`) land in the
 * same shard, and every script touches one hash slot. Per shard, two hashes: `schedules` (id -> JSON
 * of the fixed fields) and `schedule-state` (id -> `<nextAt>|<paused>|<lastFiredAt>`); every change is
 * one Lua script (schedule-scripts.ts), `advance` a compare-and-set on nextAt. `list` reads both
 * hashes of every shard (schedules are few; each scheduler reads them every few seconds).
 *
 * @example
 * const schedules = new RedisScheduleStore(client, redisKeys("faas"), writes);
 * await schedules.advance(id, 1_700_000_060_000, 1_700_000_120_000, 1_700_000_060_000); // true once
 */
import type { ScheduleStore } from "../../domain/ports.ts";
import type { Schedule } from "../../domain/schedule.ts";
import type { RedisClient } from "./client.ts";
import { guarded } from "./connection.ts";
import type { RedisKeys, ShardKeys } from "./keys.ts";
import type { ReplicatedWrites } from "./replicated-writes.ts";
import { SCHEDULE_ADVANCE, SCHEDULE_CREATE, SCHEDULE_DELETE, SCHEDULE_SET_PAUSED } from "./schedule-scripts.ts";
import { shardOfTask } from "./task-ids.ts";

type Fixed = Omit<Schedule, "paused" | "nextAt" | "lastFiredAt">;

export class RedisScheduleStore implements ScheduleStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly writes: ReplicatedWrites,
  ) {}

  async create(s: Schedule): Promise<void> {
    const { paused, nextAt, lastFiredAt, ...fixed } = s;
    const k = this.shardOf(s.id);
    await this.writes.run(SCHEDULE_CREATE, [k.schedules, k.scheduleState], [s.id, JSON.stringify(fixed), encodeState(nextAt, paused, lastFiredAt)]);
  }

  async get(id: string): Promise<Schedule | undefined> {
    const k = this.shardOf(id);
    const [fixed, state] = await guarded(() => Promise.all([this.redis.hget(k.schedules, id), this.redis.hget(k.scheduleState, id)]));
    return fixed === null || state === null ? undefined : decode(fixed, state);
  }

  async list(tenant?: string): Promise<Schedule[]> {
    const perShard = await guarded(() => Promise.all(this.keys.shards.map((k) => Promise.all([this.redis.hgetall(k.schedules), this.redis.hgetall(k.scheduleState)]))));
    const out: Schedule[] = [];
    for (const [fixed, states] of perShard) {
      for (const [id, json] of Object.entries(fixed)) {
        const state = states[id];
        if (state === undefined) continue; // created or deleted between the two reads
        const s = decode(json, state);
        if (tenant === undefined || s.tenant === tenant) out.push(s);
      }
    }
    return out;
  }

  async setPaused(id: string, paused: boolean, nextAt?: number): Promise<Schedule | undefined> {
    const k = this.shardOf(id);
    const reply = (await this.writes.run(SCHEDULE_SET_PAUSED, [k.schedules, k.scheduleState], [id, paused ? "1" : "0", nextAt === undefined ? "" : String(nextAt)])) as [string, string] | null;
    return reply === null ? undefined : decode(reply[0], reply[1]);
  }

  async delete(id: string): Promise<boolean> {
    const k = this.shardOf(id);
    return Number(await this.writes.run(SCHEDULE_DELETE, [k.schedules, k.scheduleState], [id], (n) => Number(n) === 1)) === 1;
  }

  async advance(id: string, from: number, to: number, firedTick?: number): Promise<boolean> {
    const k = this.shardOf(id);
    const moved = await this.writes.run(SCHEDULE_ADVANCE, [k.scheduleState], [id, String(from), String(to), firedTick === undefined ? "" : String(firedTick)], (n) => Number(n) === 1);
    return Number(moved) === 1;
  }

  private shardOf(id: string): ShardKeys {
    return this.keys.shards[shardOfTask(id, this.keys.shards.length)] as ShardKeys;
  }
}

function encodeState(nextAt: number, paused: boolean, lastFiredAt: number | undefined): string {
  return `${nextAt}|${paused ? 1 : 0}|${lastFiredAt ?? ""}`;
}

function decode(fixedJson: string, state: string): Schedule {
  const fixed = JSON.parse(fixedJson) as Fixed;
  const [nextAt, paused, last] = state.split("|");
  return { ...fixed, paused: paused === "1", nextAt: Number(nextAt), ...(last !== undefined && last !== "" && { lastFiredAt: Number(last) }) };
}
