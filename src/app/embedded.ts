/**
 * The embedded platform: API + local dispatcher + in-memory store in one process. `start.ts` runs it
 * from the command line; tests start it on port 0.
 */
import { FunctionSourceChecker } from "../adapters/js-source/index.ts";
import type { ExecutorPool } from "../adapters/executors/index.ts";
import { createHandler, startHttpServer, withApiKeys } from "../adapters/http/index.ts";
import { MemoryCancelSignals, MemoryFunctionStore, MemoryTaskEvents, MemoryTaskStore } from "../adapters/memory/index.ts";
import { jsonLogger, pause, systemClock, uuidGen } from "../adapters/system/index.ts";
import { Dispatcher } from "../domain/dispatcher.ts";
import { TaskService } from "../domain/task-service.ts";
import type { EmbeddedConfig } from "./config.ts";
import { executorPool } from "./executors.ts";
import { metricsReport } from "./metrics.ts";
import pkg from "../../package.json" with { type: "json" };

export interface Embedded {
  readonly url: string;
  readonly pool: ExecutorPool;
  readonly dispatcher: Dispatcher;
  readonly service: TaskService;
  stop(): Promise<void>;
}

/** Starts everything; resolves once the server listens. */
export function startEmbedded(c: EmbeddedConfig): Embedded {
  const logger = jsonLogger(c.logLevel);
  const clock = systemClock;
  const functions = new MemoryFunctionStore();
  const tasks = new MemoryTaskStore({ clock, retentionMs: c.retentionMs });
  const events = new MemoryTaskEvents();
  const cancels = new MemoryCancelSignals();
  const pool = executorPool(c, logger);
  const dispatcher = new Dispatcher({ tasks, functions, events, cancels, executor: pool, logger, pause });
  const service = new TaskService({ functions, tasks, events, cancels, clock, ids: uuidGen, checker: new FunctionSourceChecker(), maxQueue: c.maxQueue });
  const health = async (): Promise<{ queued: number }> => ({ queued: await tasks.queueDepth() });
  const handler = createHandler(service, { maxBodyBytes: c.maxBodyBytes, version: pkg.version, health, metrics: metricsReport(tasks, functions) });
  const fetch = withApiKeys(handler, { keys: c.apiKeys });
  const server = startHttpServer({ port: c.port, host: c.host, maxBodyBytes: c.maxBodyBytes, fetch });
  dispatcher.start();
  return {
    url: `http://${c.host.includes(":") ? `[${c.host}]` : c.host}:${server.port}`,
    pool,
    dispatcher,
    service,
    async stop() {
      server.stop(true);
      service.close();
      await dispatcher.stop();
      await pool.close();
    },
  };
}
