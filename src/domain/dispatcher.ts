/**
 * Moves tasks from the DispatchQueue to an Executor and settles what comes back: it claims as many
 * tasks as the executor has free slots (one store round trip per batch), hands them over in one call,
 * and applies the outcomes as fenced transitions, publishing the tasks that became terminal.
 * Outcomes go to the store one apply at a time: those reported while an apply is on its way wait for
 * it and go together in the next, so a busy dispatcher sends fewer, bigger applies (each has a fixed
 * cost in the store) and an idle one sends each outcome at once.
 *
 * Functions are read through the FunctionStore it is given: pass the process's shared cache
 * (CachedFunctionStore) so a function is read from the backend once.
 *
 * Cancellation: the store cancels a task (TaskStore.cancel) and the API sends its id on CancelSignals.
 * A dispatcher holding the task stops its job (Executor.stop) and forgets the attempt, so a late outcome
 * is ignored; it then settles the attempt with a fenced CANCELLED transition, which the store refuses
 * (the task is CANCELLED already) but which lets the store's adapter forget the attempt too. A signal for
 * a task this dispatcher does not hold is remembered for a while: the task may be between its claim and
 * its hand-out, and is then never handed out.
 */
import { decide, errorResult, exhausted, handBack, type Outcome } from "./outcome.ts";
import type { CancelSignals, Clock, DispatchQueue, Executor, FunctionStore, Job, Logger, TaskEvents } from "./ports.ts";
import { isTerminal, spentAttempts, type Task, type Transition } from "./task.ts";

export interface DispatcherDeps {
  readonly queue: DispatchQueue;
  /** Where job code comes from: the process's shared function cache. */
  readonly functions: FunctionStore;
  readonly events: TaskEvents;
  /** Ids of cancelled tasks; the dispatcher stops the jobs it runs for them. */
  readonly cancels: CancelSignals;
  readonly executor: Executor;
  readonly logger: Logger;
  /** Sleeps between retries after a store error (backoff). */
  readonly clock: Clock;
  /** Jitter of retry backoffs, in [0, 1) (Math.random in production). Default 0.5: none. */
  readonly random?: () => number;
  /** Names this dispatcher in the attempts it settles ("dispatcher d-1 on host-a"), after the executor's own place. */
  readonly label?: string;
}

/** How many cancelled ids not held here are remembered (a claim racing its cancel). */
const RECENT_CANCELS = 4096;

export class Dispatcher {
  private readonly inFlight = new Map<string, Task>();
  /** Cancelled task ids this dispatcher did not hold when it heard of them, oldest first. */
  private readonly recentCancels = new Set<string>();
  private unsubscribeCancels: () => void = () => {};
  private readonly stopping = new AbortController();
  private loopDone: Promise<void> = Promise.resolve();
  /** Why the last claim failed; undefined while claims succeed (or none was tried yet). */
  private claimError: string | undefined;
  private started = false;
  private settling: Promise<unknown> = Promise.resolve();
  /** While draining: called after each settlement, to see whether nothing runs any more. */
  private drained: (() => void) | undefined;
  /** Attempts settled from executors' outcomes since it started. */
  private settled = 0;
  /** The outcomes' apply that has not started yet (it waits for the one on its way), if any. */
  private nextApply: { readonly transitions: Transition[]; readonly done: Promise<void> } | undefined;
  private lastApply: Promise<void> = Promise.resolve();

  constructor(private readonly d: DispatcherDeps) {
    d.executor.onOutcomes((outcomes) => {
      this.settling = this.settle(outcomes);
    });
  }

  start(): void {
    this.started = true;
    this.unsubscribeCancels = this.d.cancels.subscribe((ids) => this.cancelled(ids));
    this.loopDone = this.loop();
  }

  /**
   * Whether this dispatcher is claiming: started, not stopped, and its last claim did not fail (a
   * backend it cannot reach, a queue it cannot read). What a dispatcher's /healthz reports.
   */
  health(): { readonly claiming: boolean; readonly inFlight: number; readonly error?: string } {
    const claiming = this.started && !this.stopping.signal.aborted && this.claimError === undefined;
    return this.claimError === undefined ? { claiming, inFlight: this.inFlight.size } : { claiming, inFlight: this.inFlight.size, error: this.claimError };
  }

  /** Tasks handed to the executor and not yet settled. */
  inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Attempts settled from executors' outcomes since it started. */
  settledCount(): number {
    return this.settled;
  }

