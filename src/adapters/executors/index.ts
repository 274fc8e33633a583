export { ExecutorPool } from "./executor-pool.ts";
export { MAX_BOUNCES, type PoolOptions } from "./pool-options.ts";
export type { ExecutorHost, HostEvents, HostFactory } from "./executor-host.ts";
export { hostsFor, ISOLATIONS, type Isolation } from "./host-kinds.ts";
export { threadHosts } from "./thread-host.ts";
export { processHosts } from "./process-host.ts";
export { sandboxHosts } from "./sandbox-host.ts";
export { probeSandbox } from "./sandbox-probe.ts";
