/**
 * The claimable tasks of the in-memory store, in claim order (see domain/queue-order.ts), per tenant:
 * tasks of the default priority in a FIFO (arrival order is their rank order, and a FIFO costs O(1)),
 * the others in a heap by rank, the two merged when taking. Tasks not due yet wait in one heap by
 * `runAt` until `promoteDue`. Tenants share each take round-robin (shareOut), each within the
 * allowance its limits leave (running at once, started per second).
 *
 * Entries are not removed when their task is cancelled: `take` skips tasks `isLive` rejects.
 *
 * @example
 * const q = new ReadyQueues(30_000);
 * q.add({ id: "a", tenant: "t", priority: 5, runAt: 0 }, 0);
 * q.add({ id: "b", tenant: "t", priority: 9, runAt: 10 }, 10);
 * q.take(2, 10, () => Infinity, () => true) // ["b", "a"]
 */
import { DEFAULT_PRIORITY, type Task } from "../../domain/task.ts";
import { rank, shareOut } from "../../domain/queue-order.ts";
import { BinaryHeap } from "../../lib/binary-heap.ts";
import { FifoQueue } from "../../lib/fifo-queue.ts";

type Placed = Pick<Task, "id" | "tenant" | "priority" | "runAt">;

interface Entry {
  readonly id: string;
  readonly rank: number;
  readonly seq: number;
}

const byRank = (a: Entry, b: Entry): number => a.rank - b.rank || a.seq - b.seq;

class TenantQueue {
  private readonly fifo = new FifoQueue<Entry>();
  private readonly heap = new BinaryHeap<Entry>(byRank);
  private fifoTail = Number.NEGATIVE_INFINITY;

  get size(): number {
    return this.fifo.length + this.heap.size;
  }

  add(e: Entry, defaultPriority: boolean): void {
    // The FIFO holds only entries that rank after its tail, so it stays sorted.
    if (defaultPriority && e.rank >= this.fifoTail) {
      this.fifo.push(e);
      this.fifoTail = e.rank;
    } else this.heap.push(e);
  }

  /** The next entry in claim order, removed. */
  shift(): Entry | undefined {
    const f = this.fifo.peek();
    const h = this.heap.peek();
    if (h === undefined) return this.fifo.shift();
    if (f === undefined || byRank(h, f) < 0) return this.heap.pop();
    return this.fifo.shift();
  }
}

export class ReadyQueues {
  private readonly tenants = new Map<string, TenantQueue>();
  private readonly delayed = new BinaryHeap<Placed & { readonly seq: number }>((a, b) => a.runAt - b.runAt || a.seq - b.seq);
  private seq = 0;
  /** Where the next take starts its round-robin over tenants. */
  private turn = 0;

  constructor(private readonly agingMs: number) {}

  /** Tasks queued here so far (a waiting claim must look again after one, due or not: it may be sooner). */
  added = 0;

  /** Queues a task: claimable now when due, else from its runAt. */
  add(t: Placed, now: number): void {
    this.added++;
    if (t.runAt > now) this.delayed.push({ id: t.id, tenant: t.tenant, priority: t.priority, runAt: t.runAt, seq: this.seq++ });
    else this.place(t);
  }

  /** Moves the tasks due by `now` to their tenants' queues. */
  promoteDue(now: number): void {
    for (let d = this.delayed.peek(); d !== undefined && d.runAt <= now; d = this.delayed.peek()) this.place(this.delayed.pop() as Placed);
  }

  /** When the earliest task not due yet becomes due; undefined when none waits. */
  nextDueAt(): number | undefined {
    return this.delayed.peek()?.runAt;
  }

  /** Whether a take at `now` could find a task (an entry may be of a cancelled task). */
  claimable(now: number): boolean {
    return this.tenants.size > 0 || (this.delayed.peek()?.runAt ?? Number.POSITIVE_INFINITY) <= now;
  }

  /** Tenants with claimable entries (some may be of cancelled tasks). */
  tenantsWithWork(): string[] {
    return [...this.tenants.keys()];
  }

  /**
   * Takes up to `max` live task ids: tenants in turn, each at most `allowance(tenant)`, each tenant's
   * most urgent first. Dead entries met on the way are dropped.
   */
  take(max: number, allowance: (tenant: string) => number, isLive: (id: string) => boolean): string[] {
    const out: string[] = [];
    if (this.tenants.size === 1) return this.takeFromOnly(max, allowance, isLive, out); // the common case, without the shares
    const names = [...this.tenants.keys()];
    if (names.length === 0) return out;
    const start = this.turn++ % names.length;
    const order = [...names.slice(start), ...names.slice(0, start)];
    const given = new Map<string, number>();
    while (out.length < max) {
      const available = new Map<string, number>();
      for (const name of order) {
        const q = this.tenants.get(name);
        const n = Math.min(q?.size ?? 0, allowance(name) - (given.get(name) ?? 0));
        if (n > 0) available.set(name, n);
      }
      if (available.size === 0) break;
      const before = out.length;
      for (const [name, n] of shareOut(available, max - out.length)) {
        const q = this.tenants.get(name) as TenantQueue;
        let taken = 0;
        while (taken < n && q.size > 0) {
          const e = q.shift() as Entry;
          if (!isLive(e.id)) continue;
          out.push(e.id);
          taken++;
        }
        given.set(name, (given.get(name) ?? 0) + taken);
        if (q.size === 0) this.tenants.delete(name);
      }
      if (out.length === before && [...available.keys()].every((name) => !this.tenants.has(name))) break;
    }
    return out;
  }

  private takeFromOnly(max: number, allowance: (tenant: string) => number, isLive: (id: string) => boolean, out: string[]): string[] {
    const [name, q] = this.tenants.entries().next().value as [string, TenantQueue];
    const n = Math.min(max, allowance(name));
    while (out.length < n && q.size > 0) {
      const e = q.shift() as Entry;
      if (isLive(e.id)) out.push(e.id);
    }
    if (q.size === 0) this.tenants.delete(name);
    return out;
  }

  private place(t: Placed): void {
    let q = this.tenants.get(t.tenant);
    if (q === undefined) this.tenants.set(t.tenant, (q = new TenantQueue()));
    q.add({ id: t.id, rank: rank(t.priority, t.runAt, this.agingMs), seq: this.seq++ }, t.priority === DEFAULT_PRIORITY);
  }
}