  private async loop(): Promise<void> {
    let backoff = 50;
    const signal = this.stopping.signal;
    // One abort listener for the loop's life. Racing each wait for room against a promise that settles
    // only at the stop left a reaction on that promise per wait: 128 bytes a claim, never freed.
    let stopWaiting = (): void => {};
    signal.addEventListener("abort", () => stopWaiting(), { once: true });
    while (!signal.aborted) {
      if (this.d.executor.freeSlots() === 0) {
        await new Promise<void>((resolve) => {
          stopWaiting = resolve;
          void this.d.executor.whenFree().then(resolve);
        });
        stopWaiting = () => {};
        if (signal.aborted) break;
      }
      try {
        // The room can shrink without an event (an executor's prefetch lapses with time): a claim of
        // none would block on the queue until a new task comes, so wait for room again instead.
        const room = this.d.executor.freeSlots();
        if (room === 0) continue;
        const claimed = await this.d.queue.claim(room, signal);
        this.claimError = undefined;
        if (claimed.length > 0) await this.handOut(claimed);
        backoff = 50;
      } catch (e) {
        this.claimError = String(e);
        this.d.logger.log("warn", "claim failed; retrying", { event: "dispatcher.claim_failed", error: String(e), backoffMs: backoff });
        await this.d.clock.sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  private async handOut(claimed: readonly Task[]): Promise<void> {
    const jobs: Job[] = [];
    const refused: Transition[] = [];
    // Each function of the claim is read once (a claim is mostly one function's tasks), not awaited
    // once per task (handOut was about 2% of the embedded server's main-thread samples in a throughput run).
    const fns = new Map<string, Awaited<ReturnType<FunctionStore["get"]>>>();
    for (const task of claimed) {
      if (spentAttempts(task) > task.maxAttempts) {
        refused.push(exhausted(task));
        continue;
      }
      let fn = fns.get(task.functionId);
      if (fn === undefined && !fns.has(task.functionId)) {
        fn = await this.d.functions.get(task.functionId);
        fns.set(task.functionId, fn);
      }
      if (fn === undefined) {
        refused.push({ taskId: task.id, attempt: task.attempt, status: "FAILED", result: errorResult("UnknownFunction", `Function ${task.functionId} no longer exists`) });
        continue;
      }
      if (this.recentCancels.delete(task.id)) {
        refused.push(cancelledAttempt(task));
        continue;
      }
      this.inFlight.set(task.id, task);
      jobs.push({ taskId: task.id, tenant: task.tenant, attempt: task.attempt, functionId: fn.id, code: fn.code, args: task.args, timeoutMs: task.timeoutMs });
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

  private async settle(outcomes: readonly Outcome[]): Promise<void> {
    const transitions: Transition[] = [];
    for (const o of outcomes) {
      const task = this.inFlight.get(o.taskId);
      if (task === undefined || task.attempt !== o.attempt) continue; // stale or unknown attempt
      this.inFlight.delete(o.taskId);
      this.settled++;
      transitions.push(this.placed(decide(task, o, this.d.random)));
    }
    if (transitions.length > 0) await this.applyInTurn(transitions);
    this.drained?.();
  }

  /** Applies outcomes' transitions after the apply on its way, together with any that come meanwhile. */
  private applyInTurn(transitions: readonly Transition[]): Promise<void> {
    if (this.nextApply !== undefined) {
      this.nextApply.transitions.push(...transitions);
      return this.nextApply.done;
    }
    const batch: Transition[] = [...transitions];
    const done = this.lastApply.then(() => {
      this.nextApply = undefined;
      return this.applyAndPublish(batch, true);
    });
    this.nextApply = { transitions: batch, done };
    this.lastApply = done;
    return done;
  }

  /** The transition with this dispatcher's label added to where the attempt ran. */
  private placed(t: Transition): Transition {
    if (this.d.label === undefined) return t;
    return { ...t, ranOn: t.ranOn === undefined ? this.d.label : `${t.ranOn} (${this.d.label})` };
  }

  private async applyAndPublish(transitions: readonly Transition[], evenWhenStopping = false): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const quiet = this.d.queue.announcesFinished === true; // the store publishes them itself
        const applied = await this.d.queue.apply(transitions, { quiet });
        if (quiet) return;
        // the ended tasks go with their ids: a long-poll in this process answers without reading them
        const finished = new Map<string, Task>();
        for (const t of applied) if (isTerminal(t.status)) finished.set(t.id, t);
        if (finished.size > 0) this.d.events.publish([...finished.keys()], finished);
        return;
      } catch (e) {
        if (this.stopping.signal.aborted && (!evenWhenStopping || attempt >= 3)) return;
        const wait = Math.min(50 * 2 ** attempt, 5000);
        this.d.logger.log("warn", "settling outcomes failed; retrying", { event: "dispatcher.settle_failed", error: String(e), backoffMs: wait });
        await this.d.clock.sleep(wait);
      }
    }
  }

  /**
   * A graceful stop: claims nothing more, lets the running tasks finish for up to `graceMs`, then hands
   * the rest back (QUEUED again, the attempt not counted toward max_attempts) and stops their jobs.
   * Returns how many were handed back.
   */
  async drain(graceMs: number): Promise<number> {
    this.stopping.abort();
    await this.loopDone;
    if (this.inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        const cancel = this.d.clock.after(graceMs, done);
        const poll = (): void => {
          if (this.inFlight.size === 0) done();
        };
        this.drained = poll;
        function done(): void {
          cancel();
          resolve();
        }
        poll();
      });
      this.drained = undefined;
    }
    await this.settling;
    const left = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const t of left) this.d.executor.stop(t.id);
    if (left.length > 0) await this.applyAndPublish(left.map((t) => handBack({ taskId: t.id, attempt: t.attempt })), true);
    this.unsubscribeCancels();
    return left.length;
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

