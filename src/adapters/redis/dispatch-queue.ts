/**
 * One dispatcher's side of the tasks in Redis (the DispatchQueue port), over every shard of the queue
 * (shard-queue.ts does the work in each). `claim` looks at the shards in turn, starting one further on
 * each call so none is starved, and takes from each until it has `max`; each look adopts lost entries,
 * takes over dead dispatchers' entries (about every `reclaimEveryMs`) or claims new ones, starting their
 * attempts atomically. When every shard is empty it blocks in XREAD until an entry is added to any of
 * them (stream-waiter.ts), for at most `blockMs` at a time so an abort is honoured (no polling sleep).
 * The same read covers this dispatcher's hand-out streams: a claim that took fewer than it asked for
 * noted it idle, and an ENQUEUE meanwhile claims for it and hands the tasks over there, so a blocked
 * dispatcher gets new tasks with the read that wakes it (lua/claim-core.ts). An aborted claim, and
 * `close`, take it off the idle hashes; `close` hands back (QUEUED again, no attempt spent) what was
 * handed to it and not read.
 * A shard that cannot be reached (its Cluster node is failing over) is skipped while others serve; the
 * claim fails only when none can be reached.
 *
 * `apply` settles attempts with fenced transitions (the APPLY script), one call per shard touched.
 *
 * After the connection comes back from a drop every shard adopts the entries pending on this
 * dispatcher that it does not hold: a failover may have lost writes Redis had acknowledged.
 *
 * Redis restarted empty (no persistence) loses the streams and their group: CLAIM recreates both, and
 * an ADOPT that finds no group has nothing to adopt.
 *
 * @example
 * const queue = new RedisDispatchQueue({ redis, keys, clock, retentionMs: 86_400_000, dispatcherId: "d-1" });
 * const tasks = await queue.claim(64, signal);
 * await queue.apply([{ taskId: tasks[0].id, attempt: tasks[0].attempt, status: "COMPLETED", result: "5" }]);
 */
import type { Clock, DispatchQueue, Logger, TaskEvents } from "../../domain/ports.ts";
import type { Task, Transition } from "../../domain/task.ts";
import type { LimitsTable } from "../../domain/tenant-limits.ts";
import { handBack } from "../../domain/outcome.ts";
import type { RedisClient } from "./client.ts";
import { DependencyLinks } from "./dependency-links.ts";
import type { RedisKeys } from "./keys.ts";
import { ShardQueue, type Idle } from "./shard-queue.ts";
import { StreamWaiter, type StreamEntries, type StreamPosition } from "./stream-waiter.ts";
import { shardOfTask } from "./task-ids.ts";

export interface DispatchQueueOptions {
  readonly redis: RedisClient;
  readonly keys: RedisKeys;
  readonly clock: Clock;
  /** How long terminal tasks stay readable, in ms (then swept: lua/operations.ts). */
  readonly retentionMs: number;
  readonly logger?: Logger;
  /** This dispatcher's consumer name in the group; also names its liveness keys. */
  readonly dispatcherId: string;
  /** Liveness key ttl; entries of a dispatcher silent this long are taken over. Default 10 s. */
  readonly livenessMs?: number;
  /** Longest single blocking read. Default 1000 ms. */
  readonly blockMs?: number;
  /** How often to look for dead dispatchers' entries. Default 1000 ms. */
  readonly reclaimEveryMs?: number;
  /** Most finished tasks each such look deletes per shard, past the retention. Default SWEEP_BUDGET (lua/operations.ts). */
  readonly sweepBudget?: number;
  /** A waiting task rises one priority level per this many ms (--priority-aging). Default 30 s. */
  readonly agingMs?: number;
  /** Quotas per tenant (--tenant-limits): running at once and started per second, split over the shards. */
  readonly limits?: LimitsTable;
  /** Where tasks failed by a failed dependency are announced (long-polls). */
  readonly events?: TaskEvents;
  /** The task events channel: APPLY publishes the tasks it ends there itself (see announcesFinished). */
  readonly eventsChannel?: string;
}

export class RedisDispatchQueue implements DispatchQueue {
  /** APPLY publishes the tasks it ends (with their records) when given the events channel. */
  readonly announcesFinished: boolean;
  private readonly shards: ShardQueue[];
  private readonly links: DependencyLinks;
  private readonly waiter: StreamWaiter;
  private readonly blockMs: number;
  private readonly clock: Clock;
  /** The shard the next claim looks at first. */
  private turn = 0;
  /** Shards whose last look failed (logged once per outage). */
  private readonly failing = new Set<number>();
  private closed = false;
  private readonly onReconnect = (): void => {
    for (const s of this.shards) s.markMayHaveLostEntries();
  };
  private readonly readyListener: () => void;

