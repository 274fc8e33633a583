/**
 * Task ids that carry their shard: `<k>-<uuid>` for shard k of a deployment with several shards, so
 * any process finds a task's keys from its id alone, without a lookup (a plain prefix, never braces,
 * which curl would rewrite in a URL). With one shard, ids are plain UUIDs, as before shards existed.
 *
 * An id that does not start with a shard number below the shard count (a plain UUID, "missing", an id
 * of another deployment) belongs to shard 0: every id maps to exactly one shard.
 *
 * One batch of tasks gets one shard (`batch`), so it is stored by one script call, all or nothing;
 * batches go to the shards in turn.
 *
 * @example
 * const ids = new ShardedTaskIds(3);
 * ids.batch(2)                   // ["1-5b0c...", "1-9e41..."]
 * shardOfTask("2-5b0c...", 3)    // 2
 * shardOfTask("5b0c...", 3)      // 0
 */
import type { IdGen } from "../../domain/ports.ts";

const SHARD_PREFIX = /^(0|[1-9]\d{0,2})-/;

/** The shard of task `id` in a deployment of `shards` shards. */
export function shardOfTask(id: string, shards: number): number {
  if (shards === 1) return 0;
  const m = SHARD_PREFIX.exec(id);
  const k = m === null ? 0 : Number(m[1]);
  return k < shards ? k : 0;
}

export class ShardedTaskIds implements IdGen {
  private turn: number;

  constructor(
    private readonly shards: number,
    private readonly uuid: () => string = () => crypto.randomUUID(),
  ) {
    this.turn = Math.floor(Math.random() * shards); // API processes start on different shards
  }

  next(): string {
    return this.batch(1)[0] as string;
  }

  batch(n: number): string[] {
    if (this.shards === 1) return Array.from({ length: n }, this.uuid);
    const shard = this.turn;
    this.turn = (this.turn + 1) % this.shards;
    return Array.from({ length: n }, () => `${shard}-${this.uuid()}`);
  }
}
