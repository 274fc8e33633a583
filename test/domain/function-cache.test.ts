import { describe, expect, test } from "bun:test";
import { MemoryFunctionStore } from "../../src/adapters/memory/index.ts";
import { CachedFunctionStore } from "../../src/domain/function-cache.ts";
import type { FunctionRecord } from "../../src/domain/function-record.ts";

function fn(id: string): FunctionRecord {
  return { id, name: "f", source: "() => 1", code: "() => 1", timeoutMs: 1000, maxAttempts: 3, createdAt: 0 };
}

/** A memory store that counts reads. */
class CountingStore extends MemoryFunctionStore {
  reads = 0;
  override async get(id: string): Promise<FunctionRecord | undefined> {
    this.reads++;
    return super.get(id);
  }
}

describe("CachedFunctionStore", () => {
  test("reads a function from the backend once, then from memory", async () => {
    const inner = new CountingStore();
    await inner.save(fn("a"));
    const cached = new CachedFunctionStore(inner);
    expect((await cached.get("a"))?.id).toBe("a");
    expect((await cached.get("a"))?.id).toBe("a");
    expect(inner.reads).toBe(1);
  });

  test("what it saves is served without a read; unknown ids are not cached", async () => {
    const inner = new CountingStore();
    const cached = new CachedFunctionStore(inner);
    await cached.save(fn("b"));
    expect((await cached.get("b"))?.id).toBe("b");
    expect(inner.reads).toBe(0);
    expect(await cached.get("missing")).toBeUndefined();
    await inner.save(fn("missing"));
    expect((await cached.get("missing"))?.id).toBe("missing");
  });

  test("stays bounded", async () => {
    const inner = new CountingStore();
    const cached = new CachedFunctionStore(inner, 2);
    for (const id of ["x", "y", "z"]) await cached.save(fn(id));
    await cached.get("x");
    expect(inner.reads).toBe(1); // x was dropped when the cache started over
    expect((await cached.list()).length).toBe(3);
  });
});
