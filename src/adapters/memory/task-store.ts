/**
 * Tasks and their queue in memory: the embedded mode's store, both sides of it (the API's TaskStore
 * and the dispatcher's DispatchQueue share one Map), and the reference implementation for their
 * contract suites. Terminal tasks are forgotten after the retention period.
 *
 * Claim order and fair shares come from ReadyQueues (priorities with aging, round-robin over tenants,
 * tasks not due yet held until their runAt); the tenant limits (running at once, started per second)
 * are applied at claim. A task waiting for others (`after`) is in no queue until its last dependency
 * COMPLETES (see domain/dependencies.ts); a failed one fails it, and its own dependents in turn, at once.
 * Cancelled tasks stay in the queues until a claim meets and skips them.
 *
 * It keeps the task counters (TaskStats) where it changes tasks: enqueue, apply and cancel, and for
 * operators (OperationsStore) the listing indexes (task-index.ts), the per-second and per-function
 * counters (task-counts.ts), the attempts of each task and the retry marks. A finished task is kept
 * as a KeptTask (kept-task.ts: about half the memory) until it expires; reads that need a Task unpack it.
 */
import type { SecondCounts } from "../../domain/activity.ts";
import { attemptEnded, beginAttempt, settleAttempt } from "../../domain/attempt-log.ts";
import type { FunctionCounts } from "../../domain/function-stats.ts";
import type { OperationsStore } from "../../domain/operations-service.ts";
import type { TaskPage, TaskQuery } from "../../domain/task-listing.ts";
import { retriable, type RetryMark } from "../../domain/task-retries.ts";
import { settleDependency } from "../../domain/dependencies.ts";
import type { DomainError } from "../../domain/errors.ts";
import { sumStats, TaskCounters, type StatsSnapshot } from "../../domain/metrics.ts";
import type { Clock, DispatchQueue, EnqueueCaps, TaskEvents, TaskStats, TaskStore } from "../../domain/ports.ts";
import { err, ok, type Result } from "../../domain/result.ts";
import { cancelTask, isTerminal, type Task, type Transition } from "../../domain/task.ts";
import { limitsOf, TokenBucket, type LimitsTable } from "../../domain/tenant-limits.ts";
import { AbortWatch } from "../../lib/abort-watch.ts";
import { FifoQueue } from "../../lib/fifo-queue.ts";
import { KeptTask, KeptTasks } from "./kept-task.ts";
import { ReadyQueues } from "./ready-queues.ts";
import { MemoryTaskCounts } from "./task-counts.ts";
import { MemoryTaskIndex } from "./task-index.ts";

export interface MemoryTaskStoreOptions {
  readonly clock: Clock;
  /** How long terminal tasks stay readable, in ms. */
  readonly retentionMs: number;
  /** Quotas per tenant: running at once and started per second are applied at claim. */
  readonly limits?: LimitsTable;
  /** A waiting task rises one priority level per this many ms (default 30 s). */
  readonly agingMs?: number;
  /** Where tasks that fail because a task they waited for failed are announced (long-polls). */
  readonly events?: TaskEvents;
}

interface TenantState {
  readonly counters: TaskCounters;
  queued: number;
  running: number;
  bucket?: TokenBucket;
}

