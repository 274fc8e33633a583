import { Generations } from "../lib/generations.ts";
import type { Clock, TaskEvents, TaskStore, Unfinished } from "./ports.ts";
import type { Task } from "./task.ts";

/** Tasks remembered unfinished, and ended tasks' reports, per generation (the oldest are forgotten first, in bulk). */
const KNOWN_PER_GENERATION = 100_000;
/** Bytes of finished tasks' args and results remembered per generation (twice this at most). */
const FINISHED_BYTES_PER_GENERATION = 16 * 1024 * 1024;

interface Kept<T> {
  readonly task: T;
  readonly at: number;
  readonly bytes: number;
}

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
 * for the same period, so a long-poll that comes just after the report reads nothing either. Without peekMany (a store in this process) every read goes to
 * the store.
 *
 * @example
 * const peeks = new TaskPeeks(store, events, clock, 1000);
 * const found = await peeks.read(ids); // Task, Unfinished or undefined per id
 */
export class TaskPeeks {
  /** Reports heard so far: a read's mark is this count when it began. */
  private reports = 0;
  private readonly known = new Generations<string, Kept<Unfinished>>(KNOWN_PER_GENERATION);
  /** Finished tasks as reports carried them, weighed by their size (args and result). */
  private readonly finished = new Generations<string, Kept<Task>>(FINISHED_BYTES_PER_GENERATION, (k) => k.bytes);
  /** Ids reported terminal, with the report's number (marked with it: see `remember`). */
  private readonly ended = new Generations<string, number>(KNOWN_PER_GENERATION);
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
      const k = o.fresh === true ? undefined : (this.known.get(id) ?? this.finished.get(id));
      if (k !== undefined && now - k.at < this.ttlMs) out[i] = k.task;
      else {
        missing.push(id);
        where.push(i);
      }
    }
    if (missing.length === 0) return out;
    const mark = this.reports;
    const found = await this.store.peekMany(missing);
    const at = this.clock.now();
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
    for (const t of tasks) this.remember({ unfinished: true, id: t.id, tenant: t.tenant, status: "QUEUED" }, mark, at);
  }

  private remember(task: Unfinished, mark: number, at: number): void {
    if (mark < this.ended.forgotten()) return; // a report after the read began may be forgotten: cannot tell
    const ended = this.ended.get(task.id);
    if (ended !== undefined && ended > mark) return; // reported ended after the read began
    this.known.set(task.id, { task, at, bytes: 0 });
  }

  private reported(ids: readonly string[], finished?: ReadonlyMap<string, Task>): void {
    const n = ++this.reports;
    const at = this.clock.now();
    for (const id of ids) {
      this.known.delete(id);
      this.ended.set(id, n, n);
      const task = finished?.get(id);
      if (task !== undefined) this.finished.set(id, { task, at, bytes: 256 + task.args.length + (task.result?.length ?? 0) });
    }
  }

  /** How many tasks are remembered unfinished (for tests). */
  size(): number {
    return this.known.size;
  }

  close(): void {
    this.unsubscribe();
  }
}
