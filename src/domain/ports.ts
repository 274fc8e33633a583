/**
 * The ports: what the domain needs from the outside world. Adapters (memory, redis, bun-worker, http)
 * implement them; the domain never imports an adapter.
 */
import type { FunctionRecord } from "./function-record.ts";
import type { StatsSnapshot } from "./metrics.ts";
import type { Outcome } from "./outcome.ts";
import type { Result } from "./result.ts";
import type { DomainError } from "./errors.ts";
import type { Task, Transition } from "./task.ts";

/** Milliseconds since the epoch; a fake in tests. */
export interface Clock {
  now(): number;
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

/** Unique ids (UUIDs in production, counters in tests). */
export interface IdGen {
  next(): string;
}

/** JSON-lines logging. */
export interface Logger {
  log(level: "debug" | "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>): void;
}

/** Turns user source into checked plain JavaScript, without running any of it. */
export interface SourceChecker {
  check(source: string): Result<string, DomainError>;
}

export interface FunctionStore {
  save(fn: FunctionRecord): Promise<void>;
  get(id: string): Promise<FunctionRecord | undefined>;
  list(): Promise<FunctionRecord[]>;
  /** How many functions are registered (without reading them). */
  count(): Promise<number>;
}

/** Tasks and the queue that carries them to dispatchers. */
export interface TaskStore {
  /** Stores new QUEUED tasks and appends them to the queue, all or nothing; QueueFull past `maxQueue`. */
  enqueue(tasks: readonly Task[], maxQueue: number): Promise<Result<void, DomainError>>;
  get(id: string): Promise<Task | undefined>;
  getMany(ids: readonly string[]): Promise<(Task | undefined)[]>;
  /**
   * Waits until a task is queued (or `signal` aborts), then takes up to `max` of them, each RUNNING with
   * its attempt counted. Returns [] when aborted.
   */
  claim(max: number, signal: AbortSignal): Promise<Task[]>;
  /** Applies fenced transitions (stale ones are skipped); returns the tasks as changed. */
  apply(transitions: readonly Transition[]): Promise<Task[]>;
  queueDepth(): Promise<number>;
  /**
   * Cancels a QUEUED or RUNNING task atomically (see `cancelTask`): it leaves the queue (never claimed
   * afterwards), a later transition of its running attempt is refused, and it expires after the retention
   * period like other terminal tasks. UnknownTask when missing or expired, AlreadyTerminal when terminal.
   */
  cancel(id: string): Promise<Result<Task, DomainError>>;
}

/**
 * The deployment's task counters (for GET /metrics). The TaskStore keeps them in the same atomic step
 * as the changes they count, so every process sees the same numbers; see metrics.ts.
 */
export interface TaskStats {
  snapshot(): Promise<StatsSnapshot>;
}

/** "These tasks are terminal" notifications, for long-polls. */
export interface TaskEvents {
  publish(taskIds: readonly string[]): void;
  subscribe(listener: (taskIds: readonly string[]) => void): () => void;
}

/**
 * "These tasks were cancelled" notifications, for dispatchers: the one running such a task stops its
 * job. Best effort like TaskEvents (the store has the task CANCELLED already; a lost signal only lets
 * the attempt run to its end, its outcome then refused by the fence).
 */
export interface CancelSignals {
  publish(taskIds: readonly string[]): void;
  subscribe(listener: (taskIds: readonly string[]) => void): () => void;
}

/** One attempt of one task, as handed to an executor. */
export interface Job {
  readonly taskId: string;
  /** Who submitted it ("default" without API keys): executors are never shared between tenants. */
  readonly tenant: string;
  readonly attempt: number;
  readonly functionId: string;
  readonly code: string;
  readonly args: string;
  readonly timeoutMs: number;
}

/** Runs jobs somewhere (threads, processes, remote workers) and reports outcomes in batches. */
export interface Executor {
  /** How many more jobs it takes right now. */
  freeSlots(): number;
  run(jobs: readonly Job[]): void;
  /** Stops one job (cancellation); its outcome is not reported. */
  stop(taskId: string): void;
  onOutcomes(listener: (outcomes: readonly Outcome[]) => void): void;
  /** Resolves when a slot frees up (or immediately if one is free). */
  whenFree(): Promise<void>;
  close(): Promise<void>;
}
