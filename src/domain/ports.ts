/**
 * The ports: what the domain needs from the outside world, each shaped by the code that calls it.
 * Adapters (memory, redis, executors, remote, system) implement them; the domain never imports an
 * adapter.
 */
import type { FunctionRecord } from "./function-record.ts";
import type { StatsSnapshot } from "./metrics.ts";
import type { Outcome } from "./outcome.ts";
import type { Result } from "./result.ts";
import type { DomainError } from "./errors.ts";
import type { Schedule } from "./schedule.ts";
import type { Task, TaskStatus, Transition } from "./task.ts";

/** Time: milliseconds since the epoch, timers and sleeps. The system clock in production, a fake in tests. */
export interface Clock {
  now(): number;
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
  /** Resolves after `ms` (for backoff between retries, never to wait for an event). */
  sleep(ms: number): Promise<void>;
}

/** Unique ids (UUIDs in production, counters in tests). */
export interface IdGen {
  next(): string;
  /**
   * `n` ids for tasks stored together (one batch). A store split into shards gives them one shard, so
   * the batch is stored in one step; without it, ids come from `next`.
   */
  batch?(n: number): string[];
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
  /** The functions of `tenant`, or of every tenant when undefined. */
  list(tenant?: string): Promise<FunctionRecord[]>;
  /** How many functions `tenant` (every tenant when undefined) registered, without reading them. */
  count(tenant?: string): Promise<number>;
}

/** The queue limits new tasks meet: the deployment's, and the tenant's own (its `maxQueued`). */
export interface EnqueueCaps {
  readonly maxQueue: number;
  readonly tenantMaxQueued?: number;
  /**
   * When the first task's id is stored already, store nothing and answer ok: re-sending a batch with
   * the same ids is then safe (idempotency keys, schedule ticks).
   */
  readonly ifAbsent?: boolean;
}

/** What an idempotency key stands for: the request it came with, and the tasks that request created. */
export interface IdempotencyRecord {
  /** A digest of the request (route and body, the key left out): a different request gets 409. */
  readonly fingerprint: string;
  /** The ids of the request's tasks, chosen before they were stored. */
  readonly taskIds: readonly string[];
}

/** The request's key was new (its record now stored), or was known (with the record stored first). */
export type Remembered = { readonly fresh: true } | { readonly fresh: false; readonly record: IdempotencyRecord };

/** Idempotency keys per tenant: the first request with a key wins, later ones read what it stored. */
export interface IdempotencyStore {
  /**
   * Stores `record` under the tenant's `key` for `ttlMs` unless the key is known, atomically: of two
   * calls racing on one key exactly one is fresh, and the other reads the first one's record.
   */
  remember(tenant: string, key: string, record: IdempotencyRecord, ttlMs: number): Promise<Remembered>;
  /** Drops the key, so it can name a new request (the one it named stored nothing). */
  forget(tenant: string, key: string): Promise<void>;
}

/** A task not terminal yet as `TaskStore.peekMany` may give it: its status and its tenant only. */
export interface Unfinished {
  readonly unfinished: true;
  readonly id: string;
  readonly tenant: string;
  readonly status: TaskStatus;
}

/** The API's side of the tasks: submit, read, cancel. */
export interface TaskStore {
  /**
   * Stores new QUEUED tasks (all of one tenant) and queues them, all or nothing: a task is claimable
   * from its `runAt`, once its `after` tasks all COMPLETED, in the order of queue-order.ts. QueueFull
   * past `caps`; UnknownFunction when the backend no longer has a function (Redis restarted empty
   * under a process that cached it).
   */
  enqueue(tasks: readonly Task[], caps: EnqueueCaps): Promise<Result<void, DomainError>>;
  get(id: string): Promise<Task | undefined>;
  getMany(ids: readonly string[]): Promise<(Task | undefined)[]>;
  /**
   * Like getMany, for long-polls that look at many tasks again and again: a task not terminal yet may
   * come back as just its status and tenant (`Unfinished`), which a store can read without the whole
   * record. Terminal tasks come back whole. Default: getMany.
   */
  peekMany?(ids: readonly string[]): Promise<(Task | Unfinished | undefined)[]>;
  queueDepth(): Promise<number>;
  /**
   * Cancels a QUEUED or RUNNING task atomically (see `cancelTask`): it leaves the queue (never claimed
   * afterwards), a later transition of its running attempt is refused, and it expires after the retention
   * period like other terminal tasks. UnknownTask when missing or expired, AlreadyTerminal when terminal.
   */
  cancel(id: string): Promise<Result<Task, DomainError>>;
}

