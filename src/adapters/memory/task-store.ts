/**
 * Tasks and their queue in memory: the embedded mode's store, both sides of it (the API's TaskStore
 * and the dispatcher's DispatchQueue share one Map), and the reference implementation for their
 * contract suites. Terminal tasks are forgotten after the retention period. A cancelled QUEUED
 * task's id stays in the FIFO until a claim reaches it and skips it; `queued` counts the QUEUED tasks.
 * It keeps the task counters (TaskStats) where it changes tasks: enqueue, apply and cancel.
 */
import type { DomainError } from "../../domain/errors.ts";
import { sumStats, TaskCounters, type StatsSnapshot } from "../../domain/metrics.ts";
import type { Clock, DispatchQueue, EnqueueCaps, TaskStats, TaskStore } from "../../domain/ports.ts";
import { err, ok, type Result } from "../../domain/result.ts";
import { applyTransition, cancelTask, isTerminal, startAttempt, type Task, type Transition } from "../../domain/task.ts";
import { FifoQueue } from "../../lib/fifo-queue.ts";

export interface MemoryTaskStoreOptions {
  readonly clock: Clock;
  /** How long terminal tasks stay readable, in ms. */
  readonly retentionMs: number;
}

export class MemoryTaskStore implements TaskStore, DispatchQueue, TaskStats {
  private readonly tasks = new Map<string, Task>();
  private readonly queue = new FifoQueue<string>();
  private readonly expiries = new FifoQueue<{ id: string; at: number }>();
  private readonly claimers = new Set<() => void>();
  /** How many tasks are QUEUED (the queue may also hold ids of tasks cancelled while queued). */
  private queued = 0;
  /** Counters and QUEUED count per tenant (GET /metrics shows a tenant its own). */
  private readonly byTenant = new Map<string, { counters: TaskCounters; queued: number }>();

  constructor(private readonly o: MemoryTaskStoreOptions) {}

  async enqueue(tasks: readonly Task[], caps: EnqueueCaps): Promise<Result<void, DomainError>> {
    if (caps.ifAbsent === true && tasks[0] !== undefined && this.tasks.has(tasks[0].id)) return ok(undefined);
    const depth = this.queued;
    if (depth + tasks.length > caps.maxQueue) return err({ kind: "QueueFull", depth, limit: caps.maxQueue, retryAfterS: 1 });
    const tenant = tasks[0]?.tenant;
    if (tenant !== undefined && caps.tenantMaxQueued !== undefined) {
      const mine = this.byTenant.get(tenant)?.queued ?? 0;
      if (mine + tasks.length > caps.tenantMaxQueued) return err({ kind: "QueueFull", depth: mine, limit: caps.tenantMaxQueued, retryAfterS: 1, tenant });
    }
    for (const t of tasks) {
      this.tasks.set(t.id, t);
      this.queue.push(t.id);
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
        const running = startAttempt(task, now);
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
      const next = task === undefined ? undefined : applyTransition(task, t, now);
      if (next === undefined) continue;
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
    this.tasks.set(id, cancelled.value);
    this.expiries.push({ id, at: now + this.o.retentionMs });
    c.counters.finished(cancelled.value, now);
    return cancelled;
  }

  async snapshot(tenant?: string): Promise<StatsSnapshot> {
    if (tenant !== undefined) {
      const c = this.byTenant.get(tenant);
      return c === undefined ? new TaskCounters().snapshot(0) : c.counters.snapshot(c.queued);
    }
    return sumStats([...this.byTenant.values()].map((c) => c.counters.snapshot(c.queued)));
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
      this.tasks.delete(head.id);
    }
  }
}
