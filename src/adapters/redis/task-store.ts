/**
 * The API's side of the tasks in Redis (the TaskStore port; dispatchers use RedisDispatchQueue). Each
 * task is a string key holding its JSON, in the shard its id names (task-ids.ts); each shard's queue is
 * a Stream read through a consumer group, so an entry stays pending on its dispatcher until the task is
 * terminal (then it is acked, and the stream trimmed up to its oldest pending entry). Every state change is one atomic Lua script in one shard,
 * and every call is one round trip per shard however many tasks it carries. The same scripts keep the
 * task counters (TaskStats) in hashes per shard, summed when read, so the API reads what the
 * dispatchers did (task-stats.ts). Enqueue checks that the function is still registered (Redis may
 * have restarted empty under a process that still caches it).
 *
 * The queue cap (`maxQueue`) counts every shard: an enqueue reads the other shards' queued counts
 * just before its script, which checks its own shard's count atomically. Concurrent enqueues into
 * different shards may together pass the cap by what they carry.
 *
 * @example
 * const tasks = new RedisTaskStore({ redis, keys: redisKeys("faas"), clock: systemClock, retentionMs: 86_400_000, writes });
 * await tasks.enqueue([task], 100_000);
 */
import type { DomainError } from "../../domain/errors.ts";
import { sumStats, type StatsSnapshot } from "../../domain/metrics.ts";
import type { Clock, EnqueueCaps, TaskStats, TaskStore, Unfinished } from "../../domain/ports.ts";
import { err, ok, type Result } from "../../domain/result.ts";
import type { Task, TaskStatus } from "../../domain/task.ts";
import { isCluster, type RedisClient } from "./client.ts";
import { guarded } from "./connection.ts";
import { drainedThen } from "./deferred-drain.ts";
import { viaLane } from "./lean-lanes.ts";
import { GROUP, type RedisKeys, type ShardKeys } from "./keys.ts";
import { CANCEL } from "./lua/cancel.ts";
import { ENQUEUE } from "./lua/enqueue.ts";
import { PEEK } from "./lua/peek.ts";
import { READ_STATS } from "./lua/stats.ts";
import type { ReplicatedWrites } from "./replicated-writes.ts";
import { decodeTask, encodeTask } from "./task-codec.ts";
import { shardOfTask } from "./task-ids.ts";
import { decodeStats } from "./task-stats.ts";
import { DEFAULT_PRIORITY } from "../../domain/task.ts";
import { rank } from "../../domain/queue-order.ts";
import { traceMark } from "../system/trace.ts";

/** Where enqueue.ts queues a task (queue.ts): 'b' waiting for others, 'd<runAt>' not due, 'r' the ready list, 'p<rank>' the priority set. */
function placement(t: Task, now: number, agingMs: number): string {
  if (t.blockedBy > 0) return "b";
  if (t.runAt > now) return `d${t.runAt}`;
  return t.priority === DEFAULT_PRIORITY ? "r" : `p${rank(t.priority, t.runAt, agingMs)}`;
}

/**
 * The run of ids the unfinished index's group of a batch takes (lua/operations.ts): `|` then the ids in
 * descending byte order (JavaScript's sort compares UTF-16 units: byte order for the ASCII ids we make).
 */
function unfinishedRun(tasks: readonly Task[]): string {
  return `|${tasks
    .map((t) => t.id)
    .sort()
    .reverse()
    .join(" ")}`;
}

export interface RedisTaskStoreOptions {
  readonly redis: RedisClient;
  readonly keys: RedisKeys;
  readonly clock: Clock;
  /** How long terminal tasks stay readable, in ms (set as their key's expiry). */
  readonly retentionMs: number;
  /** Where enqueues run (waiting for replicas when asked to). */
  readonly writes: ReplicatedWrites;
  /** A waiting task rises one priority level per this many ms (--priority-aging). Default 30 s. */
  readonly agingMs?: number;
}

export class RedisTaskStore implements TaskStore, TaskStats {
  private readonly redis: RedisClient;
  private readonly shards: readonly ShardKeys[];
  private readonly agingMs: number;

  constructor(private readonly o: RedisTaskStoreOptions) {
    if (!Number.isInteger(o.retentionMs) || o.retentionMs < 1) throw new Error(`retentionMs must be a whole number of ms >= 1, got ${o.retentionMs}`);
    this.redis = o.redis;
    this.shards = o.keys.shards;
    this.agingMs = o.agingMs ?? 30_000;
  }

  private shardOf(id: string): ShardKeys {
    return this.shards[shardOfTask(id, this.shards.length)] as ShardKeys;
  }

