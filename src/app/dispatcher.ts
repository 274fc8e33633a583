/**
 * `bun run dispatcher --mode local --workers N`: takes tasks from the Redis queue and runs them in N Bun
 * Worker threads. Several may run at once; each keeps a liveness key, and what a dead one left
 * running is taken over by a live one. Redis outages are ridden out with backoff.
 */
import { ThreadPool } from "../adapters/bun-worker/index.ts";
import { openRedisBackend } from "../adapters/redis/index.ts";
import { jsonLogger, pause, systemClock, uuidGen } from "../adapters/system/index.ts";
import { Dispatcher } from "../domain/dispatcher.ts";
import { dispatcherConfig, type DispatcherConfig } from "./redis-config.ts";

let c: DispatcherConfig;
try {
  c = dispatcherConfig(Bun.argv.slice(2), process.env, () => uuidGen.next());
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(2);
}
const logger = jsonLogger(c.logLevel);
const consumer = { dispatcherId: c.dispatcherId, livenessMs: c.livenessMs };
const backend = openRedisBackend({ url: c.redisUrl, prefix: c.prefix, clock: systemClock, retentionMs: c.retentionMs, consumer, logger });
const pool = new ThreadPool({ threads: c.workers, logger });
const { functions, tasks, events } = backend;
const dispatcher = new Dispatcher({ tasks, functions, events, executor: pool, logger, pause });
if (!(await backend.ready(5000))) logger.log("warn", "redis not reachable yet; retrying in the background", { redis: c.redisUrl });
dispatcher.start();
logger.log("info", "bunfaas dispatcher started", { id: c.dispatcherId, mode: c.mode, workers: c.workers, redis: c.redisUrl, prefix: c.prefix });

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.log("info", "stopping", { signal, inFlight: dispatcher.inFlightCount() });
    void (async () => {
      await dispatcher.stop();
      await pool.close();
      await backend.close(); // deletes the liveness key: other dispatchers take over at once
      process.exit(0);
    })();
  });
}
