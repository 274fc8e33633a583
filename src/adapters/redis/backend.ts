/**
 * Opens everything a process needs from Redis in one call: the command connection (to one server, a
 * Sentinel-watched master or a Cluster), the stores on it (functions, the API's task store with its
 * counters, schedules), the ids of new tasks (they name their shard) and the broadcast channels (task
 * events, cancel signals, schedule changes). A dispatcher also asks for its side of the queue with
 * `dispatchQueue`. Composition roots call this and hand the pieces to the domain services.
 *
 * The shard count is the deployment's: the first process stores it in Redis (`<prefix>:shards`), and
 * `ready` throws ShardCountMismatchError for a process started with another (its keys and task ids
 * would not match). It is checked again whenever the connection comes back (Redis restarted empty).
 *
 * @example
 * const backend = openRedisBackend({ location: { kind: "url", url: "redis://127.0.0.1:6379" }, prefix: "faas", clock: systemClock, retentionMs: 86_400_000 });
 * await backend.ready(2000);
 * const tasks = new TaskService({ functions: backend.functions, tasks: backend.tasks, ids: backend.taskIds, ... });
 * const queue = backend.dispatchQueue({ dispatcherId: "d-1" }); // dispatchers only
 * await backend.close();
 */
import { BackendUnavailableError } from "../../domain/errors.ts";
import type { Clock, IdGen, Logger } from "../../domain/ports.ts";
import type { LimitsTable } from "../../domain/tenant-limits.ts";
import { RedisChannel } from "./channel.ts";
import { isCluster, openClient, type RedisClient, type RedisLocation } from "./client.ts";
import { whenReady } from "./connection.ts";
import { RedisDispatchQueue, type DispatchQueueOptions } from "./dispatch-queue.ts";
import { RedisFunctionStore } from "./function-store.ts";
import { RedisIdempotencyStore } from "./idempotency-store.ts";
import { redisKeys, type RedisKeys } from "./keys.ts";
import { ReplicatedWrites } from "./replicated-writes.ts";
import { RedisScheduleStore } from "./schedule-store.ts";
import { ShardedTaskIds } from "./task-ids.ts";
import { RedisOperations } from "./task-operations.ts";
import { RedisTaskStore } from "./task-store.ts";
import { RedisWorkerDirectory } from "./worker-directory.ts";

export interface RedisBackendOptions {
  /** Where Redis is; `url` is short for `{ kind: "url", url }`. */
  readonly location?: RedisLocation;
  readonly url?: string;
  /** Key prefix (FAAS_PREFIX); several deployments can share one Redis. */
  readonly prefix: string;
  readonly clock: Clock;
  readonly retentionMs: number;
  /** How many shards the queue is split into (`--shards`); default 1. */
  readonly shards?: number;
  /** Replicas that must confirm an enqueue or a registration before it is acknowledged (`--redis-wait-replicas`); default 0. */
  readonly waitReplicas?: number;
  /** Per-command deadline in ms. */
  readonly commandTimeoutMs?: number;
  /** false: ioredis for every call, no lean connections (lean-lanes.ts); default true. */
  readonly lean?: boolean;
  /** How long an acknowledged write waits for `waitReplicas` replicas (WAIT's timeout), in ms; default the command deadline (1 s). */
  readonly waitTimeoutMs?: number;
  readonly logger?: Logger;
  /** A waiting task rises one priority level per this many ms (--priority-aging). Default 30 s. */
  readonly agingMs?: number;
  /** Quotas per tenant (--tenant-limits): dispatchers apply running at once and started per second. */
  readonly limits?: LimitsTable;
}

/** What a dispatcher says about itself when it asks for its side of the queue. */
export type DispatcherIdentity = Omit<DispatchQueueOptions, "redis" | "keys" | "clock" | "retentionMs" | "logger" | "agingMs" | "limits" | "events" | "eventsChannel">;

/** A process started with a shard count other than the deployment's. */
export class ShardCountMismatchError extends Error {
  override readonly name = "ShardCountMismatchError";
}