/** The dispatcher's side of the tasks: take queued ones, settle their attempts. */
export interface DispatchQueue {
  /**
   * Waits until a task is queued (or `signal` aborts), then takes up to `max` of them, each RUNNING with
   * its attempt counted. Returns [] when aborted, and may return [] after waiting a while with nothing
   * queued (a backend that wants to show it is alive); callers simply ask again.
   */
  claim(max: number, signal: AbortSignal): Promise<Task[]>;
  /**
   * Applies fenced transitions (stale ones are skipped); returns the tasks as changed. With `quiet`
   * the caller does not need them back (a store that announces them itself may return none).
   */
  apply(transitions: readonly Transition[], o?: { readonly quiet?: boolean }): Promise<Task[]>;
  /**
   * True when `apply` itself announces the tasks it ends on the task events (Redis: the APPLY script
   * publishes them, with their records): the caller then does not publish them again.
   */
  readonly announcesFinished?: boolean;
}

/**
 * The deployment's task counters (for GET /metrics). The stores keep them in the same atomic step
 * as the changes they count, so every process sees the same numbers; see metrics.ts.
 */
export interface TaskStats {
  /** The counters of `tenant`'s tasks, or of every tenant's when undefined. */
  snapshot(tenant?: string): Promise<StatsSnapshot>;
}

/**
 * A broadcast of task ids to every process of the deployment that listens (best effort: a message lost
 * while a process is disconnected is only a delay, never a wrong answer). Two channels use it:
 * - task events: "these tasks are terminal", for long-polls;
 * - cancel signals: "these tasks were cancelled", for dispatchers (the one running such a task stops
 *   its job; a lost signal only lets the attempt run to its end, its outcome then refused by the fence).
 */
export interface IdChannel {
  publish(taskIds: readonly string[]): void;
  subscribe(listener: (taskIds: readonly string[]) => void): () => void;
}

/**
 * "These tasks are terminal", for long-polls. A publisher may send the finished tasks themselves
 * (the Redis APPLY script does, for records under 64 KiB): listeners then get them in `finished`, and
 * need not read them again.
 */
export interface TaskEvents extends IdChannel {
  /** `finished`: the terminal tasks themselves, when the publisher has them (listeners then need not read them). */
  publish(taskIds: readonly string[], finished?: ReadonlyMap<string, Task>): void;
  subscribe(listener: (taskIds: readonly string[], finished?: ReadonlyMap<string, Task>) => void): () => void;
}
export type CancelSignals = IdChannel;
/** Ids of schedules that were created, paused, resumed or deleted: running schedulers re-read them. */
export type ScheduleChanges = IdChannel;

/**
 * Recurring schedules (see schedule.ts): the API creates, lists, pauses and deletes them; schedulers
 * read them and move each one's next tick forward with `advance`, a compare-and-set, so of several
 * schedulers firing the same tick only one moves it.
 */
export interface ScheduleStore {
  /** Stores a new schedule (its id is new). */
  create(s: Schedule): Promise<void>;
  get(id: string): Promise<Schedule | undefined>;
  /** The schedules of `tenant`, or of every tenant when undefined, in no particular order. */
  list(tenant?: string): Promise<Schedule[]>;
  /** Pauses or resumes; with `nextAt`, also moves the next tick. The schedule as changed; undefined when missing. */
  setPaused(id: string, paused: boolean, nextAt?: number): Promise<Schedule | undefined>;
  /** Deletes; false when there was none. */
  delete(id: string): Promise<boolean>;
  /**
   * Moves `nextAt` from `from` to `to`, only while it is still `from` (and the schedule exists); with
   * `firedTick`, records it as the last tick that produced a task. True when it moved.
   */
  advance(id: string, from: number, to: number, firedTick?: number): Promise<boolean>;
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

/** Which attempt of which task. */
export interface JobRef {
  readonly taskId: string;
  readonly attempt: number;
}

/** Runs jobs somewhere (threads, processes, remote workers) and reports outcomes in batches. */
export interface Executor {
  /** How many more jobs it takes right now. */
  freeSlots(): number;
  run(jobs: readonly Job[]): void;
  /** Stops one job (cancellation); its outcome is not reported. */
  stop(taskId: string): void;
  onOutcomes(listener: (outcomes: readonly Outcome[]) => void): void;
  /** Hears, in batches, of jobs that started running (a remote worker reports them so its dispatcher can time them). */
  onStarted(listener: (started: readonly JobRef[]) => void): void;
  /** Resolves when a slot frees up (or immediately if one is free). */
  whenFree(): Promise<void>;
  close(): Promise<void>;
}
