export { MemoryFunctionStore } from "./function-store.ts";
export { MemoryTaskStore, type MemoryTaskStoreOptions } from "./task-store.ts";
export { MemoryChannel } from "./channel.ts";
export { MemoryScheduleStore } from "./schedule-store.ts";
