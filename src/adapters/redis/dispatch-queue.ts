/**
 * One dispatcher's side of the tasks in Redis (the DispatchQueue port). `claim` takes new entries through the consumer group and
 * starts their attempts atomically (the CLAIM script); when none are waiting it blocks in XREAD on a
 * dedicated connection, for at most `blockMs` at a time so an abort is honoured, until an entry is
 * added after the newest one it saw (no polling sleep). About every `reclaimEveryMs` it first takes
 * over the pending entries of dispatchers whose liveness key has expired (the RECLAIM script).
 *
 * It remembers the entries it handed out until their tasks are settled (`release`). When a claim fails
 * after it may have run on Redis (the reply was lost), the next claim first adopts the entries pending
 * on this dispatcher that it does not hold (the ADOPT script): nobody else would, as it is alive.
 *
 * `apply` settles attempts with fenced transitions (the APPLY script), acking their queue entries.
 *
 * Redis restarted empty (no persistence) loses the stream and its group: CLAIM recreates both, and an
 * ADOPT that finds no group has nothing to adopt.
 *
 * @example
 * const queue = new RedisDispatchQueue({ redis, keys, clock, retentionMs: 86_400_000, dispatcherId: "d-1" });
 * const tasks = await queue.claim(64, signal);
 * await queue.apply([{ taskId: tasks[0].id, attempt: tasks[0].attempt, status: "COMPLETED", result: "5" }]);
 */
import type Redis from "ioredis";
import { failureLabelOf } from "../../domain/metrics.ts";
import type { Clock, DispatchQueue, Logger } from "../../domain/ports.ts";
import type { Task, Transition } from "../../domain/task.ts";
import { duplicateConnection, guarded } from "./connection.ts";
import { GROUP, type RedisKeys } from "./keys.ts";
import { Liveness } from "./liveness.ts";
import { ADOPT } from "./lua/adopt.ts";
import { APPLY } from "./lua/apply.ts";
import { CLAIM } from "./lua/claim.ts";
import { RECLAIM } from "./lua/reclaim.ts";
import { decodeStored, decodeTask } from "./task-codec.ts";

export interface DispatchQueueOptions {
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly clock: Clock;
  /** How long terminal tasks stay readable, in ms (set as their key's expiry where they end). */
  readonly retentionMs: number;
  readonly logger?: Logger;
  /** This dispatcher's consumer name in the group; also names its liveness key. */
  readonly dispatcherId: string;
  /** Liveness key ttl; entries of a dispatcher silent this long are taken over. Default 10 s. */
  readonly livenessMs?: number;
  /** Longest single blocking read. Default 1000 ms. */
  readonly blockMs?: number;
  /** How often to look for dead dispatchers' entries. Default 1000 ms. */
  readonly reclaimEveryMs?: number;
}

export class RedisDispatchQueue implements DispatchQueue {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly liveness: Liveness;
  private readonly blockMs: number;
  private readonly reclaimEveryMs: number;
  /** Task id -> attempt and queue entry of each attempt handed out and not yet settled. */
  private readonly held = new Map<string, { attempt: number; entry: string }>();
  private blocking: Redis | undefined;
  private nextReclaimAt = 0;
  private mayHaveLostEntries = false;
  private closed = false;

  constructor(private readonly o: DispatchQueueOptions) {
    if (!Number.isInteger(o.retentionMs) || o.retentionMs < 1) throw new Error(`retentionMs must be a whole number of ms >= 1, got ${o.retentionMs}`);
    this.redis = o.redis;
    this.keys = o.keys;
    this.clock = o.clock;
    this.logger = o.logger;
    this.liveness = new Liveness(o.redis, o.keys.live(o.dispatcherId), o.livenessMs ?? 10_000, o.clock, o.logger);
    this.blockMs = o.blockMs ?? 1000;
    this.reclaimEveryMs = o.reclaimEveryMs ?? 1000;
  }

  /**
   * Waits until tasks can be taken, then takes up to `max`, each RUNNING. Answers [] when `signal`
   * aborts, and after about `blockMs` with nothing queued (the caller asks again).
   */
  async claim(max: number, signal: AbortSignal): Promise<Task[]> {
    if (max < 1 || signal.aborted || this.closed) return [];
    await this.liveness.ensure();
    if (this.mayHaveLostEntries) {
      const adopted = await this.adoptLost(max);
      if (adopted.length > 0) return adopted;
    }
    const since = this.clock.now();
    while (!signal.aborted && !this.closed) {
      if (this.clock.now() >= this.nextReclaimAt) {
        this.nextReclaimAt = this.clock.now() + this.reclaimEveryMs;
        const taken = await this.reclaim(max);
        if (taken.length > 0) return taken;
      }
      const args = [GROUP, this.o.dispatcherId, max, this.clock.now(), this.keys.taskPrefix];
      const reply = await this.runClaiming(() => CLAIM.run(this.redis, [this.keys.queue, this.keys.queued, this.keys.statsPrefix], args));
      if (reply[0] !== "") {
        // Nothing queued: after a block time of waiting, answer [] so the caller sees a healthy,
        // idle queue (and can say so in its /healthz) before asking again.
        if (this.clock.now() - since >= this.blockMs) return [];
        await this.waitForEntryAfter(reply[0] as string, signal);
        continue;
      }
      if (reply.length > 1) return this.hold(reply.slice(1));
    }
    return [];
  }

