/**
 * Remote workers as a dispatcher sees them (pull and push modes): each worker's capacity, the jobs it
 * holds for this dispatcher (task id -> attempt), when it was last heard from, and, in pull mode, the
 * credits it granted (slots it asked to have filled). Pure: time comes in as `now`, and nothing here
 * sends anything; the adapter reports what this returns (lost jobs, expired workers) and sends jobs
 * where `allocate` says.
 *
 * Free capacity of a worker:
 * - push: `capacity + prefetch - inFlight - busy` (`busy`: slots it still spends on jobs from before
 *   its latest registration, which this registry does not track; prefetch: what it finished lately,
 *   prefetch.ts, counted when `now` is given), so a worker is sent at most what it holds plus about
 *   PREFETCH_SPAN_MS of its work, which waits on the worker;
 * - pull: the credits it granted that jobs have not used yet (the worker counts its own busy slots and
 *   its own prefetch before it grants any), never more than `capacity + prefetch - inFlight` (its pace
 *   as seen here: credit it granted while fast does not fill it once its tasks have slowed).
 *
 * @example
 * ```ts
 * const reg = new WorkerRegistry({ policy: "push", timeoutMs: 3000 });
 * reg.register("w1", { capacity: 2, busy: 0, credit: 0 }, clock.now());
 * for (const [id, n] of reg.allocate(5)) { ... } // [["w1", 2]]
 * reg.assign("w1", "task-1", 1);
 * reg.expired(clock.now() + 3001); // ["w1"]
 * ```
 */

import type { Outcome } from "./outcome.ts";
import { PREFETCH_MAX_EXTRA, Prefetch, quickEnd } from "./prefetch.ts";

export type WorkerPolicy = "push" | "pull";

/** One attempt of one task held by a worker. */
export interface HeldJob {
  readonly taskId: string;
  readonly attempt: number;
}

/** What a worker announces when it registers. */
export interface Registration {
  /** Jobs it can hold at once (executors x slots). */
  readonly capacity: number;
  /** Slots already taken by jobs from an earlier registration (after a reconnect or a dispatcher restart). */
  readonly busy: number;
  /** Pull mode: slots it asks to have filled now. */
  readonly credit: number;
  /** The host it runs on, as it says (for operators). */
  readonly host?: string;
}

export interface WorkerView {
  readonly id: string;
  readonly capacity: number;
  readonly busy: number;
  readonly credits: number;
  readonly lastSeen: number;
  readonly inFlight: number;
  readonly host: string;
  /** When it registered (this registration). */
  readonly registeredAt: number;
  /** Outcomes it reported under this registration. */
  readonly done: number;
  readonly draining: boolean;
}

interface WorkerState {
  readonly id: string;
  readonly capacity: number;
  /** Shutting down: takes no more jobs. */
  draining: boolean;
  busy: number;
  credits: number;
  lastSeen: number;
  readonly jobs: Map<string, number>;
  readonly host: string;
  readonly registeredAt: number;
  done: number;
  /** Its pace: quick jobs it finished lately, room beyond its capacity (prefetch.ts). */
  readonly prefetch: Prefetch;
}

export class WorkerRegistry {
  private readonly workers = new Map<string, WorkerState>();
  /** task id -> id of the worker holding it (for cancellation). */
  private readonly holder = new Map<string, string>();

  constructor(private readonly o: { readonly policy: WorkerPolicy; readonly timeoutMs: number; /** Most capacity one worker may claim (default unbounded). */ readonly maxCapacity?: number }) {}

  /**
   * Adds a worker, or starts it afresh when it registers again: whatever it held under its previous
   * registration is returned, to be reported lost (the worker may never have received it).
   */
  register(id: string, r: Registration, now: number): HeldJob[] {
    const lost = this.remove(id);
    const capacity = clamp(r.capacity, 0, this.o.maxCapacity ?? Number.MAX_SAFE_INTEGER);
    const busy = clamp(r.busy, 0, capacity);
    this.workers.set(id, { id, capacity, busy, credits: clamp(r.credit, 0, capacity - busy), lastSeen: now, jobs: new Map(), draining: false, host: r.host ?? "", registeredAt: now, done: 0, prefetch: new Prefetch() });
    return lost;
  }