  async enqueue(tasks: readonly Task[], caps: EnqueueCaps): Promise<Result<void, DomainError>> {
    const first = tasks[0];
    if (first === undefined) return ok(undefined);
    const shard = shardOfTask(first.id, this.shards.length);
    const k = this.shards[shard] as ShardKeys;
    const otherShards = this.shards.filter((_, i) => i !== shard);
    const others = otherShards.length === 0 ? 0 : await this.queuedIn(otherShards);
    const tenantCap = caps.tenantMaxQueued;
    const tenantOthers = tenantCap === undefined || otherShards.length === 0 ? 0 : await this.tenantQueuedIn(otherShards, first.tenant);
    const now = this.o.clock.now();
    const functionIds = new Set<string>();
    const triples: (string | number)[] = [];
    for (const t of tasks) {
      if (t.tenant !== first.tenant) throw new Error(`enqueue takes tasks of one tenant, got ${first.tenant} and ${t.tenant}`);
      if (shardOfTask(t.id, this.shards.length) !== shard) throw new Error(`enqueue takes tasks of one shard (ids from one batch), got ${first.id} and ${t.id}`);
      functionIds.add(t.functionId);
      triples.push(t.id, encodeTask(t), placement(t, now, this.agingMs));
    }
    const createdAt = tasks.every((t) => t.createdAt === first.createdAt) ? first.createdAt : "";
    const idsRun = createdAt === "" ? "" : unfinishedRun(tasks);
    const args: (string | number)[] = [caps.maxQueue, others, [...functionIds].join(" "), first.tenant, caps.ifAbsent === true ? 1 : 0, tenantCap ?? "", tenantOthers, now, createdAt, idsRun, ...triples];
    traceMark("api.send");
    const reply = (await this.o.writes.run(ENQUEUE, k.scriptKeys, args, (r) => (r as number[])[0] === 1)) as [number, (number | string)?];
    if (reply[0] === 1 || reply[0] === 2) return ok(undefined);
    if (reply[0] === -1) return err({ kind: "UnknownFunction", functionId: String(reply[1]) });
    if (reply[0] === 3) return err({ kind: "QueueFull", depth: Number(reply[1]), limit: tenantCap as number, retryAfterS: 1, tenant: first.tenant });
    return err({ kind: "QueueFull", depth: Number(reply[1]), limit: caps.maxQueue, retryAfterS: 1 });
  }

  async get(id: string): Promise<Task | undefined> {
    const key = this.shardOf(id).task(id);
    const json = await guarded(() => viaLane(this.redis, ["GET", key], () => this.redis.get(key)));
    return json === null ? undefined : decodeTask(json);
  }

  async getMany(ids: readonly string[]): Promise<(Task | undefined)[]> {
    if (ids.length === 0) return [];
    const found = await this.mget(ids.map((id) => this.shardOf(id).task(id)));
    return found.map((json) => (json === null ? undefined : decodeTask(json)));
  }

  async peekMany(ids: readonly string[]): Promise<(Task | Unfinished | undefined)[]> {
    if (ids.length === 0) return [];
    const items = await this.bySlot(
      ids.map((id) => this.shardOf(id).task(id)),
      (keys) => guarded(() => PEEK.run(this.redis, keys, [])) as Promise<(string | null)[]>,
    );
    return items.map((item, i) => {
      if (item === null || item === undefined) return undefined;
      if (item.startsWith("{")) return decodeTask(item);
      const bar = item.indexOf("|");
      return { unfinished: true, id: ids[i] as string, status: item.slice(0, bar) as TaskStatus, tenant: item.slice(bar + 1) };
    });
  }

  async queueDepth(): Promise<number> {
    return this.queuedIn(this.shards);
  }

  async cancel(id: string): Promise<Result<Task, DomainError>> {
    const k = this.shardOf(id);
    const args = [GROUP, this.o.clock.now(), this.o.retentionMs, id];
    const reply = (await guarded(() => CANCEL.run(this.redis, k.scriptKeys, args))) as [string, string?];
    if (reply[0] === "CANCELLED") return ok(decodeTask(reply[1] as string));
    if (reply[0] === "AlreadyTerminal") return err({ kind: "AlreadyTerminal", taskId: id, status: String(reply[1]) });
    return err({ kind: "UnknownTask", taskId: id });
  }

  async snapshot(tenant?: string): Promise<StatsSnapshot> {
    const perShard = await Promise.all(this.shards.map((k) => drainedThen<string[][]>(this.redis, k, () => READ_STATS.run(this.redis, [k.tenants, k.statsPrefix], [tenant ?? ""]))));
    return sumStats(perShard.flat().map(decodeStats));
  }

  /** The queued counts of `shards`, added up. */
  private async queuedIn(shards: readonly ShardKeys[]): Promise<number> {
    if (shards.length === 0) return 0;
    const counts = await this.mget(shards.map((k) => k.queued));
    return counts.reduce((sum, n) => sum + Number(n ?? 0), 0);
  }

  /** `tenant`'s queued counts in `shards`, added up. */
  private async tenantQueuedIn(shards: readonly ShardKeys[], tenant: string): Promise<number> {
    const counts = await Promise.all(shards.map((k) => guarded(() => this.redis.hget(k.statsOf(tenant), "queued"))));
    return counts.reduce((sum, n) => sum + Number(n ?? 0), 0);
  }

  /**
   * MGET of keys in any shards: one command on a single Redis; on a Cluster (where one MGET must stay
   * in one slot) one per shard, in parallel, answers put back in order.
   */
  private mget(keys: readonly string[]): Promise<(string | null)[]> {
    return this.bySlot(keys, (some) => guarded(() => viaLane(this.redis, ["MGET", ...some], () => this.redis.mget(some as string[]))));
  }

  /** `read` of keys in any shards: all at once on a single Redis; on a Cluster one call per slot tag, in parallel, answers put back in order. */
  private async bySlot<T>(keys: readonly string[], read: (keys: readonly string[]) => Promise<T[]>): Promise<T[]> {
    if (!isCluster(this.redis)) return read(keys);
    const bySlotTag = new Map<string, number[]>();
    keys.forEach((key, i) => {
      const tag = key.slice(0, key.indexOf("}") + 1);
      const group = bySlotTag.get(tag);
      if (group === undefined) bySlotTag.set(tag, [i]);
      else group.push(i);
    });
    const out = new Array<T>(keys.length);
    await Promise.all(
      [...bySlotTag.values()].map(async (positions) => {
        const values = await read(positions.map((i) => keys[i] as string));
        positions.forEach((p, j) => (out[p] = values[j] as T));
      }),
    );
    return out;
  }
}
