import { Generations } from "../lib/generations.ts";
import type { Clock, TaskEvents, TaskStore, Unfinished } from "./ports.ts";
import type { Task } from "./task.ts";

/** Bytes remembered per generation (twice this at most): finished tasks weigh their args and result. */
const BYTES_PER_GENERATION = 16 * 1024 * 1024;
/** What an entry without a task record is taken to weigh (so 100,000 of them fill a generation). */
const SMALL_ENTRY_BYTES = 160;

/**
 * What is remembered of a task, one entry per task: read (or stored) unfinished at `at`; reported ended
 * by report number `n`, with its record when the report carried it.
 */
type Memo =
  | { readonly kind: "unfinished"; readonly task: Unfinished; readonly at: number }
  | { readonly kind: "ended"; readonly n: number }
  | { readonly kind: "finished"; readonly n: number; readonly task: Task; readonly at: number; readonly bytes: number };

/**
 * Reads for long-polls on many tasks (POST /wait), which callers repeat on the same tasks: wait, take
 * what is done, wait on the rest. A task read as not finished yet (TaskStore.peekMany) is remembered,
 * so asking again about it costs no store read, while nothing says it ended:
 * - a report that it ended (TaskEvents) forgets it, and a read that began before such a report adds
 *   nothing for that task (its reply may arrive after the report);
 * - every entry is forgotten after `ttlMs` (the long-polls' re-check period), and re-checks read the
 *   store (`fresh`), so a lost report delays an answer no longer than it would without the memory.
 * Tasks this process has just stored are known QUEUED the same way (`queued`), so the first long-poll
 * on a new batch reads nothing either. A report that carries the finished tasks (TaskEvents) is kept
 * for the same period, so a long-poll that comes just after the report reads nothing either (the
 * long-polls that repeat, as FIRST_COMPLETED callers do, come back within milliseconds). Entries are
 * kept from half a period to a period (generations ended by age at half a period; 16 MB of records
 * at most, twice that in all): a busy API would otherwise hold many seconds of reports, growing its
 * memory for minutes after it started, which on virtual machines where a fresh page costs 10-16 us took
 * up to a third of its CPU per task. Without
 * peekMany (a store in this process) every read goes to the store. Each task has one entry in one map
 * (`Memo`): a report or a read costs one lookup and one write per task.
 *
 * @example
 * const peeks = new TaskPeeks(store, events, clock, 1000);
 * const found = await peeks.read(ids); // Task, Unfinished or undefined per id
 */
export class TaskPeeks {
  /** Reports heard so far: a read's mark is this count when it began. */
  private reports = 0;
  /** One entry per task (set with the report's number as mark when a report made it): see Memo. */
  private readonly memo = new Generations<string, Memo>(BYTES_PER_GENERATION, (m) => (m.kind === "finished" ? m.bytes : SMALL_ENTRY_BYTES));
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: TaskStore,
    events: TaskEvents,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {
    this.unsubscribe = store.peekMany === undefined ? () => {} : events.subscribe((ids, finished) => this.reported(ids, finished));
  }

  /** Each task as the store has it, or as last read while nothing says it ended since (unless `fresh`). */
  async read(ids: readonly string[], o: { readonly fresh?: boolean } = {}): Promise<(Task | Unfinished | undefined)[]> {
    if (this.store.peekMany === undefined) return this.store.getMany(ids);
    const out: (Task | Unfinished | undefined)[] = new Array(ids.length);
    const missing: string[] = [];
    const where: number[] = [];
    const now = this.clock.now();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string;
      const m = o.fresh === true ? undefined : this.memo.get(id);
      if (m !== undefined && m.kind !== "ended" && now - m.at < this.ttlMs) out[i] = m.task;
      else {
        missing.push(id);
        where.push(i);
      }
    }
    if (missing.length === 0) return out;
    const mark = this.reports;
    const found = await this.store.peekMany(missing);
    const at = this.clock.now();
    this.memo.age(at, this.ttlMs / 2);
    for (let j = 0; j < found.length; j++) {
      const t = found[j];
      out[where[j] as number] = t;
      if (t !== undefined && "unfinished" in t) this.remember(t, mark, at);
    }
    return out;
  }

  /** Where a read or a write begins: what it learns is kept unless a report about the task comes after. */
  mark(): number {
    return this.reports;
  }

  /** New tasks were stored (the store began at `mark`): QUEUED, unless one was reported ended since. */
  queued(tasks: readonly Task[], mark: number): void {
    if (this.store.peekMany === undefined) return;
    const at = this.clock.now();
    this.memo.age(at, this.ttlMs / 2);
    for (const t of tasks) this.remember({ unfinished: true, id: t.id, tenant: t.tenant, status: "QUEUED" }, mark, at);
  }

  private remember(task: Unfinished, mark: number, at: number): void {
    if (mark < this.memo.forgotten()) return; // a report after the read began may be forgotten: cannot tell
    const m = this.memo.get(task.id);
    if (m !== undefined && m.kind !== "unfinished" && m.n > mark) return; // reported ended after the read began
    this.memo.set(task.id, { kind: "unfinished", task, at });
  }

  private reported(ids: readonly string[], finished?: ReadonlyMap<string, Task>): void {
    const n = ++this.reports;
    const at = this.clock.now();
    this.memo.age(at, this.ttlMs / 2);
    for (const id of ids) {
      const task = finished?.get(id);
      if (task === undefined) this.memo.set(id, { kind: "ended", n }, n);
      else this.memo.set(id, { kind: "finished", n, task, at, bytes: 256 + task.args.length + (task.result?.length ?? 0) }, n);
    }
  }

  /** How many tasks are remembered unfinished (for tests). */
  size(): number {
    let n = 0;
    for (const m of this.memo.values()) if (m.kind === "unfinished") n++;
    return n;
  }

  close(): void {
    this.unsubscribe();
  }
}
