export { openRedisBackend, type RedisBackend, type RedisBackendOptions } from "./backend.ts";
export { RedisChannel } from "./channel.ts";
export { backendError, connectRedis, guarded, whenReady, type RedisConnectionOptions } from "./connection.ts";
export { RedisDispatchQueue, type DispatchQueueOptions } from "./dispatch-queue.ts";
export { RedisFunctionStore } from "./function-store.ts";
export { GROUP, redisKeys, type RedisKeys } from "./keys.ts";
export { RedisTaskStore, type RedisTaskStoreOptions } from "./task-store.ts";
