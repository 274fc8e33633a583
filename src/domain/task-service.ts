/**
 * The use cases of tasks: execute a function (one call or a batch), read a task's status and result,
 * long-poll for results, cancel a task. Transport-free: adapters validate the shape of requests and map
 * the DomainErrors returned here to their own terms (registering functions is FunctionService's job).
 *
 * @example
 * const tasks = new TaskService({ functions, tasks: store, events, cancels, ids, clock, maxQueue: 100_000 });
 * const id = await tasks.execute("alice", functionId, "[2, 3]");
 * const done = await tasks.awaitTask("alice", id.value, 10_000);
 *
 * Every call names its viewer (the caller's tenant): another tenant's functions and tasks are
 * reported unknown, exactly as missing ones.
 */
import { checkArgs } from "./args.ts";
import type { FunctionRecord } from "./function-record.ts";
import { checkGraph } from "./task-graph.ts";
import { invalid, type DomainError } from "./errors.ts";
import { checkExecuteOptions, type ExecuteOptions } from "./execute-options.ts";
import { checkIdempotencyKey, idempotencyConflict, type IdempotentOutcome, type IdempotentRequest } from "./idempotency.ts";
import type { CancelSignals, Clock, EnqueueCaps, FunctionStore, IdempotencyStore, IdGen, TaskEvents, TaskStore } from "./ports.ts";
import { err, ok, type Result } from "./result.ts";
import { isTerminal, newTask, type Task } from "./task.ts";
import { TaskPeeks } from "./task-peeks.ts";
import { TaskSweeps, type TaskSweep } from "./task-sweeps.ts";
export type { TaskSweep } from "./task-sweeps.ts";
import { TaskWaiters } from "./task-waiters.ts";
import { limitsOf, type LimitsTable } from "./tenant-limits.ts";
import { visibleTo } from "./tenant.ts";

export const MAX_BATCH = 10_000;

export interface TaskServiceDeps {
  readonly functions: FunctionStore;
  readonly tasks: TaskStore;
  readonly events: TaskEvents;
  /** Where cancelled task ids go, so the dispatcher running one stops it. */
  readonly cancels: CancelSignals;
  readonly ids: IdGen;
  readonly clock: Clock;
  /** Queue length past which execute answers QueueFull. */
  readonly maxQueue: number;
  /** Quotas per tenant: execute answers QueueFull past a tenant's `maxQueued`. */
  readonly limits?: LimitsTable;
  /** Long-polls re-read the task this often even without a notification (a lost one only delays). */
  readonly recheckMs?: number;
  /** Idempotency keys (executeOnce): where they are kept, and how long (the retention period). */
  readonly idempotency?: { readonly store: IdempotencyStore; readonly ttlMs: number };
}

/** A checked request to execute: its tasks, built for the ids they will get, and the limits they meet. */
interface PreparedTasks {
  readonly caps: EnqueueCaps;
  tasks(ids: readonly string[]): Task[];
}

export class TaskService {
  private readonly waiters: TaskWaiters;
  /** Reads for POST /wait, remembering which tasks are not finished yet. */
  private readonly peeks: TaskPeeks;
  private readonly sweeps: TaskSweeps;
  /** Closed (shutting down): long-polls answer with the current status at once. */
  private closed = false;

  constructor(private readonly d: TaskServiceDeps) {
    this.waiters = new TaskWaiters(d.events, d.clock);
    this.peeks = new TaskPeeks(d.tasks, d.events, d.clock, d.recheckMs ?? 1000);
    this.sweeps = new TaskSweeps({ maxIds: MAX_BATCH, tasks: d.tasks, peeks: this.peeks, waiters: this.waiters, clock: d.clock, ...(d.recheckMs !== undefined && { recheckMs: d.recheckMs }), closed: () => this.closed });
  }

  /** Queues one task; the options override the function's defaults for this call (see ExecuteOptions). */
  async execute(viewer: string, functionId: string, args: unknown, o: ExecuteOptions = {}): Promise<Result<string, DomainError>> {
    const ids = await this.executeBatch(viewer, functionId, [args], o);
    return ids.ok ? ok(ids.value[0] as string) : ids;
  }

