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
 * const index = new MemoryTaskIndex((id) => tasks.get(id), (id) => tasks.get(id)?.status);
 * index.added([task]);
 * index.finished([doneTask]);
 * index.list({ tenant: "alice", status: "FAILED", limit: 50 }) // { tasks, next? }
 */
import { mergeScans, scanBudget, summarize, type ListPosition, type SourceScan, type TaskPage, type TaskQuery, type TaskSummary } from "../../domain/task-listing.ts";
import { isTerminal, type Task, type TaskStatus } from "../../domain/task.ts";
import { SortedLog } from "../../lib/sorted-log.ts";

const FINISHED: readonly TaskStatus[] = ["COMPLETED", "FAILED", "CANCELLED"];
/** The state of an owner's log of unfinished tasks (the others are named by their status). */
const ACTIVE = "active";

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

type Kind = "t" | "f";

/** The logs of one owner (a tenant or a function) by state: "active" (unfinished) or a finished status. */
type OwnerLogs = Map<string, Entry>;

/**
 * Ids grouped by log and score, each log looked up once per group (a batch usually has one tenant, one
 * function, one time): owner -> state -> score -> ids.
 */
class Groups {
  private readonly groups = new Map<string, Map<string, Map<number, string[]>>>();
  private lastOwner = "";
  private lastState = "";
  private last: Map<number, string[]> | undefined;

  add(owner: string, state: string, score: number, id: string): void {
    let byScore = owner === this.lastOwner && state === this.lastState ? this.last : undefined;
    if (byScore === undefined) {
      let states = this.groups.get(owner);
      if (states === undefined) this.groups.set(owner, (states = new Map()));
      byScore = states.get(state);
      if (byScore === undefined) states.set(state, (byScore = new Map()));
      this.lastOwner = owner;
      this.lastState = state;
      this.last = byScore;
    }
    const ids = byScore.get(score);
    if (ids === undefined) byScore.set(score, [id]);
    else ids.push(id);
  }

  each(f: (owner: string, state: string, score: number, ids: string[]) => void): void {
    for (const [owner, states] of this.groups) {
      for (const [state, byScore] of states) for (const [score, ids] of [...byScore].sort((a, b) => a[0] - b[0])) f(owner, state, score, ids);
    }
  }
}

export class MemoryTaskIndex {
  /** kind ("t": per tenant, "f": per function) -> owner -> its logs by state. */
  private readonly owners: Record<Kind, Map<string, OwnerLogs>> = { t: new Map(), f: new Map() };
  private readonly tenants = new Set<string>();

  /**
   * `get` reads a task for a listing; `statusOf` is what keeping the logs needs (is it known, is it
   * finished), so a store that keeps tasks in another form need not make a Task for it.
   */
  constructor(
    private readonly get: (id: string) => Task | undefined,
    private readonly statusOf: (id: string) => TaskStatus | undefined,
  ) {}

  /**
   * Tasks were queued (a batch: one sorted insert per log and creation time). The batch is put in id
   * order once, so each log's groups come sorted (a batch of 1,000 would otherwise be sorted per log).
   */
  added(ts: readonly Task[]): void {
    if (ts.length === 1) {
      // one task (the one-at-a-time path): its two entries, without grouping a batch of one
      const t = ts[0] as Task;
      this.tenants.add(t.tenant);
      this.entry("t", t.tenant, ACTIVE).log.insert(t.createdAt, t.id);
      this.entry("f", t.functionId, ACTIVE).log.insert(t.createdAt, t.id);
      return;
    }
    const byTenant = new Groups();
    const byFunction = new Groups();
    const byId = new Map<string, Task>();
    for (const t of ts) byId.set(t.id, t);
    for (const id of [...byId.keys()].sort()) {
      const t = byId.get(id) as Task;
      this.tenants.add(t.tenant);
      byTenant.add(t.tenant, ACTIVE, t.createdAt, id);
      byFunction.add(t.functionId, ACTIVE, t.createdAt, id);
    }
    for (const [g, kind] of [[byTenant, "t"], [byFunction, "f"]] as const) g.each((owner, state, score, ids) => this.entry(kind, owner, state).log.insertMany(score, ids, true));
  }

