/**
 * The HTTP side shared by the embedded and API roots: the use cases over the stores, the route table
 * and the server.
 */
import { httpApp, startHttpServer } from "../../adapters/http/index.ts";
import { FunctionSourceChecker } from "../../adapters/js-source/index.ts";
import { FunctionService } from "../../domain/function-service.ts";
import { OperationsService, type OperationsStore } from "../../domain/operations-service.ts";
import type { CancelSignals, Clock, FunctionStore, IdempotencyStore, IdGen, Logger, ScheduleChanges, ScheduleStore, TaskEvents, TaskStats, TaskStore } from "../../domain/ports.ts";
import { ScheduleService } from "../../domain/schedule-service.ts";
import type { WorkerDirectory } from "../../domain/worker-directory.ts";
import { TaskService } from "../../domain/task-service.ts";
import { isLoopback } from "../../adapters/http/edge.ts";
import { checkOpenBind, type ApiKeyEntry, type HttpEdgeSettings, type QueuePolicy } from "../config.ts";
import { metricsReport } from "./metrics.ts";
import pkg from "../../../package.json" with { type: "json" };

export interface HttpSideConfig {
  readonly port: number;
  readonly host: string;
  readonly maxBodyBytes: number;
  readonly maxQueue: number;
  readonly apiKeys: readonly ApiKeyEntry[];
  /** Bytes of results one POST /wait reply carries at most (default 32 MiB). */
  readonly waitReplyBytes?: number;
  readonly edge: HttpEdgeSettings;
  /** --tenant-limits (the queued quota is checked here) and --priority-aging. */
  readonly queuePolicy?: QueuePolicy;
  /** --retention: how long idempotency keys are kept (terminal tasks too). */
  readonly retentionMs: number;
}

export interface HttpSideDeps {
  readonly functions: FunctionStore;
  readonly tasks: TaskStore & TaskStats;
  /** The operators' side of the same tasks (listing, retry marks, counters). */
  readonly operations: OperationsStore;
  /** Where dispatchers publish their workers and executors. */
  readonly workers: WorkerDirectory;
  readonly events: TaskEvents;
  readonly cancels: CancelSignals;
  readonly health: () => Promise<{ queued: number }>;
  readonly clock: Clock;
  readonly ids: IdGen;
  readonly logger: Logger;
  /** Long-polls re-read their tasks this often (Redis: a lost notification only delays). */
  readonly recheckMs?: number;
  readonly idempotency: IdempotencyStore;
  /** Recurring schedules and where their changes are announced (the /schedules routes). */
  readonly schedules?: { readonly store: ScheduleStore; readonly changes: ScheduleChanges };
}

export interface HttpSide {
  readonly url: string;
  readonly port: number;
  readonly tasks: TaskService;
  /** Stops accepting requests and answers waiting long-polls with the current status. */
  stop(): Promise<void>;
}

/** Starts the HTTP server over the use cases; resolves once it listens. */
export function startHttpSide(c: HttpSideConfig, d: HttpSideDeps): HttpSide {
  checkOpenBind(c);
  const functions = new FunctionService({ functions: d.functions, ids: d.ids, clock: d.clock, checker: new FunctionSourceChecker() });
  const tasks = new TaskService({ functions: d.functions, tasks: d.tasks, events: d.events, cancels: d.cancels, ids: d.ids, clock: d.clock, maxQueue: c.maxQueue, ...(c.queuePolicy !== undefined && { limits: c.queuePolicy.limits }), ...(d.recheckMs !== undefined && { recheckMs: d.recheckMs }), idempotency: { store: d.idempotency, ttlMs: c.retentionMs } });
  const schedules = d.schedules === undefined ? undefined : new ScheduleService({ schedules: d.schedules.store, changes: d.schedules.changes, functions: d.functions, ids: d.ids, clock: d.clock });
  const operations = new OperationsService({ tasks: d.tasks, functions: d.functions, store: d.operations, directory: d.workers, ids: d.ids, clock: d.clock, maxQueue: c.maxQueue });
  const fetch = httpApp({
    functions,
    tasks,
    operations,
    ...(schedules !== undefined && { schedules }),
    health: d.health,
    metrics: metricsReport(d.tasks, d.functions, () => tasks.waitingCount()),
    version: pkg.version,
    keys: c.apiKeys,
    clock: d.clock,
    logger: d.logger,
    maxBodyBytes: c.maxBodyBytes,
    ...(c.waitReplyBytes !== undefined && { waitReplyBytes: c.waitReplyBytes }),
    edge: { loopback: isLoopback(c.host), allowedHosts: c.edge.allowedHosts, allowedOrigins: c.edge.allowedOrigins, trustProxy: c.edge.trustProxy },
  });
  const server = startHttpServer({ port: c.port, host: c.host, maxBodyBytes: c.maxBodyBytes, fetch });
  const port = server.port as number;
  return {
    url: `http://${c.host.includes(":") ? `[${c.host}]` : c.host}:${port}`,
    port,
    tasks,
    async stop() {
      tasks.close(); // long-polls answer now, with the current status
      await Promise.race([server.stop(false), d.clock.sleep(1000)]); // let answers go out, then cut
      void server.stop(true);
    },
  };
}
