/** The FunctionStore contract, run against every adapter. */
import { describe, expect, test } from "bun:test";
import type { FunctionRecord } from "../../src/domain/function-record.ts";
import type { FunctionStore } from "../../src/domain/ports.ts";

export function describeFunctionStore(name: string, make: () => Promise<{ store: FunctionStore; close(): Promise<void> }>): void {
  describe(`FunctionStore contract: ${name}`, () => {
    test("count is 0 when empty", async () => {
      const f = await make();
      try {
        expect(await f.store.count()).toBe(0);
      } finally {
        await f.close();
      }
    });

    test("save, get and list round-trip every field", async () => {
      const f = await make();
      try {
        const fn: FunctionRecord = { id: "fn-1", tenant: "default", name: "add", source: "(a: number) => a", code: "(a) => a", timeoutMs: 500, maxAttempts: 2, createdAt: 1_700_000_000_123 };
        await f.store.save(fn);
        await f.store.save({ ...fn, id: "fn-2", name: "add" });
        expect(await f.store.get("fn-1")).toEqual(fn);
        expect(await f.store.get("missing")).toBeUndefined();
        expect((await f.store.list()).map((x) => x.id).sort()).toEqual(["fn-1", "fn-2"]);
        expect(await f.store.count()).toBe(2);
      } finally {
        await f.close();
      }
    });

    test("list and count by tenant: each tenant its own, undefined every tenant", async () => {
      const f = await make();
      try {
        const base: FunctionRecord = { id: "", tenant: "", name: "f", source: "() => 1", code: "() => 1", timeoutMs: 500, maxAttempts: 2, createdAt: 1 };
        await f.store.save({ ...base, id: "a1", tenant: "alice" });
        await f.store.save({ ...base, id: "a2", tenant: "alice" });
        await f.store.save({ ...base, id: "b1", tenant: "bob" });
        expect((await f.store.list("alice")).map((x) => x.id).sort()).toEqual(["a1", "a2"]);
        expect((await f.store.list("bob")).map((x) => x.id)).toEqual(["b1"]);
        expect(await f.store.list("carol")).toEqual([]);
        expect((await f.store.list()).length).toBe(3);
        expect([await f.store.count("alice"), await f.store.count("bob"), await f.store.count("carol"), await f.store.count()]).toEqual([2, 1, 0, 3]);
        expect((await f.store.get("b1"))?.tenant).toBe("bob");
      } finally {
        await f.close();
      }
    });
  });
}
