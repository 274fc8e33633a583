export { openRedisBackend, type RedisBackend, type RedisBackendOptions } from "./backend.ts";
export { RedisCancelSignals } from "./cancel-signals.ts";
export { backendError, connectRedis, guarded, whenReady, type RedisConnectionOptions } from "./connection.ts";
export { RedisFunctionStore } from "./function-store.ts";
export { GROUP, redisKeys, type RedisKeys } from "./keys.ts";
export { QueueConsumer, type QueueConsumerOptions } from "./queue-consumer.ts";
export { RedisTaskEvents } from "./task-events.ts";
export { RedisTaskStore, type RedisTaskStoreOptions } from "./task-store.ts";
