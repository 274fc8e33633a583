import { describe, expect, test } from "bun:test";
import { MemoryFunctionStore } from "../../src/adapters/memory/index.ts";
import { CachedFunctionStore } from "../../src/domain/function-cache.ts";
import type { FunctionRecord } from "../../src/domain/function-record.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

function fn(id: string): FunctionRecord {
  return { id, tenant: "default", name: "f", source: "() => 1", code: "() => 1", timeoutMs: 1000, maxAttempts: 3, createdAt: 0 };
}

/** A memory store that counts reads. */
class CountingStore extends MemoryFunctionStore {
  reads = 0;
  private readonly gone = new Set<string>();
  async delete(id: string): Promise<void> {
    this.gone.add(id);
  }
  override async get(id: string): Promise<FunctionRecord | undefined> {
    this.reads++;
    return this.gone.has(id) ? undefined : super.get(id);
  }
}

describe("CachedFunctionStore", () => {
  test("reads a function from the backend once, then from memory", async () => {
    const inner = new CountingStore();
    await inner.save(fn("a"));
    const cached = new CachedFunctionStore(inner, new FakeClock());
    expect((await cached.get("a"))?.id).toBe("a");
    expect((await cached.get("a"))?.id).toBe("a");
    expect(inner.reads).toBe(1);
  });

  test("what it saves is served without a read; unknown ids are not cached", async () => {
    const inner = new CountingStore();
    const cached = new CachedFunctionStore(inner, new FakeClock());
    await cached.save(fn("b"));
    expect((await cached.get("b"))?.id).toBe("b");
    expect(inner.reads).toBe(0);
    expect(await cached.get("missing")).toBeUndefined();
    await inner.save(fn("missing"));
    expect((await cached.get("missing"))?.id).toBe("missing");
  });

  test("stays bounded", async () => {
    const inner = new CountingStore();
    const cached = new CachedFunctionStore(inner, new FakeClock(), { max: 2 });
    for (const id of ["x", "y", "z"]) await cached.save(fn(id));
    await cached.get("x");
    expect(inner.reads).toBe(1); // x was dropped when the cache started over
    expect((await cached.list()).length).toBe(3);
  });

  test("an entry is read again once older than maxAgeMs, and forgotten when the backend lost it", async () => {
    const inner = new CountingStore();
    const clock = new FakeClock();
    const cached = new CachedFunctionStore(inner, clock, { maxAgeMs: 1000 });
    await inner.save(fn("a"));
    await cached.get("a");
    clock.advance(999);
    await cached.get("a");
    expect(inner.reads).toBe(1);
    clock.advance(1);
    await inner.delete("a");
    expect(await cached.get("a")).toBeUndefined();
    expect(inner.reads).toBe(2);
  });
});
