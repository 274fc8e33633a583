/**
 * A FunctionStore that remembers what it has read: functions are immutable once registered, so a
 * process that executes the same function many times reads it from the backend once (one Redis round
 * trip less per execute on the API, none per task on a dispatcher). An entry is read again after
 * `maxAgeMs` (default 30 s), so a function the backend lost (Redis restarted empty) stops showing here
 * soon after; execute does not depend on that, as the backend's enqueue checks the function itself.
 * Bounded: past `max` entries the cache starts over.
 *
 * @example
 * const functions = new CachedFunctionStore(redisFunctions, clock);
 * await functions.get(id); // Redis
 * await functions.get(id); // memory
 */
import type { FunctionRecord } from "./function-record.ts";
import type { Clock, FunctionStore } from "./ports.ts";

export class CachedFunctionStore implements FunctionStore {
  private readonly cache = new Map<string, { fn: FunctionRecord; readAt: number }>();

  constructor(
    private readonly inner: FunctionStore,
    private readonly clock: Clock,
    private readonly o: { readonly max?: number; readonly maxAgeMs?: number } = {},
  ) {}

  async save(fn: FunctionRecord): Promise<void> {
    await this.inner.save(fn);
    this.remember(fn);
  }

  async get(id: string): Promise<FunctionRecord | undefined> {
    const hit = this.cache.get(id);
    if (hit !== undefined && this.clock.now() - hit.readAt < (this.o.maxAgeMs ?? 30_000)) return hit.fn;
    const fn = await this.inner.get(id);
    if (fn !== undefined) this.remember(fn);
    else this.cache.delete(id);
    return fn;
  }

  list(tenant?: string): Promise<FunctionRecord[]> {
    return this.inner.list(tenant);
  }

  count(tenant?: string): Promise<number> {
    return this.inner.count(tenant);
  }

  private remember(fn: FunctionRecord): void {
    if (this.cache.size >= (this.o.max ?? 10_000)) this.cache.clear();
    this.cache.set(fn.id, { fn, readAt: this.clock.now() });
  }
}
