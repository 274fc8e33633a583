/**
 * `bun run worker --mode pull|push --url tcp://host:5555 --procs N`: a worker process for a pull or
 * push dispatcher. It runs jobs in its own executor pool (N executors: threads, or child processes
 * under a memory cap with --isolation process), speaks only ZMTP to the dispatcher and never touches
 * Redis. It registers, heartbeats, and registers again whenever the dispatcher restarts.
 */
import { WorkerAgent } from "../adapters/remote/index.ts";
import { jsonLogger, systemClock, uuidGen } from "../adapters/system/index.ts";
import { executorPool } from "./executors.ts";
import { configOrExit, stopOnSignals } from "./lifecycle.ts";
import { workerConfig } from "./worker-config.ts";

const c = configOrExit(() => workerConfig(Bun.argv.slice(2), process.env, () => uuidGen.next()));
const logger = jsonLogger(c.logLevel);
const pool = executorPool(c, logger);
const agent = new WorkerAgent({
  url: c.url,
  id: c.workerId,
  mode: c.mode,
  executor: pool,
  capacity: pool.freeSlots(),
  heartbeatMs: c.heartbeatMs,
  dispatcherTimeoutMs: c.dispatcherTimeoutMs,
  clock: systemClock,
  logger,
});
agent.start();
logger.log("info", "bunfaas worker started", { id: c.workerId, mode: c.mode, url: c.url, procs: c.workers, isolation: c.isolation, capacity: pool.freeSlots() });

stopOnSignals(
  logger,
  async () => {
    await agent.close(); // says bye: the dispatcher reports what this held as lost at once
    await pool.close();
  },
  () => ({ held: agent.heldCount() }),
);
