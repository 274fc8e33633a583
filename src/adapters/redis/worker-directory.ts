/**
 * The worker directory in Redis (worker-directory.ts): each dispatcher's report is a key of its own
 * (`<prefix>:{ops}:dispatcher:<id>`, JSON, SET with PX), and a sorted set (`<prefix>:{ops}:dispatchers`)
 * names the dispatchers by when their report expires, so any API process finds them without a scan.
 * Both live in one slot (the {ops} hash tag). A dispatcher that stops publishing drops out when its key
 * expires; the set forgets it at the next publish.
 *
 * @example
 * const directory = new RedisWorkerDirectory(redis, keys, clock);
 * await directory.publish(report, 6000);
 * await directory.list(); // [report, ...]
 */
import type { Clock } from "../../domain/ports.ts";
import type { DispatcherReport, WorkerDirectory } from "../../domain/worker-directory.ts";
import type { RedisClient } from "./client.ts";
import { guarded } from "./connection.ts";
import type { RedisKeys } from "./keys.ts";
import { LuaScript } from "./lua-script.ts";

/** Reports whose key outlives the set's score by this much are still looked for (clocks of processes differ). */
const CLOCK_SKEW_MS = 60_000;

/**
 * Publishes one report and forgets dispatchers whose report expired long ago.
 *
 * KEYS[1] the dispatchers sorted set, KEYS[2] this dispatcher's report key
 * ARGV[1] dispatcher id, ARGV[2] report JSON, ARGV[3] time to live (ms), ARGV[4] now (ms)
 * Returns 1.
 */
const PUBLISH_REPORT = new LuaScript(
  "publish-report",
  `
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('ZADD', KEYS[1], tonumber(ARGV[4]) + tonumber(ARGV[3]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', tonumber(ARGV[4]) - ${CLOCK_SKEW_MS}))
return 1
`,
);

export class RedisWorkerDirectory implements WorkerDirectory {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly clock: Clock,
  ) {}

  async publish(report: DispatcherReport, ttlMs: number): Promise<void> {
    const keys = [this.keys.dispatchers, this.keys.dispatcherReportPrefix + report.id];
    await guarded(() => PUBLISH_REPORT.run(this.redis, keys, [report.id, JSON.stringify(report), ttlMs, this.clock.now()]));
  }

  async withdraw(dispatcherId: string): Promise<void> {
    await guarded(() => this.redis.del(this.keys.dispatcherReportPrefix + dispatcherId));
    await guarded(() => this.redis.zrem(this.keys.dispatchers, dispatcherId));
  }

  async list(): Promise<DispatcherReport[]> {
    const ids = await guarded(() => this.redis.zrangebyscore(this.keys.dispatchers, this.clock.now() - CLOCK_SKEW_MS, "+inf"));
    if (ids.length === 0) return [];
    const jsons = await guarded(() => this.redis.mget(ids.map((id) => this.keys.dispatcherReportPrefix + id)));
    const out: DispatcherReport[] = [];
    for (const json of jsons) {
      if (json === null) continue;
      try {
        out.push(JSON.parse(json) as DispatcherReport);
      } catch {
        // a report this version cannot read: left out
      }
    }
    return out;
  }
}