  /**
   * Queues one task and waits up to `waitMs` (> 0) for it to end. The waiter is registered before the
   * task is stored, so no read of it is needed: its end comes with the report (a read only when the
   * report carried no record, or at the deadline). Answers the task (terminal, or as it stands at the
   * deadline) with its id.
   */
  async executeAndAwait(viewer: string, functionId: string, args: unknown, o: ExecuteOptions, waitMs: number): Promise<Result<{ id: string; task: Task | undefined }, DomainError>> {
    const p = await this.prepare(viewer, functionId, [args], o);
    if (!p.ok) return p;
    const [id] = this.newIds(1) as [string];
    const deadline = this.d.clock.now() + waitMs;
    const w = this.waiters.waitFor(id, Math.min(waitMs, this.d.recheckMs ?? Number.POSITIVE_INFINITY));
    const queued = await this.d.tasks.enqueue(p.value.tasks([id]), p.value.caps);
    if (!queued.ok) {
      w.cancel();
      return queued;
    }
    const delivered = (await w.done)?.tasks.get(id);
    if (delivered !== undefined && isTerminal(delivered.status)) return ok({ id, task: delivered });
    const left = deadline - this.d.clock.now();
    const t = left > 0 && !this.closed ? await this.awaitTask(viewer, id, left) : await this.task(viewer, id);
    return ok({ id, task: t.ok ? t.value : undefined });
  }

  /** Queues several tasks of one function, all or nothing; bad arguments are named by their index. */
  async executeBatch(viewer: string, functionId: string, argsList: readonly unknown[], o: ExecuteOptions = {}): Promise<Result<string[], DomainError>> {
    const p = await this.prepare(viewer, functionId, argsList, o);
    if (!p.ok) return p;
    const ids = this.newIds(argsList.length);
    const queued = await this.enqueueNew(p.value.tasks(ids), p.value.caps);
    return queued.ok ? ok(ids) : queued;
  }

  /** Stores new tasks; long-polls in this process then know them QUEUED without reading them (TaskPeeks). */
  private async enqueueNew(tasks: readonly Task[], caps: EnqueueCaps): Promise<Result<void, DomainError>> {
    const mark = this.peeks.mark();
    const queued = await this.d.tasks.enqueue(tasks, caps);
    if (queued.ok) this.peeks.queued(tasks, mark);
    return queued;
  }

  /**
   * executeBatch under an idempotency key (one task is a batch of one). The task ids are chosen first
   * and remembered with the request's fingerprint under the viewer's key, then those very tasks are
   * stored. The same key again within the retention period: with the same fingerprint, the first
   * request's ids (`replayed`), storing them if the first request stopped before it could (a no-op
   * otherwise); with another, IdempotencyConflict. A request refused before anything was stored
   * (bad arguments, unknown function, a full queue) leaves the key free for a corrected one.
   *
   * @example
   * const r = await tasks.executeOnce("alice", fid, ["[1]"], {}, { key: "order-42", fingerprint: digest });
   * // ok({ ids: ["9a2e..."], replayed: false }); the same call again: ok({ ids: ["9a2e..."], replayed: true })
   */
  async executeOnce(viewer: string, functionId: string, argsList: readonly unknown[], o: ExecuteOptions, once: IdempotentRequest): Promise<Result<IdempotentOutcome, DomainError>> {
    const keys = this.d.idempotency;
    if (keys === undefined) throw new Error("executeOnce needs TaskServiceDeps.idempotency");
    const badKey = checkIdempotencyKey(once.key);
    if (badKey !== undefined) return err(badKey);
    const p = await this.prepare(viewer, functionId, argsList, o);
    if (!p.ok) return p;
    const ids = this.newIds(argsList.length);
    const seen = await keys.store.remember(viewer, once.key, { fingerprint: once.fingerprint, taskIds: ids }, keys.ttlMs);
    const caps = { ...p.value.caps, ifAbsent: true }; // a request racing on the key may store the same ids
    if (!seen.fresh) {
      const first = seen.record;
      if (first.fingerprint !== once.fingerprint || first.taskIds.length !== ids.length) return err(idempotencyConflict(once.key));
      const again = await this.d.tasks.enqueue(p.value.tasks(first.taskIds), caps);
      return again.ok ? ok({ ids: [...first.taskIds], replayed: true }) : again;
    }
    const queued = await this.enqueueNew(p.value.tasks(ids), caps);
    if (queued.ok) return ok({ ids, replayed: false });
    // Nothing stored: free the key for a corrected request (unless a request racing on it stored them).
    if ((await this.d.tasks.get(ids[0] as string)) === undefined) await keys.store.forget(viewer, once.key);
    return queued;
  }

