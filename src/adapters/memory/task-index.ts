/**
 * The in-memory store's indexes for listing tasks (task-listing.ts), the same ones the Redis scripts
 * keep: per tenant and per function, the unfinished tasks by creation time and the finished ones per
 * status by finish time, each a SortedLog. The store calls `added` when it queues a task, `finished`
 * when one becomes terminal and `expired` when it forgets one. Entries of tasks that moved on (finished,
 * expired) are skipped when read and dropped in bulk: from the front as tasks expire (finish order is
 * expiry order) and, in an unfinished log, as they end (mostly in the order they were queued), by
 * compaction when an unfinished log still holds more dead entries than live ones.
 *
 * @example
 * const index = new MemoryTaskIndex((id) => tasks.get(id));
 * index.added([task]);
 * index.finished([doneTask]);
 * index.list({ tenant: "alice", status: "FAILED", limit: 50 }) // { tasks, next? }
 */
import { mergeScans, scanBudget, summarize, type ListPosition, type SourceScan, type TaskPage, type TaskQuery, type TaskSummary } from "../../domain/task-listing.ts";
import { isTerminal, type Task, type TaskStatus } from "../../domain/task.ts";
import { SortedLog } from "../../lib/sorted-log.ts";

const FINISHED: readonly TaskStatus[] = ["COMPLETED", "FAILED", "CANCELLED"];

interface Entry {
  readonly log: SortedLog;
  /** Entries known dead (their task finished) and not dropped yet. */
  stale: number;
}

/** A source to scan: a log, and which tasks in it belong there (and match the query). */
interface Source {
  readonly entry: Entry | undefined;
  readonly accept: (t: Task) => boolean;
}

/**
 * Ids grouped by log and score, keys built once per group (a batch usually has one tenant, one
 * function, one time): kind -> owner -> state -> score -> ids.
 */
class Groups {
  private readonly groups = new Map<string, { key: string; byScore: Map<number, string[]> }>();
  private lastOwner = "";
  private lastState = "";
  private last: { key: string; byScore: Map<number, string[]> } | undefined;

  constructor(private readonly kind: "t" | "f") {}

  add(owner: string, state: string, score: number, id: string): void {
    let g = owner === this.lastOwner && state === this.lastState ? this.last : undefined;
    if (g === undefined) {
      const tag = `${this.kind}\u0000${owner}\u0000${state}`;
      g = this.groups.get(tag);
      if (g === undefined) this.groups.set(tag, (g = { key: tag, byScore: new Map() }));
    }
    this.lastOwner = owner;
    this.lastState = state;
    this.last = g;
    const ids = g.byScore.get(score);
    if (ids === undefined) g.byScore.set(score, [id]);
    else ids.push(id);
  }

  each(f: (key: string, score: number, ids: string[]) => void): void {
    for (const g of this.groups.values()) for (const [score, ids] of [...g.byScore].sort((a, b) => a[0] - b[0])) f(g.key, score, ids);
  }
}

export class MemoryTaskIndex {
  private readonly logs = new Map<string, Entry>();
  private readonly tenants = new Set<string>();

  constructor(private readonly get: (id: string) => Task | undefined) {}

  /**
   * Tasks were queued (a batch: one sorted insert per log and creation time). The batch is put in id
   * order once, so each log's groups come sorted (a batch of 1,000 would otherwise be sorted per log).
   */
  added(ts: readonly Task[]): void {
    const byTenant = new Groups("t");
    const byFunction = new Groups("f");
    const byId = new Map<string, Task>();
    for (const t of ts) byId.set(t.id, t);
    for (const id of [...byId.keys()].sort()) {
      const t = byId.get(id) as Task;
      this.tenants.add(t.tenant);
      byTenant.add(t.tenant, "active", t.createdAt, id);
      byFunction.add(t.functionId, "active", t.createdAt, id);
    }
    for (const g of [byTenant, byFunction]) g.each((key, score, ids) => this.entry(key).log.insertMany(score, ids, true));
  }