  /**
   * Takes over up to `max` pending entries of dispatchers whose liveness key is gone, each a new
   * attempt of its task. A live dispatcher's entries are never taken.
   */
  async reclaim(max: number): Promise<Task[]> {
    await this.liveness.ensure();
    const args = [GROUP, this.o.dispatcherId, max, this.clock.now(), this.keys.taskPrefix, this.keys.livePrefix];
    const reply = await this.runClaiming(() => RECLAIM.run(this.redis, [this.keys.queue, this.keys.queued, this.keys.statsPrefix], args));
    if (reply.length > 0) this.logger?.log("info", "took over tasks of a dead dispatcher", { tasks: reply.length });
    return this.hold(reply);
  }

  async apply(transitions: readonly Transition[]): Promise<Task[]> {
    if (transitions.length === 0) return [];
    const args: (string | number)[] = [GROUP, this.clock.now(), this.o.retentionMs, this.keys.taskPrefix];
    for (const t of transitions) args.push(t.taskId, t.attempt, t.handback === true ? "HANDBACK" : t.status, t.result ?? "", t.status === "FAILED" ? failureLabelOf(t.result) : "");
    const reply = (await guarded(() => APPLY.run(this.redis, [this.keys.queue, this.keys.queued, this.keys.statsPrefix], args))) as string[];
    // Settled attempts are forgotten (their entries were acked by the script).
    for (const s of transitions) if (this.held.get(s.taskId)?.attempt === s.attempt) this.held.delete(s.taskId);
    return reply.map(decodeTask);
  }

  private hold(jsons: readonly string[]): Task[] {
    return jsons.map((json) => {
      const { task, entry } = decodeStored(json);
      if (entry !== undefined) this.held.set(task.id, { attempt: task.attempt, entry });
      return task;
    });
  }

  /** Runs a script that hands out entries; if it fails, its reply may have been lost after it ran. */
  private async runClaiming(script: () => Promise<unknown>): Promise<string[]> {
    try {
      return (await guarded(script)) as string[];
    } catch (e) {
      this.mayHaveLostEntries = true;
      throw e;
    }
  }

  /** Adopts up to `max` entries pending on this dispatcher that it does not hold. */
  private async adoptLost(max: number): Promise<Task[]> {
    const heldEntries = new Set([...this.held.values()].map((h) => h.entry)); // read before the pending list
    const limit = heldEntries.size + max;
    let pending: [string, ...unknown[]][];
    try {
      pending = (await guarded(() => this.redis.xpending(this.keys.queue, GROUP, "-", "+", limit, this.o.dispatcherId))) as [string, ...unknown[]][];
    } catch (e) {
      if (!String((e as Error)?.message).includes("NOGROUP")) throw e;
      // Redis restarted empty: no group, so nothing is pending anywhere; the next CLAIM creates it.
      this.mayHaveLostEntries = false;
      this.logger?.log("warn", "the queue's consumer group is gone (Redis restarted empty?); it is created again", { event: "queue.group_recreated" });
      return [];
    }
    const lost = pending.map((p) => p[0]).filter((id) => !heldEntries.has(id)).slice(0, max);
    if (lost.length === 0 && pending.length < limit) {
      this.mayHaveLostEntries = false;
      return [];
    }
    const args = [GROUP, this.o.dispatcherId, this.clock.now(), this.keys.taskPrefix, ...lost];
    const reply = await this.runClaiming(() => ADOPT.run(this.redis, [this.keys.queue, this.keys.queued, this.keys.statsPrefix], args));
    if (reply.length > 0) this.logger?.log("warn", "adopted tasks whose claim reply was lost", { tasks: reply.length });
    return this.hold(reply);
  }

  /** Resolves when an entry newer than `lastId` exists, after at most blockMs, or on abort. */
  private async waitForEntryAfter(lastId: string, signal: AbortSignal): Promise<void> {
    const blocking = this.blockingConnection();
    const ms = Math.max(1, Math.min(this.blockMs, this.nextReclaimAt - this.clock.now()));
    const read = guarded(() => blocking.call("XREAD", ["COUNT", 1, "BLOCK", ms, "STREAMS", this.keys.queue, lastId]));
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<void>((resolve) => {
      onAbort = resolve;
      signal.addEventListener("abort", onAbort);
    });
    try {
      await Promise.race([read, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort as () => void);
      read.catch(() => undefined); // an abandoned read may still fail later
    }
  }

  private blockingConnection(): Redis {
    if (this.blocking === undefined) {
      // Queues its first read until connected; a read still fails once the block time has passed.
      const overrides = { enableOfflineQueue: true, commandTimeout: this.blockMs + 2000, enableAutoPipelining: false, connectionName: `bunfaas-claim-${this.o.dispatcherId}` };
      this.blocking = duplicateConnection(this.redis, overrides, this.logger);
    }
    return this.blocking;
  }

  /** Stops claiming and refreshing; deletes the liveness key so others take over this one's entries. */
  async close(): Promise<void> {
    this.closed = true;
    await this.liveness.stop(true);
    this.blocking?.disconnect();
  }
}
