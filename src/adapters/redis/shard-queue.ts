/**
 * One dispatcher's side of one shard's queue: its liveness key in the shard, the entries it holds there,
 * and the scripts that hand entries out (CLAIM, RECLAIM, ADOPT) or settle them (APPLY). RedisDispatchQueue
 * combines one per shard.
 *
 * It remembers the entries it handed out until their tasks are settled. It adopts the entries pending
 * on it that it does not hold (ADOPT; nobody else would, as it is alive) when it may have lost some:
 * - a script that hands entries out failed after it may have run (the reply was lost);
 * - the connection came back after a drop (a failover may have lost an acknowledged write, say an
 *   APPLY, leaving an entry pending here for a task it no longer runs);
 * - RECLAIM (run about every `reclaimEveryMs`) reports more entries pending here than it holds.
 * A claim's tasks share one entry (lua/shared.ts): an entry counts as held while any of its tasks is,
 * so a task lost beside held ones of its entry is adopted once those are settled. RECLAIM and ADOPT
 * take up to `max` entries, each with the tasks of one claim still running on it: more tasks than
 * `max` may come back (the executors queue what finds no free slot).
 *
 * A claim that took fewer tasks than it asked for notes this dispatcher idle in the shard; the next
 * ENQUEUE then claims for it and appends the tasks to its hand-out stream (lua/claim-core.ts), which the
 * dispatcher reads in its blocking wait (`handedOut`) or, when it was not waiting, takes back in its
 * next script that hands entries out (CLAIM, RECLAIM, ADOPT each take what is past what it read first).
 *
 * @example
 * const shard = new ShardQueue({ redis, keys: keys.shards[0], clock, retentionMs, dispatcherId: "d-1" });
 * const got = await shard.take(64); // { tasks } or { idleAfter: last stream id }
 */
import { failureLabelOf } from "../../domain/metrics.ts";
import type { Clock, Logger } from "../../domain/ports.ts";
import type { LimitsTable } from "../../domain/tenant-limits.ts";
import { settleAttempt } from "../../domain/attempt-log.ts";
import type { Task, Transition } from "../../domain/task.ts";
import type { RedisClient } from "./client.ts";
import { guarded } from "./connection.ts";
import { GROUP, type ShardKeys } from "./keys.ts";
import { Liveness } from "./liveness.ts";
import { ADOPT } from "./lua/adopt.ts";
import { APPLY } from "./lua/apply.ts";
import { CLAIM } from "./lua/claim.ts";
import { SWEEP_BUDGET } from "./lua/operations.ts";
import { RECLAIM } from "./lua/reclaim.ts";
import { decodeStored, decodeTask, encodeEnd } from "./task-codec.ts";
import { traceMark } from "../system/trace.ts";

export interface ShardQueueOptions {
  readonly redis: RedisClient;
  readonly keys: ShardKeys;
  readonly clock: Clock;
  readonly retentionMs: number;
  readonly logger?: Logger;
  readonly dispatcherId: string;
  /** Liveness key ttl. Default 10 s. */
  readonly livenessMs?: number;
  /** How often to look for dead dispatchers' entries. Default 1000 ms. */
  readonly reclaimEveryMs?: number;
  /** Most finished tasks each such look deletes past the retention. Default SWEEP_BUDGET (lua/operations.ts). */
  readonly sweepBudget?: number;
  /** Longest single blocking read (default 1000 ms): a waiting dispatcher renews its idle note this often; the note holds three times as long. */
  readonly blockMs?: number;
  /** A waiting task rises one priority level per this many ms. Default 30 s. */
  readonly agingMs?: number;
  /** Where APPLY publishes the tasks it ends (the task events channel); none when undefined. */
  readonly eventsChannel?: string;
  /** Quotas per tenant (running at once, started per second), split evenly over `shardCount` shards. */
  readonly limits?: LimitsTable;
  readonly shardCount?: number;
}

/**
 * What one look at a shard found: tasks now RUNNING here (from CLAIM: with the wake stream's newest
 * entry id as of that claim); or none, the wake stream's newest entry id,
 * when the next delayed task is due, and how long until a rate-limited tenant may start one. `outbox`:
 * how many dependency items wait on the shard's outbox (dependency-links.ts).
 */
export type Take =
  | { readonly tasks: Task[]; readonly idleAfter?: undefined; readonly outbox: number }
  | ({ readonly tasks: readonly []; readonly outbox: number } & Idle);

/** Where to wait for more: after this wake stream entry, until a delayed task is due or a rate-limited tenant may start one. */
export interface Idle {
  readonly idleAfter: string;
  readonly dueAt?: number;
  readonly rateWaitMs?: number;
}