  /** Ids for a batch of `n` new tasks (one shard for the batch where the store has shards). */
  private newIds(n: number): string[] {
    if (n === 1 && this.d.ids.batch === undefined) return [this.d.ids.next()]; // a lone task: no Array.from
    return this.d.ids.batch?.(n) ?? Array.from({ length: n }, () => this.d.ids.next());
  }

  /** Checks a request to execute; builds nothing in the store. */
  private async prepare(viewer: string, functionId: string, argsList: readonly unknown[], o: ExecuteOptions): Promise<Result<PreparedTasks, DomainError>> {
    if (argsList.length > MAX_BATCH) {
      return err(invalid(`A batch holds at most ${MAX_BATCH} tasks, got ${argsList.length}`, { name: "args" }));
    }
    const fn = await this.d.functions.get(functionId);
    if (fn === undefined || !visibleTo(viewer, fn.tenant)) return err({ kind: "UnknownFunction", functionId });
    const now = this.d.clock.now();
    const opts = checkExecuteOptions(o, fn.retry, now);
    if (!opts.ok) return opts;
    if (opts.value.after !== undefined) {
      const missing = await this.unknownTasks(viewer, opts.value.after);
      if (missing !== undefined) return err(missing);
    }
    const deadline = opts.value.timeoutMs ?? fn.timeoutMs;
    const checked: string[] = new Array(argsList.length);
    for (let i = 0; i < argsList.length; i++) {
      const args = checkArgs(argsList[i], { name: "args", index: i });
      if (!args.ok) return args;
      checked[i] = args.value;
    }
    return ok({
      caps: this.capsFor(fn.tenant),
      tasks: (ids) => checked.map((args, i) => newTask(ids[i] as string, fn.id, args, fn.maxAttempts, deadline, now, fn.tenant, opts.value)),
    });
  }

  /**
   * Queues a small DAG of tasks in one all-or-nothing call: each node names its function, arguments and
   * options; its `after` lists local names of other nodes or ids of the caller's existing tasks. Cycles,
   * duplicate names and bad nodes are refused naming the node. Answers the task id of each name.
   */
  async executeGraph(viewer: string, nodes: readonly GraphTaskInput[]): Promise<Result<Map<string, string>, DomainError>> {
    const order = checkGraph(nodes.map((n) => ({ name: n.name, ...(n.options.after !== undefined && { after: n.options.after }) })));
    if (!order.ok) return order;
    const fns = new Map<string, FunctionRecord>();
    for (const n of nodes) {
      if (fns.has(n.functionId)) continue;
      const fn = await this.d.functions.get(n.functionId);
      if (fn === undefined || !visibleTo(viewer, fn.tenant)) return err({ kind: "UnknownFunction", functionId: n.functionId });
      fns.set(fn.id, fn);
    }
    const tenants = new Set([...fns.values()].map((f) => f.tenant));
    if (tenants.size > 1) return err(invalid(`A graph's functions must belong to one tenant, got ${[...tenants].join(", ")}`, { name: "tasks" }));
    const ids = this.d.ids.batch?.(nodes.length) ?? nodes.map(() => this.d.ids.next());
    const idOf = new Map(nodes.map((n, i) => [n.name, ids[i] as string]));
    const now = this.d.clock.now();
    const existing = new Set<string>();
    const tasks: Task[] = [];
    for (const [i, n] of nodes.entries()) {
      const fn = fns.get(n.functionId) as FunctionRecord;
      const args = checkArgs(n.args, { name: "tasks", index: i });
      if (!args.ok) return args;
      const after = n.options.after?.map((a) => idOf.get(a) ?? (existing.add(a), a));
      const opts = checkExecuteOptions({ ...n.options, ...(after !== undefined && { after }) }, fn.retry, now);
      if (!opts.ok) return err(inNode(opts.error, i));
      tasks.push(newTask(ids[i] as string, fn.id, args.value, fn.maxAttempts, opts.value.timeoutMs ?? fn.timeoutMs, now, fn.tenant, opts.value));
    }
    if (existing.size > 0) {
      const missing = await this.unknownTasks(viewer, [...existing]);
      if (missing !== undefined) return err(missing);
    }
    const queued = await this.enqueueNew(tasks, this.capsFor([...tenants][0] as string));
    return queued.ok ? ok(idOf) : queued;
  }

  /** The queue limits a tenant's new tasks meet. */
  private capsFor(tenant: string): EnqueueCaps {
    const mine = this.d.limits === undefined ? undefined : limitsOf(this.d.limits, tenant).maxQueued;
    return mine === undefined ? { maxQueue: this.d.maxQueue } : { maxQueue: this.d.maxQueue, tenantMaxQueued: mine };
  }

