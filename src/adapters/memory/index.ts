export { MemoryFunctionStore } from "./function-store.ts";
export { MemoryTaskStore, type MemoryTaskStoreOptions } from "./task-store.ts";
export { MemoryChannel } from "./channel.ts";
export { MemoryIdempotencyStore } from "./idempotency-store.ts";
export { MemoryScheduleStore } from "./schedule-store.ts";
export { MemoryWorkerDirectory } from "./worker-directory.ts";
