export { MemoryFunctionStore } from "./function-store.ts";
export { MemoryTaskStore, type MemoryTaskStoreOptions } from "./task-store.ts";
export { MemoryTaskEvents } from "./task-events.ts";
export { MemoryCancelSignals } from "./cancel-signals.ts";