  constructor(private readonly o: DispatchQueueOptions) {
    if (!Number.isInteger(o.retentionMs) || o.retentionMs < 1) throw new Error(`retentionMs must be a whole number of ms >= 1, got ${o.retentionMs}`);
    this.clock = o.clock;
    this.blockMs = o.blockMs ?? 1000;
    this.announcesFinished = o.eventsChannel !== undefined;
    this.shards = o.keys.shards.map((keys) => new ShardQueue({ ...o, keys, shardCount: o.keys.shards.length }));
    this.links = new DependencyLinks({ redis: o.redis, keys: o.keys, clock: o.clock, retentionMs: o.retentionMs, agingMs: o.agingMs ?? 30_000, ...(o.events !== undefined && { events: o.events }), ...(o.logger !== undefined && { logger: o.logger }) });
    this.waiter = new StreamWaiter(o.redis, { blockMs: this.blockMs, name: `bunfaas-claim-${o.dispatcherId}`, ...(o.logger !== undefined && { logger: o.logger }) });
    this.turn = Math.floor(Math.random() * this.shards.length);
    // "ready" after a reconnect (single Redis, Sentinel); a Cluster announces nodes joining or leaving.
    let first = o.redis.status !== "ready";
    this.readyListener = () => {
      if (first) first = false;
      else this.onReconnect();
    };
    o.redis.on("ready", this.readyListener);
    o.redis.on("+node", this.onReconnect);
    o.redis.on("-node", this.onReconnect);
  }

  /**
   * Waits until tasks can be taken, then takes up to `max`, each RUNNING. Answers after about `blockMs`
   * with nothing queued (the caller asks again); when `signal` aborts, with what was handed to this
   * dispatcher and not read (it is taken off the idle hashes).
   */
  async claim(max: number, signal: AbortSignal): Promise<Task[]> {
    if (this.closed) return [];
    if (signal.aborted) return this.retire();
    if (max < 1) return [];
    const since = this.clock.now();
    const handed = await this.waitIfDrained(since, signal);
    if (handed.length > 0) return handed;
    while (!signal.aborted && !this.closed) {
      const got: Task[] = [];
      const idle: Parked[] = [];
      let failures = 0;
      let failure: unknown;
      let linked = false;
      const start = this.turn;
      this.turn = (this.turn + 1) % this.shards.length;
      for (let i = 0; i < this.shards.length && got.length < max; i++) {
        const index = (start + i) % this.shards.length;
        const shard = this.shards[index] as ShardQueue;
        try {
          const take = await shard.take(max - got.length);
          if (this.failing.delete(index)) this.o.logger?.log("info", "queue shard reachable again", { event: "queue.shard_restored", shard: index });
          if (take.outbox > 0) linked = (await this.drainOutbox(index)) || linked;
          if (take.idleAfter === undefined) got.push(...take.tasks);
          else idle.push(parkedOn(shard, take, this.clock.now()));
        } catch (e) {
          failures++;
          failure ??= e;
          if (!this.failing.has(index)) {
            this.failing.add(index);
            if (this.shards.length > 1) this.o.logger?.log("warn", "a queue shard cannot be reached; claiming from the others", { event: "queue.shard_unavailable", shard: index, error: String(e) });
          }
        }
      }
      if (got.length >= max && this.shards.length > 1) await this.leaveIdle();
      if (got.length > 0) return got;
      if (failures === this.shards.length) throw failure;
      if (linked) continue; // dependencies settled: tasks may be claimable now
      // Nothing claimable: after a block time of waiting, answer [] so the caller sees a healthy, idle
      // queue (and can say so in its /healthz) before asking again.
      if (this.clock.now() - since >= this.blockMs) return [];
      const woke = await this.waitForWake(idle, since, signal);
      if (woke.length > 0) return woke;
    }
    return signal.aborted && !this.closed ? this.retire() : [];
  }

