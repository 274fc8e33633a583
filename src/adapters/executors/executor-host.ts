/**
 * One executor as the pool sees it, and the factory that starts them. Threads, child processes and
 * sandboxes are the three kinds (thread-host.ts, process-host.ts, sandbox-host.ts). What an executor
 * sends is `unknown` to the pool until checked: a process or sandbox executor runs untrusted code in
 * the same process as the code that answers.
 */
import type { ExecutorSpec, ToExecutor } from "./protocol.ts";

export interface HostEvents {
  message(msg: unknown): void;
  /** The executor died on its own (process.exit, crash, killed by the kernel); not called after terminate(). */
  exit(code: number | null): void;
}

export interface ExecutorHost {
  /** The ticket table (see protocol.ts): the pool writes tickets, the executor claims them. */
  readonly tickets: Int32Array<ArrayBufferLike>;
  post(msg: ToExecutor): void;
  /** Kills the executor and everything it started. */
  terminate(): void;
  /** Settles once the executor (and, where the host can tell, all it started) is gone. */
  readonly exited: Promise<unknown>;
  /** Resident memory of the executor and everything it started, in bytes; undefined for threads. */
  memoryBytes(): number | undefined;
  /** True once the kernel killed something of this executor for memory (a cgroup limit). */
  killedForMemory(): boolean;
  /** Process ids, as this host sees them, of the executor and what it started ([] for threads). */
  pids(): number[];
}

/** Starts executors of one kind. */
export interface HostFactory {
  readonly kind: "thread" | "process" | "sandbox" | (string & {});
  /** Resolves once executors can start (a sandbox builds its entry file first); absent when nothing is to do. */
  prepare?(): Promise<void>;
  /** Starts one executor; `label` names it in file names and logs. */
  start(spec: ExecutorSpec, events: HostEvents, label: string): ExecutorHost;
  /** Removes what prepare() made; executors are terminated by the pool before. */
  close(): Promise<void>;
}
