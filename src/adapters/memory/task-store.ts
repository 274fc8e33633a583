/**
 * Tasks and their queue in memory: the embedded mode's store, both sides of it (the API's TaskStore
 * and the dispatcher's DispatchQueue share one Map), and the reference implementation for their
 * contract suites. Terminal tasks are forgotten after the retention period. A cancelled QUEUED
 * task's id stays in the FIFO until a claim reaches it and skips it; `queued` counts the QUEUED tasks.
 * It keeps the task counters (TaskStats) where it changes tasks: enqueue, apply and cancel, and for
 * operators (OperationsStore) the listing indexes (task-index.ts), the per-second and per-function
 * counters (task-counts.ts), the attempts of each task and the retry marks.
 */
import type { SecondCounts } from "../../domain/activity.ts";
import { attemptEnded, attemptStarted } from "../../domain/attempt-log.ts";
import type { DomainError } from "../../domain/errors.ts";
import type { FunctionCounts } from "../../domain/function-stats.ts";
import type { OperationsStore } from "../../domain/operations-service.ts";
import type { TaskPage, TaskQuery } from "../../domain/task-listing.ts";
import { retriable, type RetryMark } from "../../domain/task-retries.ts";
import { sumStats, TaskCounters, type StatsSnapshot } from "../../domain/metrics.ts";
import type { Clock, DispatchQueue, TaskStats, TaskStore } from "../../domain/ports.ts";
import { err, ok, type Result } from "../../domain/result.ts";
import { applyTransition, cancelTask, isTerminal, startAttempt, type Task, type Transition } from "../../domain/task.ts";
import { FifoQueue } from "../../lib/fifo-queue.ts";
import { MemoryTaskCounts } from "./task-counts.ts";
import { MemoryTaskIndex } from "./task-index.ts";

export interface MemoryTaskStoreOptions {
  readonly clock: Clock;
  /** How long terminal tasks stay readable, in ms. */
  readonly retentionMs: number;
}

export class MemoryTaskStore implements TaskStore, DispatchQueue, TaskStats, OperationsStore {
  private readonly tasks = new Map<string, Task>();
  private readonly queue = new FifoQueue<string>();
  private readonly expiries = new FifoQueue<{ id: string; at: number }>();
  private readonly claimers = new Set<() => void>();
  /** How many tasks are QUEUED (the queue may also hold ids of tasks cancelled while queued). */
  private queued = 0;
  /** Counters and QUEUED count per tenant (GET /metrics shows a tenant its own). */
  private readonly byTenant = new Map<string, { counters: TaskCounters; queued: number }>();
  private readonly index = new MemoryTaskIndex((id) => this.tasks.get(id));
  private readonly counts = new MemoryTaskCounts();

  constructor(private readonly o: MemoryTaskStoreOptions) {}

  async enqueue(tasks: readonly Task[], maxQueue: number): Promise<Result<void, DomainError>> {
    const depth = this.queued;
    if (depth + tasks.length > maxQueue) return err({ kind: "QueueFull", depth, limit: maxQueue, retryAfterS: 1 });
    for (const t of tasks) {
      this.tasks.set(t.id, t);
      this.queue.push(t.id);
      this.index.added(t);
      this.counts.submitted(t.functionId, 1);
    }
    this.queued += tasks.length;
    for (const t of tasks) {
      const c = this.tenant(t.tenant);
      c.counters.submitted(1);
      c.queued++;
    }
    this.wake();
    return ok(undefined);
  }

  async get(id: string): Promise<Task | undefined> {
    this.expire();
    return this.tasks.get(id);
  }

  async getMany(ids: readonly string[]): Promise<(Task | undefined)[]> {
    this.expire();
    return ids.map((id) => this.tasks.get(id));
  }

  async claim(max: number, signal: AbortSignal): Promise<Task[]> {
    for (;;) {
      while (this.queue.length === 0) {
        if (signal.aborted) return [];
        await new Promise<void>((resolve) => {
          const done = (): void => {
            signal.removeEventListener("abort", done);
            this.claimers.delete(done);
            resolve();
          };
          this.claimers.add(done);
          signal.addEventListener("abort", done);
        });
      }
      const now = this.o.clock.now();
      const claimed: Task[] = [];
      while (claimed.length < max && this.queue.length > 0) {
        const id = this.queue.shift() as string;
        const task = this.tasks.get(id);
        if (task === undefined || task.status !== "QUEUED") continue; // cancelled while queued
        const running = attemptStarted(startAttempt(task, now), now);
        this.tasks.set(id, running);
        this.tenant(task.tenant).queued--;
        claimed.push(running);
      }
      this.queued -= claimed.length;
      if (claimed.length > 0 || signal.aborted) return claimed;
    }
  }