export class MemoryTaskStore implements TaskStore, DispatchQueue, TaskStats, OperationsStore {
  /** Unfinished tasks as they are, finished ones kept compactly. */
  private readonly tasks = new Map<string, Task | KeptTask>();
  private readonly kept = new KeptTasks();
  private readonly ready: ReadyQueues;
  /** Finished tasks in the order they expire, and when (two queues in step: no object per task). */
  private readonly expiryIds = new FifoQueue<string>();
  private readonly expiryAts = new FifoQueue<number>();
  private readonly claimers = new Set<() => void>();
  /** The claimers' signals, each listened to once (not once per wait). */
  private readonly aborts = new AbortWatch();
  /** How many tasks are QUEUED (due or not, blocked or not). */
  private queued = 0;
  private readonly byTenant = new Map<string, TenantState>();
  /** Task id -> the QUEUED tasks waiting for it. */
  private readonly dependents = new Map<string, Set<string>>();
  /** Blocked task id -> the results of its dependencies that COMPLETED so far. */
  private readonly depResults = new Map<string, ReadonlyMap<string, string>>();
  private readonly index = new MemoryTaskIndex((id) => this.read(id), (id) => this.tasks.get(id)?.status);
  private readonly counts = new MemoryTaskCounts();
  /** Tasks ended by the call in progress, indexed together at its end (index.finished sorts a batch once). */
  private justFinished: Task[] = [];

  constructor(private readonly o: MemoryTaskStoreOptions) {
    this.ready = new ReadyQueues(o.agingMs ?? 30_000);
  }

  async enqueue(tasks: readonly Task[], caps: EnqueueCaps): Promise<Result<void, DomainError>> {
    if (caps.ifAbsent === true && tasks[0] !== undefined && this.tasks.has(tasks[0].id)) return ok(undefined);
    const depth = this.queued;
    if (depth + tasks.length > caps.maxQueue) return err({ kind: "QueueFull", depth, limit: caps.maxQueue, retryAfterS: 1 });
    const tenant = tasks[0]?.tenant;
    if (tenant !== undefined && caps.tenantMaxQueued !== undefined) {
      const mine = this.byTenant.get(tenant)?.queued ?? 0;
      if (mine + tasks.length > caps.tenantMaxQueued) return err({ kind: "QueueFull", depth: mine, limit: caps.tenantMaxQueued, retryAfterS: 1, tenant });
    }
    const now = this.o.clock.now();
    for (const t of tasks) {
      this.tasks.set(t.id, t);
      this.counts.submitted(t.functionId, 1);
      const c = this.tenant(t.tenant);
      c.counters.submitted(1);
      c.queued++;
    }
    this.queued += tasks.length;
    this.index.added(tasks);
    const failed: Task[] = [];
    for (const t of tasks) {
      if (t.after === undefined || t.blockedBy === 0) this.ready.add(t, now);
      else this.link(t, now, failed);
    }
    this.indexFinished();
    this.announce(failed);
    this.wake();
    return ok(undefined);
  }

  async get(id: string): Promise<Task | undefined> {
    this.expire();
    return this.read(id);
  }

  async getMany(ids: readonly string[]): Promise<(Task | undefined)[]> {
    this.expire();
    return ids.map((id) => this.read(id));
  }

  async claim(max: number, signal: AbortSignal): Promise<Task[]> {
    for (;;) {
      if (signal.aborted) return [];
      const now = this.o.clock.now();
      this.ready.promoteDue(now);
      const ids = this.ready.take(max, (tenant) => this.allowance(tenant, now), (id) => this.tasks.get(id)?.status === "QUEUED");
      if (ids.length > 0) return this.start(ids, now);
      await this.nextChance(signal, now);
    }
  }

  async apply(transitions: readonly Transition[]): Promise<Task[]> {
    const now = this.o.clock.now();
    const added = this.ready.added;
    const changed: Task[] = [];
    for (const t of transitions) {
      const task = this.tasks.get(t.taskId);
      const next = task === undefined || task instanceof KeptTask ? undefined : settleAttempt(task, t, now); // a kept task is finished: the fence refuses
      if (next === undefined) continue;
      changed.push(next);
      const c = this.tenant(next.tenant);
      c.running--;
      if (next.status === "QUEUED") {
        this.tasks.set(next.id, next);
        this.ready.add(next, now);
        this.queued++;
        c.queued++;
        if (t.handback !== true) c.counters.retried();
      } else this.finished(next, now, changed);
    }
    this.indexFinished();
    this.wakeAfterSettling(added, now);
    return changed;
  }

  async queueDepth(): Promise<number> {
    return this.queued;
  }

