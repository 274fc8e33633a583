/**
 * A dispatcher's report in the worker directory (GET /workers): made from the Dispatcher and its
 * executor (a RemoteExecutor's workers, or a local pool's executors), published now and every
 * REPORT_EVERY_MS with a REPORT_TTL_MS time to live, withdrawn at stop. A failed publish (Redis down)
 * is logged at debug and tried again at the next tick.
 *
 * @example
 * const reports = publishReports({ directory, clock, logger, report: () => dispatcherReport({...}) });
 * await reports.stop();
 */
import { hostname } from "node:os";
import { RemoteExecutor } from "../../adapters/remote/index.ts";
import type { Dispatcher } from "../../domain/dispatcher.ts";
import { every } from "../../domain/every.ts";
import type { Clock, Executor, Logger } from "../../domain/ports.ts";
import { REPORT_EVERY_MS, REPORT_TTL_MS, type DispatcherReport, type WorkerDirectory } from "../../domain/worker-directory.ts";

/** This machine's name, as reports and attempt records show it. */
export const HOST = hostname() || "unknown";

export interface ReportSource {
  readonly id: string;
  readonly mode: DispatcherReport["mode"];
  readonly startedAt: number;
  readonly dispatcher: Dispatcher;
  readonly executor: Executor;
  /** Local executors: the isolation and the most alive at once. */
  readonly local?: { readonly isolation: string; readonly max: number; readonly live: () => number };
}

/** The report of a dispatcher at `now`. */
export function dispatcherReport(s: ReportSource, now: number): DispatcherReport {
  const health = s.dispatcher.health();
  return {
    id: s.id,
    host: HOST,
    mode: s.mode,
    startedAt: s.startedAt,
    reportedAt: now,
    claiming: health.claiming,
    inFlight: health.inFlight,
    tasksDone: s.dispatcher.settledCount(),
    ...(s.local !== undefined && { executors: { isolation: s.local.isolation, live: s.local.live(), max: s.local.max } }),
    ...(s.executor instanceof RemoteExecutor && { workers: s.executor.workers() }),
  };
}

/** Publishes the report now and every REPORT_EVERY_MS until `stop` (which withdraws it). */
export function publishReports(o: { readonly directory: WorkerDirectory; readonly clock: Clock; readonly logger: Logger; readonly source: ReportSource }): { stop(): Promise<void> } {
  const publish = (): void => {
    o.directory.publish(dispatcherReport(o.source, o.clock.now()), REPORT_TTL_MS).catch((e: unknown) => o.logger.log("debug", "publishing the dispatcher's report failed", { event: "dispatcher.report_failed", error: String(e) }));
  };
  publish();
  const stopTicking = every(o.clock, REPORT_EVERY_MS, publish);
  return {
    async stop() {
      stopTicking();
      await o.directory.withdraw(o.source.id).catch(() => undefined);
    },
  };
}