  /** A full claim: the shards whose look noted this dispatcher idle take it off again (errors are left to the next look). */
  private async leaveIdle(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.notIdle().catch(() => undefined)));
  }

  /** Takes this dispatcher off every shard's idle hash; answers what was handed to it and not read. */
  private async retire(): Promise<Task[]> {
    const got: Task[] = [];
    for (const s of this.shards) {
      try {
        got.push(...(await s.retire()));
      } catch (e) {
        this.o.logger?.log("warn", "could not leave a shard's idle dispatchers", { event: "queue.retire_failed", error: String(e) });
      }
    }
    return got;
  }

  /**
   * When every shard's last look took fewer tasks than it asked for (and nothing else is due), a look
   * now would find nothing: block on the wake streams first, as an empty look would have, without its
   * round trip. A task queued since those looks moved its wake stream, so the wait ends at once.
   */
  private async waitIfDrained(since: number, signal: AbortSignal): Promise<Task[]> {
    const parked = this.shards.map((s) => s.parkedAt(since));
    if (parked.some((p) => p === undefined)) return [];
    return this.waitForWake(this.shards.map((s, i) => parkedOn(s, parked[i] as Idle, since)), since, signal);
  }

  /**
   * Blocks on the shards' wake streams and this dispatcher's hand-out streams after their positions
   * until the first of: the block time since `since`, a shard's own time (a delayed task due, a
   * rate-limited tenant able to start), the next periodic reclaim. Answers the tasks the read found
   * handed to this dispatcher.
   */
  private async waitForWake(parked: readonly Parked[], since: number, signal: AbortSignal): Promise<Task[]> {
    const until = Math.min(since + this.blockMs, ...parked.map((p) => p.until), ...this.shards.map((s) => s.reclaimDueAt()));
    const ms = until - this.clock.now();
    if (ms <= 0) return [];
    const positions: StreamPosition[] = parked.flatMap((p) => [
      { stream: p.shard.keys.wake, after: p.after, group: p.shard.keys.wake },
      { stream: p.shard.handoutStream, after: p.shard.handoutAfter, group: p.shard.keys.wake },
    ]);
    return this.handedOut(await this.waiter.wait(positions, ms, signal));
  }

  private handedOut(read: StreamEntries): Task[] {
    const tasks: Task[] = [];
    for (const [stream, entries] of read) {
      for (const s of this.shards) {
        if (s.handoutStream === stream) tasks.push(...s.handedOut(entries));
        else if (s.keys.wake === stream) s.woken();
      }
    }
    return tasks;
  }

  /** Carries out a shard's dependency outbox; true when it did (errors are logged: the items stay for the next look). */
  private async drainOutbox(index: number): Promise<boolean> {
    try {
      await this.links.drain(index);
      return true;
    } catch (e) {
      this.o.logger?.log("warn", "dependency work failed; it stays queued", { event: "dependencies.failed", shard: index, error: String(e) });
      return false;
    }
  }

  /**
   * Takes over up to `max` pending entries of dispatchers whose liveness keys are gone, in every
   * shard, each a new attempt of its task. A live dispatcher's entries are never taken.
   */
  async reclaim(max: number): Promise<Task[]> {
    const taken: Task[] = [];
    for (const s of this.shards) if (taken.length < max) taken.push(...(await s.reclaim(max - taken.length)));
    return taken;
  }

  async apply(transitions: readonly Transition[], o: { readonly quiet?: boolean } = {}): Promise<Task[]> {
    if (transitions.length === 0) return [];
    const byShard = new Map<number, Transition[]>();
    for (const t of transitions) {
      const s = shardOfTask(t.taskId, this.shards.length);
      const list = byShard.get(s);
      if (list === undefined) byShard.set(s, [t]);
      else list.push(t);
    }
    const shards = [...byShard.keys()];
    const results = await Promise.allSettled([...byShard].map(([s, list]) => (this.shards[s] as ShardQueue).apply(list, o.quiet === true)));
    const failed = results.find((r) => r.status === "rejected");
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason; // retried whole: what was applied is now refused by the fence
    const applied = results.map((r) => (r as PromiseFulfilledResult<{ tasks: Task[]; outbox: number }>).value);
    for (let i = 0; i < applied.length; i++) if ((applied[i]?.outbox ?? 0) > 0) await this.drainOutbox(shards[i] as number);
    return applied.flatMap((a) => a.tasks);
  }

  /** Stops claiming and refreshing; deletes the liveness keys so others take over this one's entries. */
  async close(): Promise<void> {
    this.closed = true;
    this.o.redis.off("ready", this.readyListener);
    this.o.redis.off("+node", this.onReconnect);
    this.o.redis.off("-node", this.onReconnect);
    const left = await this.retire();
    if (left.length > 0) {
      try {
        await this.apply(left.map((t) => handBack({ taskId: t.id, attempt: t.attempt })), { quiet: true });
      } catch (e) {
        this.o.logger?.log("warn", "could not hand back tasks handed out as it stopped; they are taken over", { event: "queue.handback_failed", tasks: left.length, error: String(e) });
      }
    }
    await Promise.all(this.shards.map((s) => s.close(true)));
    this.waiter.close();
  }
}

/** A shard to wait on: its wake stream's position (its hand-out stream is read after what was taken of it), and the time its own reasons end the wait (Infinity: none). */
interface Parked {
  readonly shard: ShardQueue;
  readonly after: string;
  readonly until: number;
}

/** Where to wait on `shard` after a look that found `idle` at `now`. */
function parkedOn(shard: ShardQueue, idle: Idle, now: number): Parked {
  return { shard, after: idle.idleAfter, until: Math.min(idle.dueAt ?? Infinity, idle.rateWaitMs === undefined ? Infinity : now + idle.rateWaitMs) };
}