  /** An error naming the first id of `after` that `viewer` cannot see (missing, expired, another tenant's). */
  private async unknownTasks(viewer: string, after: readonly string[]): Promise<DomainError | undefined> {
    const found = await this.d.tasks.getMany(after);
    const i = found.findIndex((t) => t === undefined || !visibleTo(viewer, t.tenant));
    return i < 0 ? undefined : invalid(`No task with id "${after[i]}" to wait for (unknown, expired, or not yours)`, { name: "after", index: i });
  }

  /** The task, if `viewer` may see it. */
  async task(viewer: string, id: string): Promise<Result<Task, DomainError>> {
    const t = await this.d.tasks.get(id);
    return t === undefined || !visibleTo(viewer, t.tenant) ? err({ kind: "UnknownTask", taskId: id }) : ok(t);
  }

  /** The task, once terminal or after `waitMs` (0: at once), whichever comes first. */
  async awaitTask(viewer: string, id: string, waitMs: number): Promise<Result<Task, DomainError>> {
    if (waitMs <= 0 || this.closed) return this.task(viewer, id);
    const deadline = this.d.clock.now() + waitMs;
    const recheck = this.d.recheckMs ?? Number.POSITIVE_INFINITY;
    // Registered before each read, so an end reported in between is not missed.
    let w = this.waiters.waitFor(id, Math.min(waitMs, recheck));
    let current = await this.task(viewer, id);
    for (;;) {
      if (!current.ok || isTerminal(current.value.status) || this.closed) {
        w.cancel();
        return current;
      }
      const fired = await w.done;
      // A report that carried the finished task answers without reading it again (its tenant is the one read above).
      const delivered = fired?.tasks.get(id);
      if (delivered !== undefined && isTerminal(delivered.status)) return ok(delivered);
      const left = deadline - this.d.clock.now();
      if (left <= 0 || this.closed) return this.task(viewer, id);
      w = this.waiters.waitFor(id, Math.min(left, recheck));
      current = await this.task(viewer, id);
    }
  }

  /**
   * Every listed task that is terminal, waiting up to `waitMs` until at least one is
   * (FIRST_COMPLETED; task-sweeps.ts). Unknown (or expired) ids are listed apart.
   */
  awaitAny(viewer: string, ids: readonly string[], waitMs: number): Promise<Result<TaskSweep, DomainError>> {
    return this.sweeps.awaitAny(viewer, ids, waitMs);
  }

  /** Every listed task once all are terminal, waiting up to `waitMs` (ALL_COMPLETED; task-sweeps.ts). */
  awaitAll(viewer: string, ids: readonly string[], waitMs: number): Promise<Result<TaskSweep, DomainError>> {
    return this.sweeps.awaitAll(viewer, ids, waitMs);
  }

  /**
   * Cancels a QUEUED or RUNNING task: CANCELLED at once in the store, long-polls on it answer, and the
   * dispatcher running it (if any) stops its job. UnknownTask or AlreadyTerminal otherwise.
   */
  async cancel(viewer: string, id: string): Promise<Result<Task, DomainError>> {
    const visible = await this.task(viewer, id); // a task's tenant never changes: checking first is safe
    if (!visible.ok) return visible;
    const cancelled = await this.d.tasks.cancel(id);
    if (!cancelled.ok) return cancelled;
    this.d.cancels.publish([id]);
    this.d.events.publish([id]);
    return cancelled;
  }

  /** How many long-poll requests are waiting right now (for metrics and tests). */
  waitingCount(): number {
    return this.waiters.size();
  }

  /** Shutting down: every waiting long-poll answers now with the current status, and new ones do not wait. */
  close(): void {
    this.closed = true;
    this.waiters.close();
    this.peeks.close();
  }
}

/** One node of POST /execute_graph. */
export interface GraphTaskInput {
  /** Unique in the graph; other nodes' `after` may name it. */
  readonly name: string;
  readonly functionId: string;
  /** JSON text of the argument array. */
  readonly args: unknown;
  /** As for execute; `after` may hold local names as well as task ids. */
  readonly options: ExecuteOptions;
}

/** An error about one node's options, naming the node (adapters show it as `tasks/<i>`; the message names the option). */
function inNode(e: DomainError, index: number): DomainError {
  return e.kind === "InvalidRequest" ? invalid(e.message, { name: "tasks", index }) : e;
}
