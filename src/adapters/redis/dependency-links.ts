/**
 * Carries out the dependency work scripts leave on a shard's outbox list, at least once (an item is
 * removed only after its work is done, and every step is idempotent), so a dispatcher dying half-way
 * loses nothing: the next one to look does it again.
 * - "link|<id>": a new task waiting for others (enqueue.ts). For each task it waits for, LINK in that
 *   task's shard notes it as a dependent, or answers how that task ended; an ended one is settled at
 *   once with RESOLVE in the waiting task's shard.
 * - "done|<id>": a task others wait for has ended (apply.ts, cancel.ts, or RESOLVE failing it). Each
 *   dependent noted in its set is settled with RESOLVE; then the set is deleted.
 * Tasks failed on the way (DependencyFailed) are announced on the task events channel.
 *
 * @example
 * const links = new DependencyLinks({ redis, keys, clock, retentionMs, agingMs: 30_000, events });
 * await links.drain(0); // carries out shard 0's outbox
 */
import type { Clock, Logger, TaskEvents } from "../../domain/ports.ts";
import type { RedisClient } from "./client.ts";
import { guarded } from "./connection.ts";
import type { RedisKeys, ShardKeys } from "./keys.ts";
import { LINK, RESOLVE } from "./lua/dependencies.ts";
import { decodeTask } from "./task-codec.ts";
import { shardOfTask } from "./task-ids.ts";

export interface DependencyLinksOptions {
  readonly redis: RedisClient;
  readonly keys: RedisKeys;
  readonly clock: Clock;
  readonly retentionMs: number;
  readonly agingMs: number;
  readonly events?: TaskEvents;
  readonly logger?: Logger;
}

/** How many outbox items one drain looks at per round. */
const ROUND = 100;

export class DependencyLinks {
  constructor(private readonly o: DependencyLinksOptions) {}

  /** Carries out shard `index`'s outbox until it is empty (items added meanwhile included). */
  async drain(index: number): Promise<void> {
    const k = this.shard(index);
    for (let round = 0; round < 100; round++) {
      const items = await guarded(() => this.o.redis.lrange(k.outbox, -ROUND, -1)); // oldest last
      if (items.length === 0) return;
      for (const item of items.reverse()) {
        const bar = item.indexOf("|");
        const kind = item.slice(0, bar);
        const id = item.slice(bar + 1);
        if (kind === "link") await this.link(id);
        else if (kind === "done") await this.done(id);
        else this.o.logger?.log("warn", "unknown dependency outbox item dropped", { event: "dependencies.unknown_item", item });
        await guarded(() => this.o.redis.lrem(k.outbox, 1, item));
      }
    }
  }

  /** Links a new waiting task to each task it waits for; settles those already ended. */
  private async link(id: string): Promise<void> {
    const json = await guarded(() => this.o.redis.get(this.shardOf(id).task(id)));
    if (json === null) return;
    const task = decodeTask(json);
    if (task.status !== "QUEUED" || task.blockedBy === 0) return;
    for (const depId of task.after ?? []) {
      const dk = this.shardOf(depId);
      const [status, result] = (await guarded(() => LINK.run(this.o.redis, dk.scriptKeys, [depId, id]))) as [string, string?];
      if (status === "pending") continue;
      if (await this.resolve(id, depId, status, result ?? "null")) return; // failed: the rest does not matter
    }
  }

  /** Settles every task noted as waiting for `id`, which has ended. */
  private async done(id: string): Promise<void> {
    const k = this.shardOf(id);
    const [json, waiting] = await Promise.all([guarded(() => this.o.redis.get(k.task(id))), guarded(() => this.o.redis.smembers(k.depsPrefix + id))]);
    const task = json === null ? undefined : decodeTask(json);
    for (const dependent of waiting) await this.resolve(dependent, id, task?.status ?? "gone", task?.result ?? "null");
    await guarded(() => this.o.redis.del(k.depsPrefix + id));
  }

  /** RESOLVE in the waiting task's shard; true when it failed the task (announced). */
  private async resolve(id: string, depId: string, status: string, result: string): Promise<boolean> {
    const k = this.shardOf(id);
    const args = [this.o.clock.now(), this.o.agingMs, this.o.retentionMs, id, depId, status, result];
    const [outcome] = (await guarded(() => RESOLVE.run(this.o.redis, k.scriptKeys, args))) as [string, string?];
    if (outcome !== "failed") return false;
    this.o.events?.publish([id]); // its own dependents, if any, are on its shard's outbox now
    return true;
  }

  private shard(index: number): ShardKeys {
    return this.o.keys.shards[index] as ShardKeys;
  }

  private shardOf(id: string): ShardKeys {
    return this.shard(shardOfTask(id, this.o.keys.shards.length));
  }
}
