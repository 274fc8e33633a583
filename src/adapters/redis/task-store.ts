/**
 * The API's side of the tasks in Redis (the TaskStore port; dispatchers use RedisDispatchQueue). Each
 * task is a string key holding its JSON; the queue is a Stream read through a consumer group, so an
 * entry stays pending on its dispatcher until the task is terminal (then it is acked and deleted).
 * Every state change is one atomic Lua script, and every call is one round trip however many tasks it
 * carries. The same scripts keep the task counters (TaskStats) in a hash, so the API reads what the
 * dispatchers did (task-stats.ts). Enqueue checks that the function is still registered (Redis may
 * have restarted empty under a process that still caches it).
 *
 * @example
 * const tasks = new RedisTaskStore({ redis, keys: redisKeys("faas"), clock: systemClock, retentionMs: 86_400_000 });
 * await tasks.enqueue([task], 100_000);
 */
import type Redis from "ioredis";
import type { DomainError } from "../../domain/errors.ts";
import { sumStats, type StatsSnapshot } from "../../domain/metrics.ts";
import type { Clock, TaskStats, TaskStore } from "../../domain/ports.ts";
import { err, ok, type Result } from "../../domain/result.ts";
import type { Task } from "../../domain/task.ts";
import { guarded } from "./connection.ts";
import { GROUP, type RedisKeys } from "./keys.ts";
import { CANCEL } from "./lua/cancel.ts";
import { ENQUEUE } from "./lua/enqueue.ts";
import { READ_STATS } from "./lua/stats.ts";
import { decodeTask, encodeTask } from "./task-codec.ts";
import { decodeStats } from "./task-stats.ts";

export interface RedisTaskStoreOptions {
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly clock: Clock;
  /** How long terminal tasks stay readable, in ms (set as their key's expiry). */
  readonly retentionMs: number;
}

export class RedisTaskStore implements TaskStore, TaskStats {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;

  constructor(private readonly o: RedisTaskStoreOptions) {
    if (!Number.isInteger(o.retentionMs) || o.retentionMs < 1) throw new Error(`retentionMs must be a whole number of ms >= 1, got ${o.retentionMs}`);
    this.redis = o.redis;
    this.keys = o.keys;
  }

  async enqueue(tasks: readonly Task[], maxQueue: number): Promise<Result<void, DomainError>> {
    const first = tasks[0];
    if (first === undefined) return ok(undefined);
    const args: (string | number)[] = [maxQueue, this.keys.taskPrefix, first.functionId, first.tenant];
    for (const t of tasks) {
      if (t.functionId !== first.functionId) throw new Error(`enqueue takes tasks of one function, got ${first.functionId} and ${t.functionId}`);
      args.push(t.id, encodeTask(t));
    }
    const keys = [this.keys.queue, this.keys.queued, this.keys.statsOf(first.tenant), this.keys.functions, this.keys.tenants];
    const reply = (await guarded(() => ENQUEUE.run(this.redis, keys, args))) as [number, number?];
    if (reply[0] === 1) return ok(undefined);
    if (reply[0] === -1) return err({ kind: "UnknownFunction", functionId: first.functionId });
    return err({ kind: "QueueFull", depth: Number(reply[1]), limit: maxQueue, retryAfterS: 1 });
  }

  async get(id: string): Promise<Task | undefined> {
    const json = await guarded(() => this.redis.get(this.keys.task(id)));
    return json === null ? undefined : decodeTask(json);
  }

  async getMany(ids: readonly string[]): Promise<(Task | undefined)[]> {
    if (ids.length === 0) return [];
    const found = await guarded(() => this.redis.mget(ids.map((id) => this.keys.task(id))));
    return found.map((json) => (json === null ? undefined : decodeTask(json)));
  }

  async queueDepth(): Promise<number> {
    return Number((await guarded(() => this.redis.get(this.keys.queued))) ?? 0);
  }

  async cancel(id: string): Promise<Result<Task, DomainError>> {
    const args = [GROUP, this.o.clock.now(), this.o.retentionMs, this.keys.task(id)];
    const reply = (await guarded(() => CANCEL.run(this.redis, [this.keys.queue, this.keys.queued, this.keys.statsPrefix], args))) as [string, string?];
    if (reply[0] === "CANCELLED") return ok(decodeTask(reply[1] as string));
    if (reply[0] === "AlreadyTerminal") return err({ kind: "AlreadyTerminal", taskId: id, status: String(reply[1]) });
    return err({ kind: "UnknownTask", taskId: id });
  }

  async snapshot(tenant?: string): Promise<StatsSnapshot> {
    const hashes = (await guarded(() => READ_STATS.run(this.redis, [this.keys.tenants, this.keys.statsPrefix], [tenant ?? ""]))) as string[][];
    return sumStats(hashes.map(decodeStats));
  }
}
