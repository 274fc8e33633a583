/**
 * The use cases behind the REST API: register a function, execute it (one call or a batch), read a
 * task's status and result, long-poll for the result, cancel a task. Transport-free: the HTTP adapter validates the
 * shape of requests and maps the DomainErrors returned here to status codes.
 */
import { checkArgs } from "./args.ts";
import { invalid, type DomainError } from "./errors.ts";
import {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_TIMEOUT_MS,
  MAX_ATTEMPTS_LIMIT,
  MAX_TIMEOUT_MS,
  type FunctionRecord,
} from "./function-record.ts";
import type { CancelSignals, Clock, FunctionStore, IdGen, SourceChecker, TaskEvents, TaskStore } from "./ports.ts";
import { err, ok, type Result } from "./result.ts";
import { isTerminal, newTask, type Task } from "./task.ts";
import { TaskWaiters } from "./task-waiters.ts";

export const MAX_BATCH = 10_000;

export interface TaskServiceDeps {
  readonly functions: FunctionStore;
  readonly tasks: TaskStore;
  readonly events: TaskEvents;
  /** Where cancelled task ids go, so the dispatcher running one stops it. */
  readonly cancels: CancelSignals;
  readonly ids: IdGen;
  readonly clock: Clock;
  readonly checker: SourceChecker;
  /** Queue length past which execute answers QueueFull. */
  readonly maxQueue: number;
  /** Long-polls re-read the task this often even without a notification (a lost one only delays). */
  readonly recheckMs?: number;
}

export interface RegisterInput {
  readonly name: string;
  readonly payload: string;
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
}

export class TaskService {
  private readonly waiters: TaskWaiters;

  constructor(private readonly d: TaskServiceDeps) {
    this.waiters = new TaskWaiters(d.events, d.clock);
  }

  /** Registers a new immutable function; every call gets a new id. */
  async register(input: RegisterInput): Promise<Result<FunctionRecord, DomainError>> {
    const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxAttempts = input.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const bad = checkLimits(timeoutMs, maxAttempts);
    if (bad !== undefined) return err(bad);
    const code = this.d.checker.check(input.payload);
    if (!code.ok) return code;
    const fn: FunctionRecord = {
      id: this.d.ids.next(),
      name: input.name,
      source: input.payload,
      code: code.value,
      timeoutMs,
      maxAttempts,
      createdAt: this.d.clock.now(),
    };
    await this.d.functions.save(fn);
    return ok(fn);
  }

  getFunction(id: string): Promise<FunctionRecord | undefined> {
    return this.d.functions.get(id);
  }

  listFunctions(): Promise<FunctionRecord[]> {
    return this.d.functions.list();
  }

  /** Queues one task; `timeoutMs` overrides the function's deadline for this call. */
  async execute(functionId: string, payload: unknown, timeoutMs?: number): Promise<Result<string, DomainError>> {
    const ids = await this.executeBatch(functionId, [payload], timeoutMs, "payload");
    return ids.ok ? ok(ids.value[0] as string) : ids;
  }

  /** Queues several tasks of one function, all or nothing; a bad payload is named by its index. */
  async executeBatch(
    functionId: string,
    payloads: readonly unknown[],
    timeoutMs?: number,
    field = "payloads",
  ): Promise<Result<string[], DomainError>> {
    if (payloads.length > MAX_BATCH) {
      return err(invalid(`A batch holds at most ${MAX_BATCH} payloads, got ${payloads.length}`, field));
    }
    if (timeoutMs !== undefined) {
      const bad = checkLimits(timeoutMs, 1);
      if (bad !== undefined) return err(bad);
    }
    const fn = await this.d.functions.get(functionId);
    if (fn === undefined) return err({ kind: "UnknownFunction", functionId });
    const now = this.d.clock.now();
    const deadline = timeoutMs ?? fn.timeoutMs;
    const tasks: Task[] = new Array(payloads.length);
    for (let i = 0; i < payloads.length; i++) {
      const args = checkArgs(payloads[i], field === "payload" ? field : `${field}/${i}`);
      if (!args.ok) return args;
      tasks[i] = newTask(this.d.ids.next(), fn.id, args.value, fn.maxAttempts, deadline, now);
    }
    const queued = await this.d.tasks.enqueue(tasks, this.d.maxQueue);
    if (!queued.ok) return queued;
    return ok(tasks.map((t) => t.id));
  }