  async cancel(id: string): Promise<Result<Task, DomainError>> {
    this.expire();
    const task = this.read(id);
    if (task === undefined) return err({ kind: "UnknownTask", taskId: id });
    const now = this.o.clock.now();
    const cancelled = cancelTask(task, now);
    if (!cancelled.ok) return cancelled;
    const added = this.ready.added;
    const c = this.tenant(task.tenant);
    if (task.status === "QUEUED") {
      this.queued--;
      c.queued--;
      this.depResults.delete(id);
    } else c.running--;
    const done = task.status === "RUNNING" ? attemptEnded(cancelled.value, { attempt: task.attempt, status: "CANCELLED" }, now) : cancelled.value;
    const failed: Task[] = [];
    this.finished(done, now, failed);
    this.indexFinished();
    this.announce(failed);
    this.wakeAfterSettling(added, now);
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
      const t = this.read(m.taskId);
      if (t === undefined || !retriable(t)) continue;
      this.tasks.set(t.id, this.kept.keep({ ...t, retriedAs: m.retriedAs }));
      marked.push(t.id);
    }
    return marked;
  }

  async unmarkRetried(marks: readonly RetryMark[]): Promise<void> {
    for (const m of marks) {
      const t = this.read(m.taskId);
      if (t?.retriedAs !== m.retriedAs) continue;
      const { retriedAs: _, ...rest } = t;
      this.tasks.set(t.id, this.kept.keep(rest));
    }
  }

  async activity(tenant: string | undefined, fromSecond: number, toSecond: number): Promise<SecondCounts[]> {
    return this.counts.activity(tenant, fromSecond, toSecond);
  }

  async functionCounts(functionIds: readonly string[]): Promise<Map<string, FunctionCounts>> {
    return this.counts.functionCounts(functionIds);
  }

  /** Starts an attempt of each task (RUNNING, attempt counted and recorded), charging its tenant's limits. */
  private start(ids: readonly string[], now: number): Task[] {
    const claimed: Task[] = [];
    for (const id of ids) {
      const running = beginAttempt(this.tasks.get(id) as Task, now);
      this.tasks.set(id, running);
      const c = this.tenant(running.tenant);
      c.queued--;
      c.running++;
      c.bucket?.take(1, now);
      claimed.push(running);
    }
    this.queued -= claimed.length;
    return claimed;
  }

  /** How many more tasks `tenant` may start now: its running and rate limits. */
  private allowance(tenant: string, now: number): number {
    if (this.o.limits === undefined) return Number.POSITIVE_INFINITY;
    const limits = limitsOf(this.o.limits, tenant);
    const c = this.tenant(tenant);
    let n = limits.maxRunning === undefined ? Number.POSITIVE_INFINITY : limits.maxRunning - c.running;
    if (limits.ratePerSec !== undefined) {
      c.bucket ??= new TokenBucket(limits.ratePerSec, now);
      n = Math.min(n, c.bucket.available(now));
    }
    return n;
  }

  /**
   * Waits for something that may make a task claimable: an enqueue, a settlement, a cancel, the next
   * task coming due, or a tenant's next token when its rate held work back.
   */
  private nextChance(signal: AbortSignal, now: number): Promise<void> {
    let at = this.ready.nextDueAt();
    if (this.o.limits !== undefined) {
      for (const tenant of this.ready.tenantsWithWork()) {
        const wait = this.byTenant.get(tenant)?.bucket?.waitMs(now);
        if (wait !== undefined && wait > 0) at = Math.min(at ?? Number.POSITIVE_INFINITY, now + wait);
      }
    }
    return new Promise<void>((resolve) => {
      const cancelTimer = at === undefined ? () => {} : this.o.clock.after(Math.max(0, at - now), () => done());
      const done = (): void => {
        cancelTimer();
        forget();
        this.claimers.delete(done);
        resolve();
      };
      this.claimers.add(done);
      const forget = this.aborts.on(signal, done);
    });
  }

  /** A task just became terminal: kept compactly, counted, expiring, and the tasks waiting for it settled. */
  private finished(task: Task, now: number, failed: Task[]): void {
    this.tasks.set(task.id, this.kept.keep(task));
    this.expiryIds.push(task.id);
    this.expiryAts.push(now + this.o.retentionMs);
    this.tenant(task.tenant).counters.finished(task, now);
    this.justFinished.push(task);
    this.counts.finished(task, now);
    const waiting = this.dependents.get(task.id);
    if (waiting === undefined) return;
    this.dependents.delete(task.id);
    for (const id of waiting) {
      const dependent = this.tasks.get(id);
      if (dependent !== undefined && !(dependent instanceof KeptTask)) this.settle(dependent, task.id, task, now, failed);
    }
  }

  /** Links a new blocked task to what it waits for; a dependency already terminal (or gone) settles at once. */
  private link(task: Task, now: number, failed: Task[]): void {
    for (const depId of task.after ?? []) {
      const dep = this.read(depId);
      if (dep !== undefined && !isTerminal(dep.status)) {
        let set = this.dependents.get(depId);
        if (set === undefined) this.dependents.set(depId, (set = new Set()));
        set.add(task.id);
        continue;
      }
      const current = this.read(task.id) as Task;
      if (current.status !== "QUEUED") return; // failed by an earlier dependency
      this.settle(current, depId, dep, now, failed);
    }
  }

  private settle(dependent: Task, depId: string, dep: Task | undefined, now: number, failed: Task[]): void {
    const step = settleDependency(dependent, depId, dep?.status, dep?.result ?? null, this.depResults.get(dependent.id) ?? new Map(), now);
    if (step.task === dependent) return;
    if (step.kind !== "failed") this.tasks.set(dependent.id, step.task); // a failed one is kept by finished()
    if (step.kind === "waiting") {
      this.depResults.set(dependent.id, step.results);
      return;
    }
    this.depResults.delete(dependent.id);
    const c = this.tenant(dependent.tenant);
    if (step.kind === "ready") {
      this.ready.add(step.task, now);
      return;
    }
    this.queued--;
    c.queued--;
    failed.push(step.task);
    this.finished(step.task, now, failed);
  }

  private indexFinished(): void {
    if (this.justFinished.length === 0) return;
    this.index.finished(this.justFinished);
    this.justFinished = [];
  }

  private announce(failed: readonly Task[]): void {
    if (failed.length > 0) this.o.events?.publish(failed.map((t) => t.id));
  }

  private tenant(name: string): TenantState {
    let c = this.byTenant.get(name);
    if (c === undefined) this.byTenant.set(name, (c = { counters: new TaskCounters(), queued: 0, running: 0 }));
    return c;
  }

  /**
   * After tasks settled: a freed running slot may let a waiting claim go on, and a task queued again
   * (a retry, a dependent let go) may be due sooner than what the claim waits for. With neither,
   * waking the dispatcher would only send it round its claim loop once more, once per task.
   */
  private wakeAfterSettling(addedBefore: number, now: number): void {
    if (this.ready.added !== addedBefore || this.ready.claimable(now)) this.wake();
  }

  private wake(): void {
    for (const wake of [...this.claimers]) wake();
  }

  /** The task as a Task: kept ones unpacked. */
  private read(id: string): Task | undefined {
    const t = this.tasks.get(id);
    return t instanceof KeptTask ? t.unpack() : t;
  }

  private expire(): void {
    const now = this.o.clock.now();
    for (let at = this.expiryAts.peek(); at !== undefined && at <= now; at = this.expiryAts.peek()) {
      this.expiryAts.shift();
      const id = this.expiryIds.shift() as string;
      const gone = this.tasks.get(id);
      this.tasks.delete(id);
      if (gone !== undefined) this.index.expired(gone);
    }
  }
}
