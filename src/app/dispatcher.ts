/**
 * `bun run dispatcher --mode local --workers N`: takes tasks from the Redis queue and runs them in N
 * executors (Bun Worker threads, or child processes with --isolation process). Several may run at
 * once; each keeps a liveness key, and what a dead one left running is taken over by a live one.
 * Redis outages are ridden out with backoff.
 */
import { openRedisBackend } from "../adapters/redis/index.ts";
import { jsonLogger, pause, systemClock, uuidGen } from "../adapters/system/index.ts";
import { Dispatcher } from "../domain/dispatcher.ts";
import { executorPool } from "./executors.ts";
import { configOrExit, stopOnSignals } from "./lifecycle.ts";
import { dispatcherConfig } from "./redis-config.ts";

const c = configOrExit(() => dispatcherConfig(Bun.argv.slice(2), process.env, () => uuidGen.next()));
const logger = jsonLogger(c.logLevel);
const consumer = { dispatcherId: c.dispatcherId, livenessMs: c.livenessMs };
const backend = openRedisBackend({ url: c.redisUrl, prefix: c.prefix, clock: systemClock, retentionMs: c.retentionMs, consumer, logger });
const pool = executorPool(c, logger);
const { functions, tasks, events } = backend;
const dispatcher = new Dispatcher({ tasks, functions, events, executor: pool, logger, pause });
if (!(await backend.ready(5000))) logger.log("warn", "redis not reachable yet; retrying in the background", { redis: c.redisUrl });
dispatcher.start();
logger.log("info", "bunfaas dispatcher started", { id: c.dispatcherId, mode: c.mode, workers: c.workers, isolation: c.isolation, redis: c.redisUrl, prefix: c.prefix });

stopOnSignals(
  logger,
  async () => {
    await dispatcher.stop();
    await pool.close();
    await backend.close(); // deletes the liveness key: other dispatchers take over at once
  },
  () => ({ inFlight: dispatcher.inFlightCount() }),
);
