/**
 * A dispatcher on Redis: takes tasks from the queue and runs them in local executors (mode local:
 * threads, child processes or sandboxes), or hands them to remote workers that connect over ZMTP
 * (pull: workers ask for work; push: the least-loaded worker gets it). Several may run at once; each
 * keeps a liveness key, and what a dead one left running is taken over by a live one. Redis outages
 * are ridden out with backoff.
 *
 * @example
 * const d = await startDispatcher({ ...dispatcherConfig(["--mode", "push", "--port", "0"], process.env, newId) });
 * startWorker({ ...workerConfig(["--url", d.endpoint!], {}, newId) });
 * await d.stop();
 */
import { openRedisBackend } from "../../adapters/redis/index.ts";
import { RemoteExecutor } from "../../adapters/remote/index.ts";
import { jsonLogger, systemClock } from "../../adapters/system/index.ts";
import { Dispatcher } from "../../domain/dispatcher.ts";
import { CachedFunctionStore } from "../../domain/function-cache.ts";
import type { Executor } from "../../domain/ports.ts";
import { executorPool } from "../executors.ts";
import type { DispatcherConfig } from "../redis-config.ts";
import { redactUrl } from "./api.ts";
import type { RootDeps } from "./embedded.ts";

export interface DispatcherHandle {
  readonly id: string;
  /** pull/push: where workers connect (the real port when --port 0). */
  readonly endpoint: string | undefined;
  readonly executor: Executor;
  /** Tasks handed to the executor and not yet settled. */
  inFlight(): number;
  /** Stops claiming and executing; tasks in flight stay RUNNING until another dispatcher takes them over. */
  stop(): Promise<void>;
}

/** Binds the worker port (pull/push) or starts the executors (local), connects to Redis and starts claiming. */
export async function startDispatcher(c: DispatcherConfig, deps: RootDeps & { readonly readyMs?: number } = {}): Promise<DispatcherHandle> {
  const logger = deps.logger ?? jsonLogger(c.logLevel);
  const clock = deps.clock ?? systemClock;
  const endpoint = `tcp://${c.host}:${c.port}`;
  const executor: Executor =
    c.mode === "local"
      ? executorPool(c, logger)
      : await RemoteExecutor.bind({ policy: c.mode, endpoint, heartbeatMs: c.heartbeatMs, workerTimeoutMs: c.workerTimeoutMs, clock, logger });
  const backend = openRedisBackend({ url: c.redisUrl, prefix: c.prefix, clock, retentionMs: c.retentionMs, logger });
  const queue = backend.dispatchQueue({ dispatcherId: c.dispatcherId, livenessMs: c.livenessMs });
  const functions = new CachedFunctionStore(backend.functions, clock);
  const dispatcher = new Dispatcher({ queue, functions, events: backend.events, cancels: backend.cancels, executor, logger, clock });
  if (!(await backend.ready(deps.readyMs ?? 5000))) logger.log("warn", "redis not reachable yet; retrying in the background", { event: "redis.unreachable", redis: redactUrl(c.redisUrl) });
  dispatcher.start();
  const bound = executor instanceof RemoteExecutor ? executor.endpoint : undefined;
  const where = c.mode === "local" ? { workers: c.workers, isolation: c.isolation } : { endpoint: bound };
  logger.log("info", "bunfaas dispatcher started", { event: "dispatcher.started", id: c.dispatcherId, mode: c.mode, ...where, redis: redactUrl(c.redisUrl), prefix: c.prefix });
  return {
    id: c.dispatcherId,
    endpoint: bound,
    executor,
    inFlight: () => dispatcher.inFlightCount(),
    async stop() {
      await dispatcher.stop();
      await executor.close();
      await backend.close(); // deletes the liveness key: other dispatchers take over at once
    },
  };
}
