/**
 * Opens everything a process needs from Redis in one call: the command connection, the stores on it
 * and the two pub/sub channels (task events, cancel signals). Composition roots call this and hand the stores to domain services.
 *
 * @example
 * const backend = openRedisBackend({ url: "redis://127.0.0.1:6379", prefix: "faas", clock: systemClock, retentionMs: 86_400_000 });
 * const service = new TaskService({ functions: backend.functions, tasks: backend.tasks, events: backend.events, cancels: backend.cancels, ... });
 * await backend.close();
 */
import type Redis from "ioredis";
import type { Clock, Logger } from "../../domain/ports.ts";
import { connectRedis, whenReady } from "./connection.ts";
import { RedisFunctionStore } from "./function-store.ts";
import { RedisCancelSignals } from "./cancel-signals.ts";
import { redisKeys } from "./keys.ts";
import type { QueueConsumerOptions } from "./queue-consumer.ts";
import { RedisTaskEvents } from "./task-events.ts";
import { RedisTaskStore } from "./task-store.ts";

export interface RedisBackendOptions {
  readonly url: string;
  /** Key prefix (FAAS_PREFIX); several deployments can share one Redis. */
  readonly prefix: string;
  readonly clock: Clock;
  readonly retentionMs: number;
  /** Per-command deadline in ms. */
  readonly commandTimeoutMs?: number;
  /** For dispatchers: their id and queue settings. */
  readonly consumer?: QueueConsumerOptions;
  readonly logger?: Logger;
}

export interface RedisBackend {
  readonly redis: Redis;
  readonly functions: RedisFunctionStore;
  readonly tasks: RedisTaskStore;
  readonly events: RedisTaskEvents;
  readonly cancels: RedisCancelSignals;
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
  const tasks = new RedisTaskStore({ redis, keys, clock: o.clock, retentionMs: o.retentionMs, consumer: o.consumer, logger: o.logger });
  const events = new RedisTaskEvents(redis, keys, o.logger);
  const cancels = new RedisCancelSignals(redis, keys, o.logger);
  const close = async (): Promise<void> => {
    await tasks.close();
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
    ready: (timeoutMs) => whenReady(redis, timeoutMs).then(
      () => true,
      () => false,
    ),
    health: async () => ({ queued: await tasks.queueDepth() }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
