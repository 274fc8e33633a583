/**
 * Idempotency keys in Redis: one string per tenant and key, `<prefix>:idem:<tenant>:<key>`, holding
 * the JSON of its record and expiring after the retention period. Remembering is one script on that
 * one key (set it if absent, else read it), so it is atomic, needs no hash tag on a Cluster (one key,
 * one slot), and with `--redis-wait-replicas` waits for the replicas like an enqueue. Tenant names hold
 * no ":", so the key after them may hold anything.
 *
 * @example
 * const keys = new RedisIdempotencyStore(client, "faas", writes);
 * await keys.remember("alice", "order-42", { fingerprint: "f", taskIds: ["t-1"] }, 86_400_000); // { fresh: true }
 */
import type { IdempotencyRecord, IdempotencyStore, Remembered } from "../../domain/ports.ts";
import type { RedisClient } from "./client.ts";
import { guarded } from "./connection.ts";
import { LuaScript } from "./lua-script.ts";
import type { ReplicatedWrites } from "./replicated-writes.ts";

/**
 * Stores a record under a key unless the key exists.
 *
 * KEYS[1] the tenant's key
 * ARGV[1] record JSON, ARGV[2] time to live in ms
 * Returns nil when stored, else the JSON of the record stored before.
 */
export const REMEMBER = new LuaScript(
  "remember",
  `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
return redis.call('GET', KEYS[1])
`,
);

export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly writes: ReplicatedWrites,
  ) {}

  /** The Redis key of a tenant's idempotency key. */
  keyOf(tenant: string, key: string): string {
    return `${this.prefix}:idem:${tenant}:${key}`;
  }

  async remember(tenant: string, key: string, record: IdempotencyRecord, ttlMs: number): Promise<Remembered> {
    if (!Number.isInteger(ttlMs) || ttlMs < 1) throw new Error(`ttlMs must be a whole number of ms >= 1, got ${ttlMs}`);
    const json = JSON.stringify({ f: record.fingerprint, t: record.taskIds });
    const known = await this.writes.run(REMEMBER, [this.keyOf(tenant, key)], [json, ttlMs], (reply) => reply === null);
    if (known === null) return { fresh: true };
    const stored = JSON.parse(String(known)) as { f: string; t: string[] };
    return { fresh: false, record: { fingerprint: stored.f, taskIds: stored.t } };
  }

  async forget(tenant: string, key: string): Promise<void> {
    await guarded(() => this.redis.del(this.keyOf(tenant, key)));
  }
}
