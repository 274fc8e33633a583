import { ExecutorPool, type Isolation } from "../../src/adapters/executors/index.ts";
import { describeExecutor, type PoolFactory } from "../contracts/executor.ts";
import { describeTenantSeparation } from "../contracts/executor-tenants.ts";

const quiet = { log: () => {} };

function kind(isolation: Isolation): PoolFactory {
  return (o) => new ExecutorPool({ logger: quiet, ...o, isolation, memoryLimitBytes: isolation === "thread" ? undefined : 512 * 1024 * 1024 });
}

for (const [name, isolation] of [["threads", "thread"], ["processes", "process"], ["sandboxes", "sandbox"]] as const) {
  describeExecutor(name, isolation, kind(isolation));
  describeTenantSeparation(name, kind(isolation));
}
