/**
 * What the deployment runs tasks on, as its dispatchers report it: each dispatcher publishes a report
 * of itself (host, mode, tasks in flight) with its remote workers (pull and push modes) or its local
 * executors, every few seconds with a short time to live (Redis: a key per dispatcher with PX; memory:
 * in the process). Any API process lists the live reports; a dispatcher that stops reporting drops out
 * when its report expires. Reports carry no task ids: they are shown to every caller.
 *
 * @example
 * await directory.publish(report, 6000);
 * const live = await directory.list(); // newest reports of every live dispatcher
 */

/** One remote worker as its dispatcher sees it. */
export interface WorkerReport {
  readonly id: string;
  /** The host name the worker sent when it registered ("" when it sent none). */
  readonly host: string;
  readonly mode: "pull" | "push";
  /** Jobs it holds at once. */
  readonly capacity: number;
  readonly inFlight: number;
  /** When it registered (this session), ms. */
  readonly connectedSince: number;
  /** When it was last heard from, ms. */
  readonly lastHeartbeat: number;
  /** Outcomes it reported since it registered. */
  readonly tasksDone: number;
  /** Shutting down: takes no more jobs. */
  readonly draining: boolean;
}

/** The executors of a local dispatcher (or of the embedded mode). */
export interface ExecutorsReport {
  readonly isolation: string;
  /** Executors alive now (they start on demand and stop when idle). */
  readonly live: number;
  /** Most executors alive at once (--workers). */
  readonly max: number;
}

/** One dispatcher and what it runs tasks on. */
export interface DispatcherReport {
  readonly id: string;
  readonly host: string;
  readonly mode: "local" | "pull" | "push" | "embedded";
  readonly startedAt: number;
  /** When this report was made, ms. */
  readonly reportedAt: number;
  /** Whether it is claiming (its last claim did not fail). */
  readonly claiming: boolean;
  readonly inFlight: number;
  /** Attempts it settled since it started. */
  readonly tasksDone: number;
  readonly executors?: ExecutorsReport;
  readonly workers?: readonly WorkerReport[];
}

/** Where dispatchers publish their reports and API processes read them. */
export interface WorkerDirectory {
  /** Publishes (or replaces) a dispatcher's report, live for `ttlMs` unless published again. */
  publish(report: DispatcherReport, ttlMs: number): Promise<void>;
  /** Removes a dispatcher's report at once (it is stopping). */
  withdraw(dispatcherId: string): Promise<void>;
  /** Every live report, by dispatcher id. */
  list(): Promise<DispatcherReport[]>;
}

/** How often a dispatcher publishes its report, and how long one lives. */
export const REPORT_EVERY_MS = 2000;
export const REPORT_TTL_MS = 3 * REPORT_EVERY_MS;
