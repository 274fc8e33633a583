/**
 * `bun run dispatcher --mode local|pull|push`: takes tasks from the Redis queue and runs them in N
 * local executors (Bun Worker threads, or child processes with --isolation process), or hands them to
 * remote workers (`bun run worker`) that connect to --host:--port over ZMTP (pull: workers ask for work;
 * push: the dispatcher sends to the least-loaded worker). Several may run at once; each keeps a liveness
 * key, and what a dead one left running is taken over by a live one. Redis outages are ridden out with
 * backoff.
 */
import { openRedisBackend } from "../adapters/redis/index.ts";
import { RemoteExecutor } from "../adapters/remote/index.ts";
import { jsonLogger, pause, systemClock, uuidGen } from "../adapters/system/index.ts";
import { Dispatcher } from "../domain/dispatcher.ts";
import type { Executor } from "../domain/ports.ts";
import { executorPool } from "./executors.ts";
import { configOrExit, stopOnSignals } from "./lifecycle.ts";
import { dispatcherConfig } from "./redis-config.ts";

const c = configOrExit(() => dispatcherConfig(Bun.argv.slice(2), process.env, () => uuidGen.next()));
const logger = jsonLogger(c.logLevel);
const endpoint = `tcp://${c.host}:${c.port}`;
const executor: Executor =
  c.mode === "local"
    ? executorPool(c, logger)
    : await RemoteExecutor.bind({ policy: c.mode, endpoint, heartbeatMs: c.heartbeatMs, workerTimeoutMs: c.workerTimeoutMs, clock: systemClock, logger }).catch((e: Error) => {
        logger.log("error", "cannot listen for workers", { endpoint, error: e.message });
        process.exit(1);
      });
const consumer = { dispatcherId: c.dispatcherId, livenessMs: c.livenessMs };
const backend = openRedisBackend({ url: c.redisUrl, prefix: c.prefix, clock: systemClock, retentionMs: c.retentionMs, consumer, logger });
const { functions, tasks, events, cancels } = backend;
const dispatcher = new Dispatcher({ tasks, functions, events, cancels, executor, logger, pause });
if (!(await backend.ready(5000))) logger.log("warn", "redis not reachable yet; retrying in the background", { redis: c.redisUrl });
dispatcher.start();
const where = c.mode === "local" ? { workers: c.workers, isolation: c.isolation } : { endpoint: executor instanceof RemoteExecutor ? executor.endpoint : endpoint };
logger.log("info", "bunfaas dispatcher started", { id: c.dispatcherId, mode: c.mode, ...where, redis: c.redisUrl, prefix: c.prefix });

stopOnSignals(
  logger,
  async () => {
    await dispatcher.stop();
    await executor.close();
    await backend.close(); // deletes the liveness key: other dispatchers take over at once
  },
  () => ({ inFlight: dispatcher.inFlightCount() }),
);