function idle(after: string, due: unknown, rateWait: unknown): Idle {
  return { idleAfter: after, ...(due !== "" && { dueAt: Number(due) }), ...(rateWait !== "" && { rateWaitMs: Number(rateWait) }) };
}

export class ShardQueue {
  readonly keys: ShardKeys;
  private readonly redis: RedisClient;
  private readonly liveness: Liveness;
  /** Task id -> the task as handed out (RUNNING) and the queue entry of each attempt not yet settled. */
  private readonly held = new Map<string, { task: Task; entry: string }>();
  private nextReclaimAt = 0;
  /** Whether the last CLAIM noted this dispatcher idle in the shard (it took fewer than it asked for), and when. */
  private idleNoted = false;
  private idleNotedAt = 0;
  /** The newest hand-out stream entry taken ('' for none): older ones were read already. */
  private handoutSeen = "";
  readonly handoutStream: string;
  private mayHaveLostEntries = false;
  /** Set when the last CLAIM took fewer tasks than asked for: where to wait before looking again. */
  private drained: Idle | undefined;

  private readonly limits: (string | number)[];
  /** Whether some tenant has a running limit (a settled attempt then wakes waiting dispatchers). */
  private readonly runningLimits: boolean;

  constructor(private readonly o: ShardQueueOptions) {
    this.redis = o.redis;
    this.keys = o.keys;
    this.limits = this.limitArgs();
    this.runningLimits = [...(o.limits?.values() ?? [])].some((l) => l.maxRunning !== undefined);
    this.handoutStream = o.keys.handout(o.dispatcherId);
    this.liveness = new Liveness(o.redis, o.keys.live(o.dispatcherId), o.livenessMs ?? 10_000, o.clock, o.logger);
  }

  private get scriptKeys(): readonly string[] {
    return this.keys.scriptKeys;
  }

  /** The CLAIM arguments after the fixed ones: tenant, running, rate triples, this shard's share. */
  private limitArgs(): (string | number)[] {
    const out: (string | number)[] = [];
    const n = this.o.shardCount ?? 1;
    for (const [tenant, l] of this.o.limits ?? []) out.push(tenant, l.maxRunning === undefined ? "" : Math.ceil(l.maxRunning / n), l.ratePerSec === undefined ? "" : l.ratePerSec / n);
    return out;
  }

  /** Adopt entries pending here that are not held, on the next take (see the file comment). */
  markMayHaveLostEntries(): void {
    this.mayHaveLostEntries = true;
  }

  /**
   * Where to wait, when the last look took fewer tasks than it asked for and nothing else is due here
   * (lost entries to adopt, a periodic reclaim): the next look would find nothing new before the wake
   * stream moves on. Forgotten by the next look.
   */
  parkedAt(now: number): Idle | undefined {
    if (this.drained === undefined || this.mayHaveLostEntries || now >= this.nextReclaimAt) return undefined;
    if (this.idleNoted && now - this.idleNotedAt >= (this.o.blockMs ?? 1000)) return undefined; // a look renews the idle note
    return this.drained;
  }

  /** Where the hand-out stream is to be read from: after the newest entry taken. */
  get handoutAfter(): string {
    return this.handoutSeen === "" ? "0-0" : this.handoutSeen;
  }

  /**
   * The tasks ENQUEUE handed to this dispatcher, from entries of its hand-out stream a blocking read
   * returned (entries taken already are skipped); now held here, RUNNING.
   */
  handedOut(entries: readonly (readonly [string, readonly string[]])[]): Task[] {
    const jsons: string[] = [];
    for (const [id, fields] of entries) {
      if (!this.tookHandouts(id)) continue;
      for (let i = 1; i < fields.length; i += 2) jsons.push(fields[i] as string);
    }
    return this.hold(jsons);
  }

  /** The wake stream moved on: the next look may find something. */
  woken(): void {
    this.drained = undefined;
  }

  /**
   * Advances what was taken of the hand-out stream to `newest` (an entry read, or a script's report; ''
   * for nothing); false when it was taken already.
   */
  private tookHandouts(newest: unknown): boolean {
    if (typeof newest !== "string" || newest === "" || (this.handoutSeen !== "" && !streamIdAfter(newest, this.handoutSeen))) return false;
    this.handoutSeen = newest;
    return true;
  }

  /** The tasks of a CLAIM reply that took some (hand-outs first), now held here. */
  private claimed(reply: readonly unknown[]): Task[] {
    this.tookHandouts(reply[5]);
    return this.hold(reply.slice(6) as string[]);
  }

  /** When the next periodic reclaim is due (for how long a blocking read may wait). */
  reclaimDueAt(): number {
    return this.nextReclaimAt;
  }

