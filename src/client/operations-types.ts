/** The shapes the SDK's operator calls return (camelCase), and the wire shapes they read (snake_case). */
import type { TaskStatus } from "./types.ts";

/** One task in a list (`ops.tasks()`). Times are ISO 8601 text. */
export interface TaskListItem {
  readonly taskId: string;
  readonly functionId: string;
  /** "" when the function is gone. */
  readonly functionName: string;
  readonly status: TaskStatus;
  readonly attempt: number;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly errorName?: string;
  readonly retriedAs?: string;
}

/** A page of tasks, newest first; pass `nextCursor` as `cursor` for the next one (null: none left). */
export interface TaskPage {
  readonly tasks: TaskListItem[];
  readonly nextCursor: string | null;
}

/**
 * One attempt of a task: when it started and ended, how, and where it ran. `outcome` is null while it
 * runs (or when its dispatcher died); RETRIED: the task's retry policy ran it again after `error`.
 */
export interface AttemptInfo {
  readonly attempt: number;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly outcome: "COMPLETED" | "FAILED" | "CANCELLED" | "REQUEUED" | "HANDED_BACK" | "RETRIED" | null;
  readonly ranOn: string | null;
  /** FAILED or RETRIED: the error this attempt threw. */
  readonly error?: { readonly name: string; readonly message: string };
}

/** Everything about one task (`ops.task(id)`). `result` is parsed JSON (COMPLETED only). */
export interface TaskDetail {
  readonly taskId: string;
  readonly tenant: string;
  readonly functionId: string;
  readonly functionName: string;
  readonly status: TaskStatus;
  readonly args: unknown[];
  readonly result: unknown;
  readonly error: { readonly name: string; readonly message: string; readonly stack: string } | null;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  readonly priority: number;
  /** When it may start (its creation time unless delayed). */
  readonly runAt: string;
  /** Attempts its retry policy ran again (not counted in `maxAttempts`). */
  readonly retries: number;
  /** The tasks it waits (or waited) for. */
  readonly after?: string[];
  /** QUEUED with `after`: how many of those have not COMPLETED yet. */
  readonly waitingFor?: number;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  /** Oldest first (the latest 50). */
  readonly attempts: AttemptInfo[];
  readonly retryOf?: string;
  readonly retriedAs?: string;
}

/** A remote worker as its dispatcher reports it. */
export interface WorkerInfo {
  readonly workerId: string;
  readonly host: string;
  readonly mode: "pull" | "push";
  readonly capacity: number;
  readonly inFlight: number;
  readonly connectedSince: string;
  readonly lastHeartbeat: string;
  readonly tasksDone: number;
  readonly draining: boolean;
}

/** A dispatcher of the deployment, with its workers or its local executors (`ops.workers()`). */
export interface DispatcherInfo {
  readonly dispatcherId: string;
  readonly host: string;
  readonly mode: "local" | "pull" | "push" | "embedded";
  readonly startedAt: string;
  readonly reportedAt: string;
  readonly claiming: boolean;
  readonly inFlight: number;
  readonly tasksDone: number;
  readonly executors: { readonly isolation: string; readonly live: number; readonly max: number } | null;
  readonly workers: WorkerInfo[];
}

/** Wire shapes (see src/adapters/http/operations-schemas.ts on the server side). */
export interface WireTaskListItem {
  task_id: string;
  function_id: string;
  function_name: string;
  status: TaskStatus;
  attempt: number;
  created_at: string;
  finished_at: string | null;
  error_name?: string;
  retried_as?: string;
}
export interface WireTaskDetail {
  task_id: string;
  tenant: string;
  function_id: string;
  function_name: string;
  status: TaskStatus;
  payload: string;
  result: string | null;
  error: { name: string; message: string; stack: string } | null;
  attempt: number;
  max_attempts: number;
  timeout_ms: number;
  priority: number;
  run_at: string;
  retries: number;
  after?: string[];
  waiting_for?: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  attempts: { attempt: number; started_at: string; ended_at: string | null; outcome: AttemptInfo["outcome"]; ran_on: string | null; error?: { name: string; message: string } }[];
  retry_of?: string;
  retried_as?: string;
}
export interface WireDispatcher {
  dispatcher_id: string;
  host: string;
  mode: DispatcherInfo["mode"];
  started_at: string;
  reported_at: string;
  claiming: boolean;
  in_flight: number;
  tasks_done: number;
  executors: DispatcherInfo["executors"];
  workers: { worker_id: string; host: string; mode: "pull" | "push"; capacity: number; in_flight: number; connected_since: string; last_heartbeat: string; tasks_done: number; draining: boolean }[];
}
