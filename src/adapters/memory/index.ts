export { MemoryFunctionStore } from "./function-store.ts";
export { MemoryTaskStore, type MemoryTaskStoreOptions } from "./task-store.ts";
export { MemoryChannel } from "./channel.ts";
export { MemoryWorkerDirectory } from "./worker-directory.ts";