  /** Adopts lost entries, else takes over dead dispatchers' (when due), else claims new ones: up to `max`. */
  async take(max: number): Promise<Take> {
    this.drained = undefined;
    await this.liveness.ensure();
    if (this.mayHaveLostEntries) {
      const adopted = await this.adoptLost(max);
      if (adopted.length > 0) return { tasks: adopted, outbox: 0 };
    }
    if (this.o.clock.now() >= this.nextReclaimAt) {
      this.nextReclaimAt = this.o.clock.now() + (this.o.reclaimEveryMs ?? 1000);
      const taken = await this.reclaim(max);
      if (taken.length > 0) return { tasks: taken, outbox: 0 };
    }
    const now = this.o.clock.now();
    const args = [GROUP, this.o.dispatcherId, max, now, this.o.agingMs ?? 30_000, this.handoutSeen, 3 * (this.o.blockMs ?? 1000), ...this.limits];
    const reply = await this.runHandingOut(() => CLAIM.run(this.redis, this.scriptKeys, args));
    const outbox = Number(reply[1]);
    this.idleNoted = reply[0] !== "" || reply.length - 6 < max;
    this.idleNotedAt = now;
    if (reply[0] === "") {
      const tasks = this.claimed(reply);
      // Fewer than asked for: nothing more can be claimed here until the wake stream moves on (or the times below).
      this.drained = tasks.length < max && outbox === 0 ? idle(String(reply[2]), reply[3], reply[4]) : undefined;
      return { tasks, outbox };
    }
    const found = idle(String(reply[0]), reply[2], reply[3]);
    this.drained = outbox === 0 ? found : undefined;
    return { tasks: [], outbox, ...found };
  }

  /**
   * Takes this dispatcher off the shard's idle hash when its last claim put it there: the dispatcher
   * filled its slots from other shards and will not wait.
   */
  async notIdle(): Promise<void> {
    if (!this.idleNoted) return;
    this.idleNoted = false;
    this.drained = undefined;
    await guarded(() => this.redis.hdel(this.keys.idle, this.o.dispatcherId));
  }

  /**
   * Takes this dispatcher off the shard's idle hash, so nothing more is handed to it, and takes what was
   * handed to it and not read (a claim for none).
   */
  async retire(): Promise<Task[]> {
    const args = [GROUP, this.o.dispatcherId, 0, this.o.clock.now(), this.o.agingMs ?? 30_000, this.handoutSeen];
    const reply = await this.runHandingOut(() => CLAIM.run(this.redis, this.scriptKeys, args));
    this.drained = undefined;
    this.idleNoted = false;
    return reply[0] === "" ? this.claimed(reply) : [];
  }

  /**
   * Takes over up to `max` pending entries of dispatchers whose liveness key is gone, each a new
   * attempt of its task. A live dispatcher's entries are never taken. The same script first sweeps
   * the shard's tasks finished more than the retention ago (up to `sweepBudget`: lua/operations.ts).
   */
  async reclaim(max: number): Promise<Task[]> {
    await this.liveness.ensure();
    const holding = this.heldEntries().size; // read before the script: settling only lowers the pending count
    const args = [GROUP, this.o.dispatcherId, max, this.o.clock.now(), this.keys.taskPrefix, this.keys.livePrefix, this.handoutSeen, this.o.retentionMs, this.o.sweepBudget ?? SWEEP_BUDGET];
    const [mine, newest, handed, ...jsons] = await this.runHandingOut(() => RECLAIM.run(this.redis, this.scriptKeys, args));
    this.tookHandouts(newest);
    if (Number(mine) > holding) this.mayHaveLostEntries = true;
    const taken = jsons.length - Number(handed);
    if (taken > 0) this.o.logger?.log("info", "took over tasks of a dead dispatcher", { tasks: taken });
    return this.hold(jsons as string[]);
  }

  /**
   * Settles attempts of this shard's tasks with fenced transitions, acking their entries; answers the
   * tasks changed (none when `quiet`) and how many dependency items wait on the shard's outbox.
   */
  async apply(transitions: readonly Transition[], quiet = false): Promise<{ tasks: Task[]; outbox: number }> {
    const now = this.o.clock.now();
    const args: (string | number)[] = [GROUP, now, this.o.retentionMs, this.o.agingMs ?? 30_000, this.runningLimits ? 1 : 0, this.o.eventsChannel ?? "", quiet ? 1 : 0];
    // in descending id order: the ids of the tasks ended go into the finished index's groups as they
    // come, and a group's run is listed in that order (lua/operations.ts); the sort is stable
    for (const t of [...transitions].sort(byIdDescending)) {
      const label = t.status === "FAILED" ? failureLabelOf(t.result) : "";
      const fast = this.fastSettle(t, now);
      if (fast === undefined) args.push(t.taskId, t.attempt, t.handback === true ? "HANDBACK" : t.status, t.result ?? "", label, t.retryInMs ?? "", t.ranOn ?? "", "", "", "", "", "");
      else args.push(t.taskId, t.attempt, t.status, "", label, "", "", fast.entry, fast.changes, fast.task.tenant, fast.task.createdAt, fast.task.functionId);
    }
    traceMark("d.apply");
    // the tasks' waiters (the events channel) hear their ends before this dispatcher hears the reply
    const replyAfterMessages = this.o.eventsChannel !== undefined;
    const [outbox, ...jsons] = (await guarded(() => APPLY.run(this.redis, this.scriptKeys, args, { replyAfterMessages }))) as [number, ...string[]];
    // Settled attempts are forgotten (their entries were acked by the script).
    for (const s of transitions) if (this.held.get(s.taskId)?.task.attempt === s.attempt) this.held.delete(s.taskId);
    return { tasks: jsons.map(decodeTask), outbox: Number(outbox) };
  }

