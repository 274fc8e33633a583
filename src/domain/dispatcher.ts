/**
 * Moves tasks from the TaskStore's queue to an Executor and settles what comes back: it claims as many
 * tasks as the executor has free slots (one store round trip per batch), hands them over in one call,
 * and applies the outcomes as fenced transitions, publishing the tasks that became terminal.
 *
 * Cancellation: the store cancels a task (TaskStore.cancel) and the API sends its id on CancelSignals.
 * A dispatcher holding the task stops its job (Executor.stop) and forgets the attempt, so a late outcome
 * is ignored; it then settles the attempt with a fenced CANCELLED transition, which the store refuses
 * (the task is CANCELLED already) but which lets the store's adapter forget the attempt too. A signal for
 * a task this dispatcher does not hold is remembered for a while: the task may be between its claim and
 * its hand-out, and is then never handed out.
 */
import type { FunctionRecord } from "./function-record.ts";
import { decide, errorResult, exhausted, type Outcome } from "./outcome.ts";
import type { CancelSignals, Executor, FunctionStore, Job, Logger, TaskEvents, TaskStore } from "./ports.ts";
import { isTerminal, type Task, type Transition } from "./task.ts";

export interface DispatcherDeps {
  readonly tasks: TaskStore;
  readonly functions: FunctionStore;
  readonly events: TaskEvents;
  /** Ids of cancelled tasks; the dispatcher stops the jobs it runs for them. */
  readonly cancels: CancelSignals;
  readonly executor: Executor;
  readonly logger: Logger;
  /** Waits before retrying after a store error (backoff); injected so tests need not sleep. */
  readonly pause: (ms: number) => Promise<void>;
}

/** How many cancelled ids not held here are remembered (a claim racing its cancel). */
const RECENT_CANCELS = 4096;

export class Dispatcher {
  private readonly inFlight = new Map<string, Task>();
  /** Cancelled task ids this dispatcher did not hold when it heard of them, oldest first. */
  private readonly recentCancels = new Set<string>();
  private unsubscribeCancels: () => void = () => {};
  private readonly fnCache = new Map<string, FunctionRecord>();
  private readonly stopping = new AbortController();
  private loopDone: Promise<void> = Promise.resolve();
  private settling: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: DispatcherDeps) {
    d.executor.onOutcomes((outcomes) => {
      this.settling = this.settle(outcomes);
    });
  }

  start(): void {
    this.unsubscribeCancels = this.d.cancels.subscribe((ids) => this.cancelled(ids));
    this.loopDone = this.loop();
  }

  /** Tasks handed to the executor and not yet settled. */
  inFlightCount(): number {
    return this.inFlight.size;
  }

  private async loop(): Promise<void> {
    let backoff = 50;
    const signal = this.stopping.signal;
    const aborted = new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    while (!signal.aborted) {
      await Promise.race([this.d.executor.whenFree(), aborted]);
      if (signal.aborted) break;
      try {
        const claimed = await this.d.tasks.claim(this.d.executor.freeSlots(), signal);
        if (claimed.length > 0) await this.handOut(claimed);
        backoff = 50;
      } catch (e) {
        this.d.logger.log("warn", "claim failed; retrying", { error: String(e), backoffMs: backoff });
        await this.d.pause(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  private async handOut(claimed: readonly Task[]): Promise<void> {
    const jobs: Job[] = [];
    const refused: Transition[] = [];
    for (const task of claimed) {
      if (task.attempt > task.maxAttempts) {
        refused.push(exhausted(task));
        continue;
      }
      const fn = await this.functionFor(task.functionId);
      if (fn === undefined) {
        refused.push({ taskId: task.id, attempt: task.attempt, status: "FAILED", result: errorResult("UnknownFunction", `Function ${task.functionId} no longer exists`) });
        continue;
      }
      if (this.recentCancels.delete(task.id)) {
        refused.push(cancelledAttempt(task));
        continue;
      }
      this.inFlight.set(task.id, task);
      jobs.push({ taskId: task.id, tenant: tenantOf(task), attempt: task.attempt, functionId: fn.id, code: fn.code, args: task.args, timeoutMs: task.timeoutMs });
    }
    // A cancel heard during the awaits above took its task out of inFlight: do not start it.
    const live = jobs.filter((j) => this.inFlight.get(j.taskId)?.attempt === j.attempt);
    if (live.length > 0) this.d.executor.run(live);
    if (refused.length > 0) await this.applyAndPublish(refused);
  }

  /** Stops the jobs of cancelled tasks held here; remembers the others for a while. */
  private cancelled(ids: readonly string[]): void {
    const settle: Transition[] = [];
    for (const id of ids) {
      const task = this.inFlight.get(id);
      if (task === undefined) {
        this.recentCancels.delete(id);
        this.recentCancels.add(id);
        if (this.recentCancels.size > RECENT_CANCELS) this.recentCancels.delete(this.recentCancels.values().next().value as string);
        continue;
      }
      this.inFlight.delete(id);
      this.d.executor.stop(id);
      settle.push(cancelledAttempt(task));
    }
    if (settle.length > 0) this.settling = Promise.all([this.settling, this.applyAndPublish(settle)]);
  }

  private async functionFor(id: string): Promise<FunctionRecord | undefined> {
    const cached = this.fnCache.get(id);
    if (cached !== undefined) return cached;
    const fn = await this.d.functions.get(id);
    if (fn !== undefined) {
      if (this.fnCache.size >= 10_000) this.fnCache.clear();
      this.fnCache.set(id, fn);
    }
    return fn;
  }

  private async settle(outcomes: readonly Outcome[]): Promise<void> {
    const transitions: Transition[] = [];
    for (const o of outcomes) {
      const task = this.inFlight.get(o.taskId);
      if (task === undefined || task.attempt !== o.attempt) continue; // stale or unknown attempt
      this.inFlight.delete(o.taskId);
      transitions.push(decide(task, o));
    }
    if (transitions.length > 0) await this.applyAndPublish(transitions);
  }

  private async applyAndPublish(transitions: readonly Transition[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const applied = await this.d.tasks.apply(transitions);
        const done: string[] = [];
        for (const t of applied) if (isTerminal(t.status)) done.push(t.id);
        if (done.length > 0) this.d.events.publish(done);
        return;
      } catch (e) {
        if (this.stopping.signal.aborted) return;
        const wait = Math.min(50 * 2 ** attempt, 5000);
        this.d.logger.log("warn", "settling outcomes failed; retrying", { error: String(e), backoffMs: wait });
        await this.d.pause(wait);
      }
    }
  }

  /** Stops claiming, waits for the loop and the last settlement. In-flight tasks stay RUNNING. */
  async stop(): Promise<void> {
    this.unsubscribeCancels();
    this.stopping.abort();
    await this.loopDone;
    await this.settling;
  }
}

/** The fenced transition settling a cancelled attempt (refused when the store cancelled the task first). */
function cancelledAttempt(task: Pick<Task, "id" | "attempt">): Transition {
  return { taskId: task.id, attempt: task.attempt, status: "CANCELLED", result: null };
}

/** The task's tenant when the store keeps one, else "default" (tasks from before tenants existed). */
function tenantOf(task: Task): string {
  const tenant = (task as { readonly tenant?: unknown }).tenant;
  return typeof tenant === "string" && tenant !== "" ? tenant : "default";
}