  async task(id: string): Promise<Result<Task, DomainError>> {
    const t = await this.d.tasks.get(id);
    return t === undefined ? err({ kind: "UnknownTask", taskId: id }) : ok(t);
  }

  /** The task, once terminal or after `waitMs` (0: at once), whichever comes first. */
  async awaitTask(id: string, waitMs: number): Promise<Result<Task, DomainError>> {
    const first = await this.task(id);
    if (!first.ok || waitMs <= 0 || isTerminal(first.value.status)) return first;
    const deadline = this.d.clock.now() + waitMs;
    const recheck = this.d.recheckMs ?? Number.POSITIVE_INFINITY;
    for (;;) {
      const left = deadline - this.d.clock.now();
      const w = this.waiters.waitFor(id, Math.max(0, Math.min(left, recheck)));
      const again = await this.task(id);
      if (!again.ok || isTerminal(again.value.status) || left <= 0) {
        w.cancel();
        return again;
      }
      await w.done;
      if (this.d.clock.now() >= deadline) return this.task(id);
    }
  }

  /**
   * Every listed task that is terminal, waiting up to `waitMs` until at least one is. Unknown (or
   * expired) ids are listed apart rather than failing the whole call.
   */
  async awaitAny(ids: readonly string[], waitMs: number): Promise<Result<TaskSweep, DomainError>> {
    if (ids.length > MAX_BATCH) return err(invalid(`At most ${MAX_BATCH} task ids per call, got ${ids.length}`, "task_ids"));
    const deadline = this.d.clock.now() + waitMs;
    const recheck = this.d.recheckMs ?? Number.POSITIVE_INFINITY;
    for (;;) {
      const left = deadline - this.d.clock.now();
      const w = left > 0 ? this.waiters.waitFor(ids, Math.min(left, recheck)) : undefined;
      const sweep = sweepTasks(ids, await this.d.tasks.getMany(ids));
      if (sweep.done.length > 0 || sweep.pending.length === 0 || w === undefined) {
        w?.cancel();
        return ok(sweep);
      }
      await w.done;
    }
  }

  /**
   * Cancels a QUEUED or RUNNING task: CANCELLED at once in the store, long-polls on it answer, and the
   * dispatcher running it (if any) stops its job. UnknownTask or AlreadyTerminal otherwise.
   */
  async cancel(id: string): Promise<Result<Task, DomainError>> {
    const cancelled = await this.d.tasks.cancel(id);
    if (!cancelled.ok) return cancelled;
    this.d.cancels.publish([id]);
    this.d.events.publish([id]);
    return cancelled;
  }

  /** How many long-poll requests are waiting right now (for metrics and tests). */
  waitingCount(): number {
    return this.waiters.size();
  }

  close(): void {
    this.waiters.close();
  }
}

/** What `awaitAny` found: terminal tasks, ids still running or queued, ids unknown. */
export interface TaskSweep {
  readonly done: Task[];
  readonly pending: string[];
  readonly unknown: string[];
}

function sweepTasks(ids: readonly string[], found: readonly (Task | undefined)[]): TaskSweep {
  const sweep: TaskSweep = { done: [], pending: [], unknown: [] };
  for (let i = 0; i < ids.length; i++) {
    const t = found[i];
    if (t === undefined) sweep.unknown.push(ids[i] as string);
    else if (isTerminal(t.status)) sweep.done.push(t);
    else sweep.pending.push(t.id);
  }
  return sweep;
}

function checkLimits(timeoutMs: number, maxAttempts: number): DomainError | undefined {
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    return invalid(`timeout_ms must be an integer from 1 to ${MAX_TIMEOUT_MS}, got ${timeoutMs}`, "timeout_ms");
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_LIMIT) {
    return invalid(`max_attempts must be an integer from 1 to ${MAX_ATTEMPTS_LIMIT}, got ${maxAttempts}`, "max_attempts");
  }
  return undefined;
}
