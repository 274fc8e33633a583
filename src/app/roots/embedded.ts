/**
 * The embedded platform: API + local dispatcher + in-memory store in one process. `start.ts` runs it
 * from the command line; tests start it on port 0.
 *
 * @example
 * const app = startEmbedded({ ...embeddedConfig([], {}), port: 0 });
 * await fetch(`${app.url}/healthz`);
 * await app.stop();
 */
import type { ExecutorPool } from "../../adapters/executors/index.ts";
import { MemoryChannel, MemoryFunctionStore, MemoryIdempotencyStore, MemoryScheduleStore, MemoryTaskStore, MemoryWorkerDirectory } from "../../adapters/memory/index.ts";
import { jsonLogger, systemClock, uuidGen } from "../../adapters/system/index.ts";
import { Dispatcher } from "../../domain/dispatcher.ts";
import type { Clock, IdGen, Logger } from "../../domain/ports.ts";
import type { TaskService } from "../../domain/task-service.ts";
import { Scheduler } from "../../domain/scheduler.ts";
import type { EmbeddedConfig } from "../config.ts";
import { checkIsolation, executorPool } from "../executors.ts";
import { startHttpSide } from "./http.ts";
import { publishReports } from "./reports.ts";

export interface RootDeps {
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly ids?: IdGen;
}

export interface Embedded {
  readonly url: string;
  readonly port: number;
  readonly pool: ExecutorPool;
  readonly dispatcher: Dispatcher;
  readonly tasks: TaskService;
  /**
   * Stops gracefully: no new requests, long-polls answered, running tasks given `graceMs` (default 0)
   * to finish; queued tasks live in memory and are lost (logged).
   */
  stop(o?: { readonly graceMs?: number }): Promise<void>;
}

/** Starts everything; returns once the server listens. */
export function startEmbedded(c: EmbeddedConfig, deps: RootDeps = {}): Embedded {
  const logger = deps.logger ?? jsonLogger(c.logLevel);
  const clock = deps.clock ?? systemClock;
  const functions = new MemoryFunctionStore();
  const events = new MemoryChannel();
  const store = new MemoryTaskStore({ clock, retentionMs: c.retentionMs, limits: c.queuePolicy.limits, agingMs: c.queuePolicy.agingMs, events });
  const cancels = new MemoryChannel();
  checkIsolation(c, { secrets: c.apiKeys.length > 0, why: c.apiKeys.length > 0 ? "API keys are set" : `it listens on ${c.host}` }, logger);
  const pool = executorPool(c, logger, clock);
  const dispatcher = new Dispatcher({ queue: store, functions, events, cancels, executor: pool, logger, clock, random: Math.random });
  const schedules = { store: new MemoryScheduleStore(), changes: new MemoryChannel() };
  const scheduler = new Scheduler({ schedules: schedules.store, changes: schedules.changes, tasks: store, functions, clock, logger, maxQueue: c.maxQueue, limits: c.queuePolicy.limits, catchUp: c.scheduleCatchUp });
  const health = async (): Promise<{ queued: number }> => ({ queued: await store.queueDepth() });
  const workers = new MemoryWorkerDirectory(clock);
  const http = startHttpSide(c, { functions, tasks: store, operations: store, workers, events, cancels, health, clock, ids: deps.ids ?? uuidGen, logger, idempotency: new MemoryIdempotencyStore(clock), schedules });
  dispatcher.start();
  scheduler.start();
  const local = { isolation: c.isolation, max: c.workers, live: () => pool.size() };
  const reports = publishReports({ directory: workers, clock, logger, source: { id: "embedded", mode: "embedded", startedAt: clock.now(), dispatcher, executor: pool, local } });
  logger.log("info", "bunfaas embedded mode listening", { event: "embedded.listening", mode: "embedded", url: http.url, backend: "memory", workers: c.workers, isolation: c.isolation, auth: c.apiKeys.length > 0 ? "api-keys" : "off" });
  return {
    url: http.url,
    port: http.port,
    pool,
    dispatcher,
    tasks: http.tasks,
    async stop(o = {}) {
      await http.stop();
      await scheduler.stop();
      await reports.stop();
      const handedBack = await dispatcher.drain(o.graceMs ?? 0);
      const lost = await store.queueDepth();
      if (lost > 0) logger.log("warn", "queued tasks lived in memory and are lost with this process", { event: "embedded.tasks_lost", queued: lost, unfinished: handedBack });
      await pool.close();
    },
  };
}
