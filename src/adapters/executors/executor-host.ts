/**
 * One executor as the pool sees it: something it can post batches to, that reports results and its
 * own death, shares a start-time table, and can be terminated. Threads and child processes are the two
 * kinds (thread-host.ts, process-host.ts).
 */
import type { FromExecutor, ToExecutor } from "./protocol.ts";

export interface HostEvents {
  message(msg: FromExecutor): void;
  /** The executor died on its own (process.exit, crash); not called after terminate(). */
  exit(code: number | null): void;
}

export interface ExecutorHost {
  /** Start times of the executor's slots, written by the executor, read by the pool. */
  readonly startedAt: Float64Array<ArrayBufferLike>;
  post(msg: ToExecutor): void;
  terminate(): void;
  /** Resident memory in bytes when the host can measure it (child processes), else undefined. */
  memoryBytes(): number | undefined;
}

/** Starts one executor with `slots` job slots, of which at most `concurrency` run at once. */
export type HostFactory = (slots: number, concurrency: number, events: HostEvents) => ExecutorHost;