  /** Records that the worker was heard from; false when it is unknown (it must register again). */
  heartbeat(id: string, now: number, busy?: number): boolean {
    const w = this.workers.get(id);
    if (w === undefined) return false;
    w.lastSeen = Math.max(w.lastSeen, now);
    if (busy !== undefined) w.busy = clamp(busy, 0, w.capacity);
    return true;
  }

  /** Pull mode: the worker asks for `n` more jobs. False when unknown. */
  grant(id: string, n: number): boolean {
    const w = this.workers.get(id);
    if (w === undefined) return false;
    w.credits = clamp(w.credits + Math.floor(n), 0, w.capacity * (1 + PREFETCH_MAX_EXTRA));
    return true;
  }

  /** The worker is shutting down: it gets no more jobs; what it holds may still finish. False when unknown. */
  drain(id: string): boolean {
    const w = this.workers.get(id);
    if (w === undefined) return false;
    w.draining = true;
    return true;
  }

  /** Forgets a worker (it said bye, or it is dead); returns the jobs it held, to be reported lost. */
  remove(id: string): HeldJob[] {
    const w = this.workers.get(id);
    if (w === undefined) return [];
    this.workers.delete(id);
    const held: HeldJob[] = [];
    for (const [taskId, attempt] of w.jobs) {
      held.push({ taskId, attempt });
      if (this.holder.get(taskId) === id) this.holder.delete(taskId);
    }
    return held;
  }

  /**
   * The observer (the dispatcher's event loop) could not run for `pausedMs`: a busy CPU, a long GC.
   * Messages workers sent meanwhile may still sit unread, so silence during the pause is not evidence
   * against them: every worker's last-seen time moves forward by the pause.
   */
  forgive(pausedMs: number): void {
    if (!(pausedMs > 0)) return;
    for (const w of this.workers.values()) w.lastSeen += pausedMs;
  }

  /** Workers silent for longer than the timeout at `now` (still registered: `remove` them). */
  expired(now: number): string[] {
    const out: string[] = [];
    for (const w of this.workers.values()) if (now - w.lastSeen > this.o.timeoutMs) out.push(w.id);
    return out;
  }

  has(id: string): boolean {
    return this.workers.has(id);
  }

  ids(): string[] {
    return [...this.workers.keys()];
  }

  view(id: string): WorkerView | undefined {
    const w = this.workers.get(id);
    return w === undefined ? undefined : viewOf(w);
  }

  /** Every registered worker, in registration order. */
  views(): WorkerView[] {
    return [...this.workers.values()].map(viewOf);
  }

  /** Jobs the worker can take at `now` under the policy (without `now`: no prefetch). */
  free(id: string, now?: number): number {
    const w = this.workers.get(id);
    return w === undefined ? 0 : this.freeOf(w, now);
  }

  /** Free capacity summed over all workers. */
  totalFree(now?: number): number {
    let n = 0;
    for (const w of this.workers.values()) n += this.freeOf(w, now);
    return n;
  }

  /** The worker with the most free slots (fewest in flight on a tie); undefined when none is free. */
  leastLoaded(now?: number): string | undefined {
    let best: WorkerState | undefined;
    for (const w of this.workers.values()) if (this.freeOf(w, now) > 0 && (best === undefined || this.better(w, best, now))) best = w;
    return best?.id;
  }