  /**
   * For APPLY's fast path: the fields of a task held here that its end under `t` (COMPLETED, FAILED or
   * CANCELLED by this attempt) changes, computed here as JSON so the script need not decode the task;
   * the script uses them only while the stored record's head still shows this attempt on this entry.
   */
  private fastSettle(t: Transition, now: number): { entry: string; changes: string; task: Task } | undefined {
    const held = this.held.get(t.taskId);
    if (held === undefined || held.task.attempt !== t.attempt || t.status === "QUEUED") return undefined;
    const ended = settleAttempt(held.task, t, now);
    if (ended === undefined) return undefined;
    return { entry: held.entry, changes: encodeEnd(ended), task: held.task };
  }

  private hold(jsons: readonly string[]): Task[] {
    return jsons.map((json) => {
      const { task, entry } = decodeStored(json);
      if (entry !== undefined) this.held.set(task.id, { task, entry });
      return task;
    });
  }

  /** Runs a script that hands out entries; if it fails, its reply may have been lost after it ran. */
  private async runHandingOut(script: () => Promise<unknown>): Promise<unknown[]> {
    try {
      return (await guarded(script)) as unknown[];
    } catch (e) {
      this.mayHaveLostEntries = true;
      throw e;
    }
  }

  /** The queue entries of the tasks held (a claim's tasks share one). */
  private heldEntries(): Set<string> {
    return new Set(Array.from(this.held.values(), (h) => h.entry));
  }

  /** Adopts up to `max` entries pending on this dispatcher that it does not hold. */
  private async adoptLost(max: number): Promise<Task[]> {
    const heldEntries = this.heldEntries(); // read before the pending list
    const limit = heldEntries.size + max;
    let pending: [string, ...unknown[]][];
    try {
      pending = (await guarded(() => this.redis.xpending(this.keys.queue, GROUP, "-", "+", limit, this.o.dispatcherId))) as [string, ...unknown[]][];
    } catch (e) {
      if (!String((e as Error)?.message).includes("NOGROUP")) throw e;
      // Redis restarted empty: no group, so nothing is pending anywhere; the next CLAIM creates it.
      this.mayHaveLostEntries = false;
      this.o.logger?.log("warn", "the queue's consumer group is gone (Redis restarted empty?); it is created again", { event: "queue.group_recreated", queue: this.keys.queue });
      return [];
    }
    const lost = pending.map((p) => p[0]).filter((id) => !heldEntries.has(id)).slice(0, max);
    if (lost.length === 0 && pending.length < limit) {
      this.mayHaveLostEntries = false;
      return [];
    }
    const args = [GROUP, this.o.dispatcherId, this.o.clock.now(), this.keys.taskPrefix, this.handoutSeen, ...lost];
    const [newest, handed, ...jsons] = await this.runHandingOut(() => ADOPT.run(this.redis, this.scriptKeys, args));
    this.tookHandouts(newest);
    const adopted = jsons.length - Number(handed);
    if (adopted > 0) this.o.logger?.log("warn", "adopted tasks whose claim or settlement was lost", { event: "queue.adopted", tasks: adopted });
    return this.hold(jsons as string[]);
  }

  /** Stops refreshing the liveness key; `release` deletes it so others take over at once. */
  async close(release: boolean): Promise<void> {
    await this.liveness.stop(release);
  }
}

/** Whether stream entry id `a` ("ms-seq") is newer than `b`. */
function streamIdAfter(a: string, b: string): boolean {
  const [am, as] = a.split("-").map(Number) as [number, number];
  const [bm, bs] = b.split("-").map(Number) as [number, number];
  return am !== bm ? am > bm : as > bs;
}

/** Descending order of task ids (UTF-16 units: byte order for the ASCII ids we make). */
function byIdDescending(a: Transition, b: Transition): number {
  return a.taskId < b.taskId ? 1 : a.taskId > b.taskId ? -1 : 0;
}
