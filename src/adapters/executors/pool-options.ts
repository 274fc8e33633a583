/** What an ExecutorPool is built with, and the timings it derives from it. */
import type { Clock, Logger } from "../../domain/ports.ts";
import type { HostFactory } from "./executor-host.ts";
import type { Isolation } from "./host-kinds.ts";

export interface PoolOptions {
  /** Most executors alive at once, over all tenants. */
  readonly executors: number;
  /** thread (default), process or sandbox; `hosts` overrides it. */
  readonly isolation?: Isolation;
  readonly hosts?: HostFactory;
  /**
   * Jobs one executor holds at once (default 128). Half of them (rounded up) run at once; the rest wait
   * inside the executor and start the moment a running one settles. Deadlines count from a job's start.
   */
  readonly slotsPerExecutor?: number;
  /** How often deadlines, stalls, memory and idle executors are checked, in ms (default 20). */
  readonly tickMs?: number;
  readonly logger: Logger;
  /** The pool's time: deadlines, stalls, idle executors, the ticker (the system clock unless given). */
  readonly clock?: Clock;
  /** Cap on an executor's whole process tree (process and sandbox executors). */
  readonly memoryLimitBytes?: number;
  /** Results whose JSON text is longer end `too-large` (default 16 MiB). */
  readonly maxResultBytes?: number;
  /** An executor without jobs for this long is stopped (default 30 s). */
  readonly idleMs?: number;
  /** Heartbeat period of a busy executor (default 25 ms) and the silence taken for a stall (default 250 ms). */
  readonly beatMs?: number;
  readonly stallMs?: number;
  /** Sandboxes keep the host's network. */
  readonly sandboxNetwork?: boolean;
  /** Process and sandbox executors start with these variables (runtime settings, never secrets; see app/runtime-env.ts). */
  readonly childEnv?: Readonly<Record<string, string>>;
  /** An executor not ready after this long is replaced (default 30 s). */
  readonly startTimeoutMs?: number;
}

/** Times a job may be handed back without an attempt spent before it counts as lost. */
export const MAX_BOUNCES = 8;

export interface PoolTimings {
  readonly tickMs: number;
  readonly idleMs: number;
  readonly beatMs: number;
  readonly stallMs: number;
  /** Silence after which time charged to a running job may be another job's (its executor was blocked). */
  readonly suspectMs: number;
  readonly startTimeoutMs: number;
}

/**
 * The pool's timings, defaults filled in.
 *
 * @example
 * timings({ executors: 2, logger }) // { tickMs: 20, idleMs: 30000, beatMs: 25, stallMs: 250, suspectMs: 75, startTimeoutMs: 30000 }
 */
export function timings(o: PoolOptions): PoolTimings {
  const tickMs = o.tickMs ?? 20;
  const beatMs = o.beatMs ?? 25;
  return { tickMs, idleMs: o.idleMs ?? 30_000, beatMs, stallMs: o.stallMs ?? 250, suspectMs: Math.max(3 * beatMs, 3 * tickMs), startTimeoutMs: o.startTimeoutMs ?? 30_000 };
}
