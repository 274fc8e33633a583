/**
 * Opens everything a process needs from Redis in one call: the command connection, the stores on it
 * (functions, the API's task store with its counters) and the two broadcast channels (task events,
 * cancel signals). A dispatcher also asks for its side of the queue with `dispatchQueue`. Composition
 * roots call this and hand the pieces to the domain services.
 *
 * @example
 * const backend = openRedisBackend({ url: "redis://127.0.0.1:6379", prefix: "faas", clock: systemClock, retentionMs: 86_400_000 });
 * const tasks = new TaskService({ functions: backend.functions, tasks: backend.tasks, events: backend.events, cancels: backend.cancels, ... });
 * const queue = backend.dispatchQueue({ dispatcherId: "d-1" }); // dispatchers only
 * await backend.close();
 */
import type Redis from "ioredis";
import type { Clock, Logger } from "../../domain/ports.ts";
import { RedisChannel } from "./channel.ts";
import { connectRedis, whenReady } from "./connection.ts";
import { RedisDispatchQueue, type DispatchQueueOptions } from "./dispatch-queue.ts";
import { RedisFunctionStore } from "./function-store.ts";
import { redisKeys } from "./keys.ts";
import { RedisTaskStore } from "./task-store.ts";

export interface RedisBackendOptions {
  readonly url: string;
  /** Key prefix (FAAS_PREFIX); several deployments can share one Redis. */
  readonly prefix: string;
  readonly clock: Clock;
  readonly retentionMs: number;
  /** Per-command deadline in ms. */
  readonly commandTimeoutMs?: number;
  readonly logger?: Logger;
}

/** What a dispatcher says about itself when it asks for its side of the queue. */
export type DispatcherIdentity = Omit<DispatchQueueOptions, "redis" | "keys" | "clock" | "retentionMs" | "logger">;

export interface RedisBackend {
  readonly redis: Redis;
  readonly functions: RedisFunctionStore;
  /** The API's side of the tasks; also the deployment's task counters. */
  readonly tasks: RedisTaskStore;
  readonly events: RedisChannel;
  readonly cancels: RedisChannel;
  /** The dispatcher's side of the tasks (claim, apply, reclaim), on this connection; closed with the backend. */
  dispatchQueue(who: DispatcherIdentity): RedisDispatchQueue;
  /** True once connected; false if not within `timeoutMs` (calls fail with 503 until it is). */
  ready(timeoutMs: number): Promise<boolean>;
  /** Health facts for /healthz; throws BackendUnavailableError when Redis is down. */
  health(): Promise<{ queued: number }>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export function openRedisBackend(o: RedisBackendOptions): RedisBackend {
  const redis = connectRedis(o.url, { commandTimeoutMs: o.commandTimeoutMs, logger: o.logger });
  const keys = redisKeys(o.prefix);
  const tasks = new RedisTaskStore({ redis, keys, clock: o.clock, retentionMs: o.retentionMs });
  const events = new RedisChannel(redis, keys.events, o.clock, o.logger);
  const cancels = new RedisChannel(redis, keys.cancels, o.clock, o.logger);
  const queues: RedisDispatchQueue[] = [];
  const close = async (): Promise<void> => {
    for (const q of queues) await q.close();
    events.close();
    cancels.close();
    redis.disconnect();
  };
  return {
    redis,
    functions: new RedisFunctionStore(redis, keys),
    tasks,
    events,
    cancels,
    dispatchQueue(who) {
      const queue = new RedisDispatchQueue({ ...who, redis, keys, clock: o.clock, retentionMs: o.retentionMs, ...(o.logger !== undefined && { logger: o.logger }) });
      queues.push(queue);
      return queue;
    },
    ready: (timeoutMs) =>
      whenReady(redis, timeoutMs).then(
        () => true,
        () => false,
      ),
    health: async () => ({ queued: await tasks.queueDepth() }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