  /** Tasks became terminal: they move to the finished logs of their status (one sorted insert per log and time). */
  finished(ts: readonly Task[]): void {
    const byTenant = new Groups("t");
    const byFunction = new Groups("f");
    for (const t of ts) {
      byTenant.add(t.tenant, t.status, t.updatedAt, t.id);
      byFunction.add(t.functionId, t.status, t.updatedAt, t.id);
    }
    const stale = new Map<string, number>();
    for (const [g, kind] of [[byTenant, "t"], [byFunction, "f"]] as const) {
      g.each((key, score, ids) => {
        this.entry(key).log.insertMany(score, ids);
        const owner = key.split("\u0000")[1] as string;
        stale.set(active(kind, owner), (stale.get(active(kind, owner)) ?? 0) + ids.length);
      });
    }
    for (const [key, n] of stale) {
      const e = this.entry(key);
      e.stale += n;
      // Tasks mostly end in the order they were queued: dead entries at the front leave at once, and a
      // whole scan is left for those held behind a long-running task.
      for (let first = e.log.first(); e.stale > 0 && first !== undefined && !this.alive(first.id); first = e.log.first()) {
        e.log.shift();
        e.stale--;
      }
      if (e.stale > 1024 && e.stale * 2 > e.log.size) {
        e.log.compact((_, id) => this.alive(id));
        e.stale = 0;
      }
    }
  }

  /** A terminal task was forgotten (retention): its entries leave the front of its logs. */
  expired(t: Task): void {
    for (const key of [done("t", t.tenant, t.status), done("f", t.functionId, t.status)]) {
      const e = this.logs.get(key);
      if (e === undefined) continue;
      while (e.log.first() !== undefined && this.get((e.log.first() as ListPosition).id) === undefined) e.log.shift();
      if (e.log.size === 0) this.logs.delete(key);
    }
  }

  /** A page of tasks, newest first (see task-listing.ts). */
  list(q: TaskQuery): TaskPage {
    const scans = this.sources(q).map((s) => this.scan(s, q.after, q.limit));
    return mergeScans(scans, q.limit);
  }

  private sources(q: TaskQuery): Source[] {
    const owners: [kind: "t" | "f", owner: string][] = q.functionId !== undefined ? [["f", q.functionId]] : [...(q.tenant !== undefined ? [q.tenant] : this.tenants)].map((t) => ["t", t]);
    const mine = (t: Task): boolean => (q.tenant === undefined || t.tenant === q.tenant) && (q.functionId === undefined || t.functionId === q.functionId);
    const out: Source[] = [];
    for (const [kind, owner] of owners) {
      if (q.status === undefined || !isTerminal(q.status)) {
        out.push({ entry: this.logs.get(active(kind, owner)), accept: (t) => !isTerminal(t.status) && (q.status === undefined || t.status === q.status) && mine(t) });
      }
      for (const status of FINISHED) {
        if (q.status === undefined || q.status === status) out.push({ entry: this.logs.get(done(kind, owner, status)), accept: (t) => t.status === status && mine(t) });
      }
    }
    return out;
  }

  /** What one source holds after `after`: at most `limit` items, examining at most a budget of entries. */
  private scan(s: Source, after: ListPosition | undefined, limit: number): SourceScan {
    if (s.entry === undefined) return { items: [], more: false };
    const items: TaskSummary[] = [];
    let examined = 0;
    let last: ListPosition | undefined;
    const budget = scanBudget(limit);
    for (const [score, id] of s.entry.log.descending(after)) {
      if (last !== undefined && (items.length === limit || examined === budget)) return { items, more: true, horizon: last };
      examined++;
      last = { score, id };
      const t = this.get(id);
      if (t !== undefined && s.accept(t) && (isTerminal(t.status) ? t.updatedAt : t.createdAt) === score) items.push(summarize(t));
    }
    return { items, more: false };
  }

  /** Entries held in all logs, dead ones not dropped yet included (for tests). */
  entries(): number {
    let n = 0;
    for (const e of this.logs.values()) n += e.log.size;
    return n;
  }

  /** True while the task is known and not terminal (its entry in an unfinished log is live). */
  private alive(id: string): boolean {
    const t = this.get(id);
    return t !== undefined && !isTerminal(t.status);
  }

  private entry(key: string): Entry {
    let e = this.logs.get(key);
    if (e === undefined) this.logs.set(key, (e = { log: new SortedLog(), stale: 0 }));
    return e;
  }
}

function active(kind: "t" | "f", owner: string): string {
  return `${kind}\u0000${owner}\u0000active`;
}

function done(kind: "t" | "f", owner: string, status: TaskStatus): string {
  return `${kind}\u0000${owner}\u0000${status}`;
}
