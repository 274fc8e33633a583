/**
 * What GET /metrics shows, gathered for the HTTP handler: the store's task counters (the whole
 * deployment), the number of functions, and this process' facts. Shared by the embedded and API roots.
 */
import type { MetricsReport } from "../../adapters/http/index.ts";
import { processFacts } from "../../adapters/system/index.ts";
import type { FunctionStore, TaskStats } from "../../domain/ports.ts";
import { scopeOf } from "../../domain/tenant.ts";

/** The report a viewer sees: its tenant's counters (everyone's for admin) and this process' facts. */
export function metricsReport(stats: TaskStats, functions: FunctionStore, waiting: () => number): (viewer: string) => Promise<MetricsReport> {
  return async (viewer) => {
    const scope = scopeOf(viewer);
    const [snapshot, count] = await Promise.all([stats.snapshot(scope), functions.count(scope)]);
    return { stats: snapshot, functions: count, process: { ...processFacts(), waitingRequests: waiting() } };
  };
}
