/**
 * A FunctionStore that remembers what it has read: functions are immutable once registered, so a
 * process that executes the same function many times reads it from the backend once (one Redis round
 * trip less per execute on the API). Bounded: past `max` entries the cache starts over.
 *
 * @example
 * const functions = new CachedFunctionStore(redisFunctions);
 * await functions.get(id); // Redis
 * await functions.get(id); // memory
 */
import type { FunctionRecord } from "./function-record.ts";
import type { FunctionStore } from "./ports.ts";

export class CachedFunctionStore implements FunctionStore {
  private readonly cache = new Map<string, FunctionRecord>();

  constructor(
    private readonly inner: FunctionStore,
    private readonly max = 10_000,
  ) {}

  async save(fn: FunctionRecord): Promise<void> {
    await this.inner.save(fn);
    this.remember(fn);
  }

  async get(id: string): Promise<FunctionRecord | undefined> {
    const hit = this.cache.get(id);
    if (hit !== undefined) return hit;
    const fn = await this.inner.get(id);
    if (fn !== undefined) this.remember(fn);
    return fn;
  }

  list(): Promise<FunctionRecord[]> {
    return this.inner.list();
  }

  count(): Promise<number> {
    return this.inner.count();
  }

  private remember(fn: FunctionRecord): void {
    if (this.cache.size >= this.max) this.cache.clear();
    this.cache.set(fn.id, fn);
  }
}