  /** Tasks became terminal: they move to the finished logs of their status (one sorted insert per log and time). */
  finished(ts: readonly Task[]): void {
    if (ts.length === 1) {
      // one task (the one-at-a-time path): its two entries, then the two unfinished logs it leaves
      const t = ts[0] as Task;
      this.entry("t", t.tenant, t.status).log.insert(t.updatedAt, t.id);
      this.entry("f", t.functionId, t.status).log.insert(t.updatedAt, t.id);
      this.left(this.entry("t", t.tenant, ACTIVE), 1);
      this.left(this.entry("f", t.functionId, ACTIVE), 1);
      return;
    }
    const byTenant = new Groups();
    const byFunction = new Groups();
    for (const t of ts) {
      byTenant.add(t.tenant, t.status, t.updatedAt, t.id);
      byFunction.add(t.functionId, t.status, t.updatedAt, t.id);
    }
    const stale = new Map<Entry, number>();
    for (const [g, kind] of [[byTenant, "t"], [byFunction, "f"]] as const) {
      g.each((owner, state, score, ids) => {
        this.entry(kind, owner, state).log.insertMany(score, ids);
        const unfinished = this.entry(kind, owner, ACTIVE);
        stale.set(unfinished, (stale.get(unfinished) ?? 0) + ids.length);
      });
    }
    for (const [e, n] of stale) this.left(e, n);
  }

  /** `n` tasks of an unfinished log ended: its dead entries go. */
  private left(e: Entry, n: number): void {
    e.stale += n;
    // Tasks mostly end in the order they were queued: dead entries at the front leave at once, and a
    // whole scan is left for those held behind a long-running task.
    for (let first = e.log.firstId(); e.stale > 0 && first !== undefined && !this.alive(first); first = e.log.firstId()) {
      e.log.shift();
      e.stale--;
    }
    if (e.stale > 1024 && e.stale * 2 > e.log.size) {
      e.log.compact((_, id) => this.alive(id));
      e.stale = 0;
    }
  }

  /** A terminal task was forgotten (retention): its entries leave the front of its logs. */
  expired(t: Pick<Task, "tenant" | "functionId" | "status">): void {
    for (const [kind, owner] of [["t", t.tenant], ["f", t.functionId]] as const) {
      const e = this.logOf(kind, owner, t.status);
      if (e === undefined) continue;
      for (let first = e.log.firstId(); first !== undefined && this.statusOf(first) === undefined; first = e.log.firstId()) e.log.shift();
      if (e.log.size === 0) this.owners[kind].get(owner)?.delete(t.status);
    }
  }

  /** A page of tasks, newest first (see task-listing.ts). */
  list(q: TaskQuery): TaskPage {
    const scans = this.sources(q).map((s) => this.scan(s, q.after, q.limit));
    return mergeScans(scans, q.limit);
  }

  private sources(q: TaskQuery): Source[] {
    const owners: [kind: Kind, owner: string][] = q.functionId !== undefined ? [["f", q.functionId]] : [...(q.tenant !== undefined ? [q.tenant] : this.tenants)].map((t) => ["t", t]);
    const mine = (t: Task): boolean => (q.tenant === undefined || t.tenant === q.tenant) && (q.functionId === undefined || t.functionId === q.functionId);
    const out: Source[] = [];
    for (const [kind, owner] of owners) {
      if (q.status === undefined || !isTerminal(q.status)) {
        out.push({ entry: this.logOf(kind, owner, ACTIVE), accept: (t) => !isTerminal(t.status) && (q.status === undefined || t.status === q.status) && mine(t) });
      }
      for (const status of FINISHED) {
        if (q.status === undefined || q.status === status) out.push({ entry: this.logOf(kind, owner, status), accept: (t) => t.status === status && mine(t) });
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
    for (const byOwner of Object.values(this.owners)) for (const logs of byOwner.values()) for (const e of logs.values()) n += e.log.size;
    return n;
  }

  /** True while the task is known and not terminal (its entry in an unfinished log is live). */
  private alive(id: string): boolean {
    const status = this.statusOf(id);
    return status !== undefined && !isTerminal(status);
  }

  private logOf(kind: Kind, owner: string, state: string): Entry | undefined {
    return this.owners[kind].get(owner)?.get(state);
  }

  private entry(kind: Kind, owner: string, state: string): Entry {
    let logs = this.owners[kind].get(owner);
    if (logs === undefined) this.owners[kind].set(owner, (logs = new Map()));
    let e = logs.get(state);
    if (e === undefined) logs.set(state, (e = { log: new SortedLog(), stale: 0 }));
    return e;
  }
}
