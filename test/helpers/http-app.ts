/**
 * The HTTP app (route table + handler) over in-memory stores, called as a plain fetch function without
 * a server: for tests of the HTTP adapter that replace a piece (the metrics report, the health check,
 * the clock of sessions).
 *
 * @example
 * const fetch = memoryHttpApp({ metrics: async () => report });
 * const res = await fetch(new Request("http://x/dashboard"));
 */
import { httpApp, type HttpAppDeps, type FetchHandler } from "../../src/adapters/http/index.ts";
import { FunctionSourceChecker } from "../../src/adapters/js-source/index.ts";
import { MemoryChannel, MemoryFunctionStore, MemoryIdempotencyStore, MemoryTaskStore } from "../../src/adapters/memory/index.ts";
import { systemClock, uuidGen } from "../../src/adapters/system/index.ts";
import { FunctionService } from "../../src/domain/function-service.ts";
import { emptyStats } from "../../src/domain/metrics.ts";
import { TaskService } from "../../src/domain/task-service.ts";
import { OperationsService } from "../../src/domain/operations-service.ts";
import { MemoryWorkerDirectory } from "../../src/adapters/memory/index.ts";

export function memoryHttpApp(overrides: Partial<HttpAppDeps> = {}): FetchHandler {
  const clock = overrides.clock ?? systemClock;
  const functions = new MemoryFunctionStore();
  const store = new MemoryTaskStore({ clock, retentionMs: 60_000 });
  const tasks = new TaskService({ functions, tasks: store, events: new MemoryChannel(), cancels: new MemoryChannel(), ids: uuidGen, clock, maxQueue: 100, idempotency: { store: new MemoryIdempotencyStore(clock), ttlMs: 60_000 } });
  const operations = new OperationsService({ tasks: store, functions, store, directory: new MemoryWorkerDirectory(clock), ids: uuidGen, clock, maxQueue: 100 });
  return httpApp({
    operations,
    functions: new FunctionService({ functions, ids: uuidGen, clock, checker: new FunctionSourceChecker() }),
    tasks,
    health: async () => ({ queued: 0 }),
    metrics: async () => ({ stats: emptyStats(), functions: 0, process: { residentMemoryBytes: 0, startTimeSeconds: 0, waitingRequests: 0 } }),
    version: "test",
    keys: [],
    clock,
    logger: { log: () => {} },
    maxBodyBytes: 1 << 20,
    ...overrides,
  });
}
