export { ExecutorPool, ThreadPool, ProcessPool, type PoolOptions } from "./executor-pool.ts";
export type { ExecutorHost, HostFactory } from "./executor-host.ts";
