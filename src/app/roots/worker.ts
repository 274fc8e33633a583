/**
 * A worker process for a pull or push dispatcher: runs jobs in its own executor pool (N executors:
 * threads, child processes or sandboxes), speaks only ZMTP to the dispatcher and never touches Redis.
 * It registers, heartbeats, and registers again whenever the dispatcher restarts.
 *
 * @example
 * const w = startWorker(workerConfig(["--mode", "push", "--url", "tcp://127.0.0.1:5555"], {}, newId));
 * await w.stop(); // says bye: the dispatcher reports what it held as lost at once
 */
import { hostname } from "node:os";
import { WorkerAgent } from "../../adapters/remote/index.ts";
import { jsonLogger, systemClock } from "../../adapters/system/index.ts";
import { checkIsolation, executorPool } from "../executors.ts";
import type { WorkerConfig } from "../worker-config.ts";
import type { RootDeps } from "./embedded.ts";

export interface WorkerHandle {
  readonly id: string;
  readonly agent: WorkerAgent;
  /**
   * Stops gracefully: the dispatcher sends nothing more, running jobs get `graceMs` (default 0) to
   * finish, the rest are handed back (run elsewhere, not counted), then bye.
   */
  stop(o?: { readonly graceMs?: number }): Promise<void>;
}

export function startWorker(c: WorkerConfig, deps: RootDeps = {}): WorkerHandle {
  const logger = deps.logger ?? jsonLogger(c.logLevel);
  checkIsolation(c, { secrets: false, why: "a worker runs the code users submit" }, logger);
  const clock = deps.clock ?? systemClock;
  const pool = executorPool(c, logger, clock);
  const capacity = pool.freeSlots();
  const agent = new WorkerAgent({
    url: c.url,
    id: c.workerId,
    mode: c.mode,
    executor: pool,
    capacity,
    heartbeatMs: c.heartbeatMs,
    dispatcherTimeoutMs: c.dispatcherTimeoutMs,
    clock,
    logger,
    host: hostname().replace(/[^\x21-\x7e]/g, "?").slice(0, 255) || "unknown",
    ...(c.curve !== undefined && { curve: c.curve }),
  });
  agent.start();
  logger.log("info", "bunfaas worker started", { event: "worker.started", id: c.workerId, mode: c.mode, url: c.url, procs: c.workers, isolation: c.isolation, capacity, security: c.curve === undefined ? "null" : "curve", publicKey: c.curve?.publicKey });
  return {
    id: c.workerId,
    agent,
    async stop(o = {}) {
      await agent.drain(o.graceMs ?? 0);
      await pool.close();
    },
  };
}