  /**
   * Splits up to `n` jobs over the workers, one at a time to the least-loaded one, never past a
   * worker's free capacity. Returns [worker id, count] pairs; does not assign anything.
   */
  allocate(n: number, now?: number): [string, number][] {
    const room = new Map<WorkerState, number>();
    for (const w of this.workers.values()) {
      const f = this.freeOf(w, now);
      if (f > 0) room.set(w, f);
    }
    const given = new Map<WorkerState, number>();
    for (let i = 0; i < n && room.size > 0; i++) {
      let best: WorkerState | undefined;
      let bestRoom = 0;
      for (const [w, r] of room) {
        if (r > bestRoom || (r === bestRoom && best !== undefined && w.jobs.size + (given.get(w) ?? 0) < best.jobs.size + (given.get(best) ?? 0))) {
          best = w;
          bestRoom = r;
        }
      }
      const w = best as WorkerState;
      given.set(w, (given.get(w) ?? 0) + 1);
      if (bestRoom === 1) room.delete(w);
      else room.set(w, bestRoom - 1);
    }
    return [...given].map(([w, count]) => [w.id, count]);
  }

  /** Records a job handed to a worker (uses one credit in pull mode). False when the worker is unknown. */
  assign(id: string, taskId: string, attempt: number): boolean {
    const w = this.workers.get(id);
    if (w === undefined) return false;
    w.jobs.set(taskId, attempt);
    this.holder.set(taskId, id);
    if (w.credits > 0) w.credits--;
    return true;
  }

  /**
   * Records a job's outcome; true when that worker held that attempt of that task (else the outcome
   * is stale: from a superseded attempt or an earlier registration, and must be ignored). With how
   * it ended, when, and when it was handed over (the caller's record of it), a quick job counts toward
   * the worker's pace.
   */
  complete(id: string, taskId: string, attempt: number, ended?: { readonly kind: Outcome["kind"]; readonly handedAt: number; readonly now: number }): boolean {
    const w = this.workers.get(id);
    if (w === undefined || w.jobs.get(taskId) !== attempt) return false;
    w.jobs.delete(taskId);
    if (this.holder.get(taskId) === id) this.holder.delete(taskId);
    w.done++;
    if (ended !== undefined && quickEnd(ended.kind, ended.handedAt, ended.now)) w.prefetch.finished(1, ended.now);
    return true;
  }

  /** Cancellation: stops tracking a task wherever it is; returns its worker and attempt. */
  release(taskId: string): (HeldJob & { readonly workerId: string }) | undefined {
    const id = this.holder.get(taskId);
    const w = id === undefined ? undefined : this.workers.get(id);
    const attempt = w?.jobs.get(taskId);
    if (w === undefined || attempt === undefined) return undefined;
    w.jobs.delete(taskId);
    this.holder.delete(taskId);
    return { workerId: w.id, taskId, attempt };
  }

  get size(): number {
    return this.workers.size;
  }

  private freeOf(w: WorkerState, now: number | undefined): number {
    if (w.draining) return 0;
    const room = w.capacity + (now === undefined ? 0 : w.prefetch.extra(w.capacity, now));
    if (this.o.policy === "pull") return Math.min(w.credits, Math.max(0, room - w.jobs.size));
    return Math.max(0, room - w.jobs.size - w.busy);
  }

  private better(a: WorkerState, b: WorkerState, now: number | undefined): boolean {
    const fa = this.freeOf(a, now);
    const fb = this.freeOf(b, now);
    return fa > fb || (fa === fb && a.jobs.size < b.jobs.size);
  }
}

function viewOf(w: WorkerState): WorkerView {
  return { id: w.id, capacity: w.capacity, busy: w.busy, credits: w.credits, lastSeen: w.lastSeen, inFlight: w.jobs.size, host: w.host, registeredAt: w.registeredAt, done: w.done, draining: w.draining };
}

function clamp(n: number, lo: number, hi: number): number {
  if (!Number.isFinite(n)) return lo;
  return Math.min(Math.max(Math.floor(n), lo), Math.max(lo, hi));
}
