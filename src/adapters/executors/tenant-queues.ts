/**
 * Jobs a pool accepted and has not handed to an executor yet, one queue per tenant, served
 * round-robin: each pass over `tenants()` offers one job per tenant, and the tenant offered first
 * changes from one pass to the next. Jobs taken back from an executor go in front of their tenant's
 * queue, in their original order.
 */
import type { Job } from "../../domain/ports.ts";
import { FifoQueue } from "../../lib/fifo-queue.ts";

export interface Pending {
  readonly job: Job;
  /** Must run alone in a fresh executor (quarantine: its blame was ambiguous). */
  readonly alone: boolean;
  /** Times it was handed back without an attempt spent (bounded: see the pool). */
  readonly bounces: number;
}

interface TenantQueue {
  front: Pending[];
  readonly back: FifoQueue<Pending>;
}

/**
 * @example
 * const q = new TenantQueues();
 * q.push("alice", { job, alone: false, bounces: 0 });
 * for (const tenant of q.tenants()) q.shift(tenant);
 */
export class TenantQueues {
  private readonly queues = new Map<string, TenantQueue>();
  /** The queues' tenants in order, kept until one comes or goes: the pool asks for them once per job. */
  private listed: string[] | undefined;
  private turn = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(tenant: string, p: Pending): void {
    this.queueOf(tenant).back.push(p);
    this.count++;
  }

  /** Puts jobs back in front of their tenant's queue, keeping their order. */
  requeue(tenant: string, ps: readonly Pending[]): void {
    if (ps.length === 0) return;
    const q = this.queueOf(tenant);
    q.front = [...ps, ...q.front];
    this.count += ps.length;
  }

  /** Tenants with queued jobs, starting one further along at every call (round-robin). */
  tenants(): readonly string[] {
    const all = (this.listed ??= [...this.queues.keys()]);
    if (all.length <= 1) return all;
    const start = this.turn++ % all.length;
    return [...all.slice(start), ...all.slice(0, start)];
  }

  peek(tenant: string): Pending | undefined {
    const q = this.queues.get(tenant);
    return q === undefined ? undefined : (q.front[0] ?? q.back.peek());
  }

  shift(tenant: string): Pending | undefined {
    const q = this.queues.get(tenant);
    if (q === undefined) return undefined;
    const p = q.front.length > 0 ? q.front.shift() : q.back.shift();
    if (p !== undefined) this.count--;
    if (q.front.length === 0 && q.back.length === 0) this.forget(tenant);
    return p;
  }

  /** Takes out the queued job of `taskId` (a cancel), if it is here. */
  remove(taskId: string): Pending | undefined {
    for (const [tenant, q] of this.queues) {
      const i = q.front.findIndex((p) => p.job.taskId === taskId);
      let found: Pending | undefined;
      if (i >= 0) found = q.front.splice(i, 1)[0];
      else {
        const rest: Pending[] = [];
        for (let p = q.back.shift(); p !== undefined; p = q.back.shift()) {
          if (found === undefined && p.job.taskId === taskId) found = p;
          else rest.push(p);
        }
        for (const p of rest) q.back.push(p);
      }
      if (found !== undefined) {
        this.count--;
        if (q.front.length === 0 && q.back.length === 0) this.forget(tenant);
        return found;
      }
    }
    return undefined;
  }

  /** Removes and returns everything (the pool closed or broke). */
  drain(): Pending[] {
    const out: Pending[] = [];
    for (const tenant of [...this.queues.keys()]) for (let p = this.shift(tenant); p !== undefined; p = this.shift(tenant)) out.push(p);
    return out;
  }

  private queueOf(tenant: string): TenantQueue {
    let q = this.queues.get(tenant);
    if (q === undefined) {
      q = { front: [], back: new FifoQueue() };
      this.queues.set(tenant, q);
      this.listed = undefined;
    }
    return q;
  }

  private forget(tenant: string): void {
    this.queues.delete(tenant);
    this.listed = undefined;
  }
}

/**
 * The job's tenant; "default" for a job from a sender that predates tenants.
 *
 * @example
 * tenantOf({ ...job, tenant: "alice" }) // "alice"
 */
export function tenantOf(job: Job): string {
  return typeof job.tenant === "string" && job.tenant !== "" ? job.tenant : "default";
}
