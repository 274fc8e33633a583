/**
 * The IdempotencyStore contract, run against every adapter: the first remember of a tenant's key wins
 * and later ones (racing or not) read its record; keys are per tenant; forget frees a key; keys expire.
 */
import { describe, expect, test } from "bun:test";
import type { IdempotencyRecord, IdempotencyStore } from "../../src/domain/ports.ts";

export interface IdempotencyFixture {
  readonly store: IdempotencyStore;
  /** Moves past every key's time to live (a fake clock, or Redis keys expired by hand). */
  expireAll(): Promise<void>;
  close(): Promise<void>;
}

const DAY = 86_400_000;
const record = (fingerprint: string, ...taskIds: string[]): IdempotencyRecord => ({ fingerprint, taskIds });

export function describeIdempotencyStore(name: string, make: () => Promise<IdempotencyFixture>): void {
  describe(`IdempotencyStore contract: ${name}`, () => {
    test("the first remember of a key is fresh; later ones read its record, whatever they carry", async () => {
      const f = await make();
      try {
        expect(await f.store.remember("default", "k-1", record("fp-a", "t-1", "t-2"), DAY)).toEqual({ fresh: true });
        expect(await f.store.remember("default", "k-1", record("fp-b", "t-9"), DAY)).toEqual({ fresh: false, record: record("fp-a", "t-1", "t-2") });
        expect(await f.store.remember("default", "k-1", record("fp-a", "t-3", "t-4"), DAY)).toEqual({ fresh: false, record: record("fp-a", "t-1", "t-2") });
        expect(await f.store.remember("default", "k-2", record("fp-a", "t-5"), DAY)).toEqual({ fresh: true });
      } finally {
        await f.close();
      }
    });

    test("keys belong to a tenant: the same key of two tenants names two requests", async () => {
      const f = await make();
      try {
        expect(await f.store.remember("alice", "order-42", record("fp-a", "t-a"), DAY)).toEqual({ fresh: true });
        expect(await f.store.remember("bob", "order-42", record("fp-b", "t-b"), DAY)).toEqual({ fresh: true });
        expect(await f.store.remember("alice", "order-42", record("x"), DAY)).toEqual({ fresh: false, record: record("fp-a", "t-a") });
        expect(await f.store.remember("bob", "order-42", record("x"), DAY)).toEqual({ fresh: false, record: record("fp-b", "t-b") });
      } finally {
        await f.close();
      }
    });

    test("of many remembers racing on one key, exactly one is fresh and every other reads its record", async () => {
      const f = await make();
      try {
        const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => f.store.remember("default", "race", record(`fp-${i}`, `t-${i}`), DAY)));
        const winners = replies.flatMap((r, i) => (r.fresh ? [i] : []));
        expect(winners.length).toBe(1);
        const won = record(`fp-${winners[0]}`, `t-${winners[0]}`);
        for (const r of replies) if (!r.fresh) expect(r.record).toEqual(won);
      } finally {
        await f.close();
      }
    });

    test("forget frees a key for a new request; forgetting an unknown key does nothing", async () => {
      const f = await make();
      try {
        await f.store.remember("default", "k", record("fp-a", "t-1"), DAY);
        await f.store.remember("other", "k", record("fp-o", "t-o"), DAY);
        await f.store.forget("default", "k");
        await f.store.forget("default", "never-used");
        expect(await f.store.remember("default", "k", record("fp-b", "t-2"), DAY)).toEqual({ fresh: true });
        expect(await f.store.remember("default", "k", record("x"), DAY)).toEqual({ fresh: false, record: record("fp-b", "t-2") });
        expect(await f.store.remember("other", "k", record("x"), DAY)).toEqual({ fresh: false, record: record("fp-o", "t-o") }); // another tenant's stays
      } finally {
        await f.close();
      }
    });

    test("a key is forgotten once its time to live has passed", async () => {
      const f = await make();
      try {
        await f.store.remember("default", "k", record("fp-a", "t-1"), 60_000);
        await f.expireAll();
        expect(await f.store.remember("default", "k", record("fp-b", "t-2"), 60_000)).toEqual({ fresh: true });
        expect(await f.store.remember("default", "k", record("x"), 60_000)).toEqual({ fresh: false, record: record("fp-b", "t-2") });
      } finally {
        await f.close();
      }
    });

    test("keys of any printable ASCII (colons, braces, quotes) up to 255 characters; a record of 10,000 ids", async () => {
      const f = await make();
      try {
        const keys = ["a:b:c", "{tag}x", "}{", '"quoted"', "~!@#$%^&*()_+`-=[]\\;',./<>?|", "k".repeat(255)];
        for (const [i, key] of keys.entries()) expect([key, await f.store.remember("default", key, record(`fp-${i}`, `t-${i}`), DAY)]).toEqual([key, { fresh: true }]);
        for (const [i, key] of keys.entries()) expect([key, await f.store.remember("default", key, record("x"), DAY)]).toEqual([key, { fresh: false, record: record(`fp-${i}`, `t-${i}`) }]);
        const ids = Array.from({ length: 10_000 }, (_, i) => `2-${i.toString(16).padStart(32, "0")}`);
        await f.store.remember("default", "big", record("fp-big", ...ids), DAY);
        expect(await f.store.remember("default", "big", record("x"), DAY)).toEqual({ fresh: false, record: record("fp-big", ...ids) });
      } finally {
        await f.close();
      }
    });
  });
}