export interface RedisBackend {
  readonly redis: RedisClient;
  readonly keys: RedisKeys;
  readonly functions: RedisFunctionStore;
  /** The API's side of the tasks; also the deployment's task counters. */
  readonly tasks: RedisTaskStore;
  /** The operators' side: task lists, retry marks, per-second and per-function counters. */
  readonly operations: RedisOperations;
  /** Where dispatchers publish their workers and executors, and API processes read them. */
  readonly workers: RedisWorkerDirectory;
  /** Ids for new tasks: one shard per batch, in turn. */
  readonly taskIds: IdGen;
  /** Idempotency keys of execute requests. */
  readonly idempotency: RedisIdempotencyStore;
  readonly events: RedisChannel;
  readonly cancels: RedisChannel;
  /** Recurring schedules (ids from `taskIds.batch(1)`, so each lives in the shard its id names). */
  readonly schedules: RedisScheduleStore;
  /** Ids of schedules that changed, for the dispatchers' schedulers. */
  readonly scheduleChanges: RedisChannel;
  /** The dispatcher's side of the tasks (claim, apply, reclaim), on this connection; closed with the backend. */
  dispatchQueue(who: DispatcherIdentity): RedisDispatchQueue;
  /**
   * True once connected and the shard count checked; false if not connected within `timeoutMs` (calls
   * fail with 503 until it is). Throws ShardCountMismatchError.
   */
  ready(timeoutMs: number): Promise<boolean>;
  /** Health facts for /healthz; throws BackendUnavailableError when Redis is down. */
  health(): Promise<{ queued: number }>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export function openRedisBackend(o: RedisBackendOptions): RedisBackend {
  const location = o.location ?? { kind: "url", url: o.url ?? "redis://127.0.0.1:6379" };
  const redis = openClient(location, { commandTimeoutMs: o.commandTimeoutMs, logger: o.logger, ...(o.lean === false && { lean: false }) });
  const shards = o.shards ?? 1;
  const keys = redisKeys(o.prefix, { shards, hashTags: isCluster(redis) });
  const writes = new ReplicatedWrites(redis, { replicas: o.waitReplicas ?? 0, timeoutMs: o.waitTimeoutMs ?? o.commandTimeoutMs ?? 1000, clock: o.clock, ...(o.logger !== undefined && { logger: o.logger }) });
  const tasks = new RedisTaskStore({ redis, keys, clock: o.clock, retentionMs: o.retentionMs, writes, ...(o.agingMs !== undefined && { agingMs: o.agingMs }) });
  const events = new RedisChannel(redis, keys.events, o.clock, o.logger);
  const cancels = new RedisChannel(redis, keys.cancels, o.clock, o.logger);
  const scheduleChanges = new RedisChannel(redis, keys.scheduleChanges, o.clock, o.logger);
  const queues: RedisDispatchQueue[] = [];
  let mismatch: ShardCountMismatchError | undefined;
  const check = async (): Promise<void> => {
    mismatch = await checkShardCount(redis, keys, shards);
    if (mismatch !== undefined) o.logger?.log("error", mismatch.message, { event: "redis.shard_mismatch" });
  };
  const recheck = (): void => void check().catch(() => undefined); // unreachable again: the next "ready" checks
  redis.on("ready", recheck);
  const close = async (): Promise<void> => {
    redis.off("ready", recheck);
    for (const q of queues) await q.close();
    events.close();
    cancels.close();
    scheduleChanges.close();
    writes.close();
    redis.disconnect();
  };
  return {
    redis,
    keys,
    functions: new RedisFunctionStore(redis, keys, writes),
    tasks,
    operations: new RedisOperations({ redis, keys }),
    workers: new RedisWorkerDirectory(redis, keys, o.clock),
    taskIds: new ShardedTaskIds(shards),
    idempotency: new RedisIdempotencyStore(redis, o.prefix, writes),
    events,
    cancels,
    schedules: new RedisScheduleStore(redis, keys, writes),
    scheduleChanges,
    dispatchQueue(who) {
      const queue = new RedisDispatchQueue({
        ...who,
        redis,
        keys,
        clock: o.clock,
        retentionMs: o.retentionMs,
        events,
        eventsChannel: keys.events,
        ...(o.logger !== undefined && { logger: o.logger }),
        ...(o.agingMs !== undefined && { agingMs: o.agingMs }),
        ...(o.limits !== undefined && { limits: o.limits }),
      });
      queues.push(queue);
      return queue;
    },
    async ready(timeoutMs) {
      const connected = await whenReady(redis, timeoutMs, o.clock).then(
        () => true,
        () => false,
      );
      if (!connected || !(await writes.ready(timeoutMs))) return false;
      await check().catch(() => undefined); // lost again at once: the next "ready" checks
      if (mismatch !== undefined) throw mismatch;
      return true;
    },
    health: async () => {
      if (mismatch !== undefined) throw new BackendUnavailableError(mismatch.message);
      return { queued: await tasks.queueDepth() };
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Stores `shards` as the deployment's shard count if none is; the mismatch error if another is. */
async function checkShardCount(redis: RedisClient, keys: RedisKeys, shards: number): Promise<ShardCountMismatchError | undefined> {
  await redis.set(keys.shardCount, String(shards), "NX");
  const stored = await redis.get(keys.shardCount);
  if (stored === null || Number(stored) === shards) return undefined;
  return new ShardCountMismatchError(
    `This deployment's Redis (prefix "${keys.prefix}") holds a queue of ${stored} shard(s) (key ${keys.shardCount}), but this process was started with --shards ${shards}: start every api and dispatcher of the deployment with --shards ${stored}, or use another --prefix`,
  );
}
