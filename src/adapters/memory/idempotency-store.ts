/**
 * Idempotency keys in memory (the embedded mode, and the reference for the contract suite): a Map
 * from tenant and key to the record, each with its expiry on the Clock. Expired keys are dropped as
 * time passes (oldest first, on every call), so memory follows the keys of the last retention period.
 *
 * @example
 * const keys = new MemoryIdempotencyStore(systemClock);
 * await keys.remember("alice", "order-42", { fingerprint: "f", taskIds: ["t-1"] }, 86_400_000); // { fresh: true }
 */
import type { Clock, IdempotencyRecord, IdempotencyStore, Remembered } from "../../domain/ports.ts";
import { FifoQueue } from "../../lib/fifo-queue.ts";

export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly records = new Map<string, { record: IdempotencyRecord; expiresAt: number }>();
  /** Keys in the order they were stored, with the expiry they were stored with. */
  private readonly expiries = new FifoQueue<{ name: string; at: number }>();

  constructor(private readonly clock: Clock) {}

  async remember(tenant: string, key: string, record: IdempotencyRecord, ttlMs: number): Promise<Remembered> {
    const now = this.clock.now();
    this.expire(now);
    const name = `${tenant}:${key}`; // tenant names hold no ":"
    const known = this.records.get(name);
    if (known !== undefined && known.expiresAt > now) return { fresh: false, record: known.record };
    const expiresAt = now + ttlMs;
    this.records.set(name, { record: { fingerprint: record.fingerprint, taskIds: [...record.taskIds] }, expiresAt });
    this.expiries.push({ name, at: expiresAt });
    return { fresh: true };
  }

  async forget(tenant: string, key: string): Promise<void> {
    this.records.delete(`${tenant}:${key}`);
  }

  /** How many keys are held (expired ones not yet dropped included); for tests. */
  size(): number {
    return this.records.size;
  }

  private expire(now: number): void {
    for (let head = this.expiries.peek(); head !== undefined && head.at <= now; head = this.expiries.peek()) {
      this.expiries.shift();
      if (this.records.get(head.name)?.expiresAt === head.at) this.records.delete(head.name); // not stored again since
    }
  }
}