  async apply(transitions: readonly Transition[]): Promise<Task[]> {
    const now = this.o.clock.now();
    const changed: Task[] = [];
    let requeued = false;
    for (const t of transitions) {
      const task = this.tasks.get(t.taskId);
      const applied = task === undefined ? undefined : applyTransition(task, t, now);
      if (applied === undefined) continue;
      const next = attemptEnded(applied, t, now);
      this.tasks.set(next.id, next);
      changed.push(next);
      const c = this.tenant(next.tenant);
      if (next.status === "QUEUED") {
        this.queue.push(next.id);
        this.queued++;
        c.queued++;
        if (t.handback !== true) c.counters.retried();
        requeued = true;
      } else if (isTerminal(next.status)) {
        this.expiries.push({ id: next.id, at: now + this.o.retentionMs });
        c.counters.finished(next, now);
        this.finishedForOperators(next, now);
      }
    }
    if (requeued) this.wake();
    return changed;
  }

  async queueDepth(): Promise<number> {
    return this.queued;
  }

  async cancel(id: string): Promise<Result<Task, DomainError>> {
    this.expire();
    const task = this.tasks.get(id);
    if (task === undefined) return err({ kind: "UnknownTask", taskId: id });
    const now = this.o.clock.now();
    const cancelled = cancelTask(task, now);
    if (!cancelled.ok) return cancelled;
    const c = this.tenant(task.tenant);
    if (task.status === "QUEUED") {
      this.queued--;
      c.queued--;
    }
    const done = task.status === "RUNNING" ? attemptEnded(cancelled.value, { attempt: task.attempt, status: "CANCELLED" }, now) : cancelled.value;
    this.tasks.set(id, done);
    this.expiries.push({ id, at: now + this.o.retentionMs });
    c.counters.finished(done, now);
    this.finishedForOperators(done, now);
    return ok(done);
  }

  async snapshot(tenant?: string): Promise<StatsSnapshot> {
    if (tenant !== undefined) {
      const c = this.byTenant.get(tenant);
      return c === undefined ? new TaskCounters().snapshot(0) : c.counters.snapshot(c.queued);
    }
    return sumStats([...this.byTenant.values()].map((c) => c.counters.snapshot(c.queued)));
  }

  async list(q: TaskQuery): Promise<TaskPage> {
    this.expire();
    return this.index.list(q);
  }

  async markRetried(marks: readonly RetryMark[]): Promise<string[]> {
    this.expire();
    const marked: string[] = [];
    for (const m of marks) {
      const t = this.tasks.get(m.taskId);
      if (t === undefined || !retriable(t)) continue;
      this.tasks.set(t.id, { ...t, retriedAs: m.retriedAs });
      marked.push(t.id);
    }
    return marked;
  }

  async unmarkRetried(marks: readonly RetryMark[]): Promise<void> {
    for (const m of marks) {
      const t = this.tasks.get(m.taskId);
      if (t?.retriedAs !== m.retriedAs) continue;
      const { retriedAs: _, ...rest } = t;
      this.tasks.set(t.id, rest);
    }
  }

  async activity(tenant: string | undefined, fromSecond: number, toSecond: number): Promise<SecondCounts[]> {
    return this.counts.activity(tenant, fromSecond, toSecond);
  }

  async functionCounts(functionIds: readonly string[]): Promise<Map<string, FunctionCounts>> {
    return this.counts.functionCounts(functionIds);
  }

  private finishedForOperators(t: Task, now: number): void {
    this.index.finished(t);
    this.counts.finished(t, now);
  }

  private tenant(name: string): { counters: TaskCounters; queued: number } {
    let c = this.byTenant.get(name);
    if (c === undefined) this.byTenant.set(name, (c = { counters: new TaskCounters(), queued: 0 }));
    return c;
  }

  private wake(): void {
    for (const wake of [...this.claimers]) wake();
  }

  private expire(): void {
    const now = this.o.clock.now();
    for (let head = this.expiries.peek(); head !== undefined && head.at <= now; head = this.expiries.peek()) {
      this.expiries.shift();
      const gone = this.tasks.get(head.id);
      this.tasks.delete(head.id);
      if (gone !== undefined) this.index.expired(gone);
    }
  }
}
