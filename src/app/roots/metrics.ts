/**
 * What GET /metrics shows, gathered for the HTTP handler: the store's task counters (the whole
 * deployment), the number of functions, and this process' facts. Shared by the embedded and API roots.
 */
import type { MetricsReport } from "../../adapters/http/index.ts";
import { processFacts } from "../../adapters/system/index.ts";
import type { FunctionStore, TaskStats } from "../../domain/ports.ts";

export function metricsReport(stats: TaskStats, functions: FunctionStore): () => Promise<MetricsReport> {
  return async () => {
    const [snapshot, count] = await Promise.all([stats.snapshot(), functions.count()]);
    return { stats: snapshot, functions: count, process: processFacts() };
  };
}
