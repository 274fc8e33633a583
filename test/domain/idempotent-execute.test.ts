/**
 * TaskService.executeOnce: an execute under an idempotency key, on the in-memory stores and a fake
 * clock. The same key with the same request answers the first ids and queues nothing; with another,
 * IdempotencyConflict; keys are per tenant and expire after the retention period; a request refused
 * before anything was stored leaves its key free; a first request that stopped between remembering
 * its key and storing its tasks is completed by the retry; racing retries store the tasks once.
 */
import { describe, expect, test } from "bun:test";
import { MemoryChannel, MemoryFunctionStore, MemoryIdempotencyStore, MemoryTaskStore } from "../../src/adapters/memory/index.ts";
import { BackendTimeoutError } from "../../src/domain/errors.ts";
import type { IdempotentRequest } from "../../src/domain/idempotency.ts";
import type { EnqueueCaps, TaskStore } from "../../src/domain/ports.ts";
import type { Task } from "../../src/domain/task.ts";
import { TaskService } from "../../src/domain/task-service.ts";
import { counterIds, FakeClock } from "../helpers/fake-clock.ts";

const RETENTION = 60_000;
const once = (key: string, fingerprint = "fp-1"): IdempotentRequest => ({ key, fingerprint });

/** A TaskStore whose next enqueue can be made to throw before storing anything (the process stopping there). */
class FlakyStore implements Pick<TaskStore, "enqueue"> {
  failNext = false;
  readonly attempted: string[][] = [];
  constructor(private readonly inner: MemoryTaskStore) {}
  async enqueue(tasks: readonly Task[], caps: EnqueueCaps) {
    this.attempted.push(tasks.map((t) => t.id));
    if (this.failNext) {
      this.failNext = false;
      throw new BackendTimeoutError("the process stopped before the tasks were stored");
    }
    return this.inner.enqueue(tasks, caps);
  }
}

function setup(maxQueue = 1000) {
  const clock = new FakeClock();
  const store = new MemoryTaskStore({ clock, retentionMs: RETENTION });
  const flaky = new FlakyStore(store);
  const tasks: TaskStore = { enqueue: (t, c) => flaky.enqueue(t, c), get: (id) => store.get(id), getMany: (ids) => store.getMany(ids), queueDepth: () => store.queueDepth(), cancel: (id) => store.cancel(id) };
  const functions = new MemoryFunctionStore();
  const keys = new MemoryIdempotencyStore(clock);
  const service = new TaskService({ functions, tasks, events: new MemoryChannel(), cancels: new MemoryChannel(), ids: counterIds(), clock, maxQueue, idempotency: { store: keys, ttlMs: RETENTION } });
  const fn = async (id: string, tenant = "default") => {
    await functions.save({ id, tenant, name: id, source: "(x) => x", code: "(x) => x", timeoutMs: 1000, maxAttempts: 3, createdAt: 0 });
    return id;
  };
  return { clock, store, flaky, service, fn };
}

function value<T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.error)}`);
  return r.value;
}

describe("TaskService.executeOnce", () => {
  test("the same key and request again answers the first ids, replayed, and queues nothing new", async () => {
    const s = setup();
    const f = await s.fn("f");
    const first = value(await s.service.executeOnce("default", f, ["[1]", "[2]"], {}, once("k")));
    expect(first).toEqual({ ids: ["id-1", "id-2"], replayed: false });
    expect(await s.store.queueDepth()).toBe(2);
    for (let i = 0; i < 3; i++) expect(value(await s.service.executeOnce("default", f, ["[1]", "[2]"], {}, once("k")))).toEqual({ ids: ["id-1", "id-2"], replayed: true });
    expect(await s.store.queueDepth()).toBe(2);
    expect((await s.store.claim(10, new AbortController().signal)).map((t) => t.id)).toEqual(["id-1", "id-2"]);
  });

  test("the same key with another request is an IdempotencyConflict naming the key; nothing is queued", async () => {
    const s = setup();
    const f = await s.fn("f");
    value(await s.service.executeOnce("default", f, ["[1]"], {}, once("order-42", "fp-a")));
    const r = await s.service.executeOnce("default", f, ["[2]"], {}, once("order-42", "fp-b"));
    expect(r.ok ? undefined : r.error).toMatchObject({ kind: "IdempotencyConflict", message: expect.stringContaining('"order-42"') });
    expect(await s.store.queueDepth()).toBe(1);
  });

  test("keys belong to the caller's tenant: the same key of two tenants queues twice", async () => {
    const s = setup();
    const fa = await s.fn("fa", "alice");
    const fb = await s.fn("fb", "bob");
    const a = value(await s.service.executeOnce("alice", fa, ["[1]"], {}, once("k", "fp-a")));
    const b = value(await s.service.executeOnce("bob", fb, ["[1]"], {}, once("k", "fp-b")));
    expect([a.replayed, b.replayed, a.ids[0] === b.ids[0]]).toEqual([false, false, false]);
    expect(value(await s.service.executeOnce("alice", fa, ["[1]"], {}, once("k", "fp-a")))).toEqual({ ids: a.ids, replayed: true });
    expect(await s.store.queueDepth()).toBe(2);
  });

  test("a key expires with the retention period: after it, the same request queues new tasks", async () => {
    const s = setup();
    const f = await s.fn("f");
    const first = value(await s.service.executeOnce("default", f, ["[1]"], {}, once("k")));
    s.clock.advance(RETENTION - 1);
    expect(value(await s.service.executeOnce("default", f, ["[1]"], {}, once("k"))).replayed).toBe(true);
    s.clock.advance(1);
    const later = value(await s.service.executeOnce("default", f, ["[1]"], {}, once("k")));
    expect(later.replayed).toBe(false);
    expect(later.ids).not.toEqual(first.ids);
    expect(await s.store.queueDepth()).toBe(2);
  });

  test("a request refused before anything was stored (unknown function, bad arguments, full queue) leaves its key free", async () => {
    const s = setup(1);
    const f = await s.fn("f");
    const unknown = await s.service.executeOnce("default", "nope", ["[1]"], {}, once("k", "fp-unknown"));
    expect(unknown.ok ? "" : unknown.error.kind).toBe("UnknownFunction");
    const bad = await s.service.executeOnce("default", f, ["{}"], {}, once("k", "fp-bad"));
    expect(bad.ok ? "" : bad.error).toMatchObject({ kind: "InvalidRequest", arg: { name: "args", index: 0 } });
    value(await s.service.execute("default", f, "[0]")); // the queue is full now (maxQueue 1)
    const full = await s.service.executeOnce("default", f, ["[1]"], {}, once("k", "fp-full"));
    expect(full.ok ? "" : full.error.kind).toBe("QueueFull");
    await s.store.claim(1, new AbortController().signal);
    const corrected = value(await s.service.executeOnce("default", f, ["[2]"], {}, once("k", "fp-corrected")));
    expect(corrected.replayed).toBe(false);
    expect((await s.store.get(corrected.ids[0] as string))?.args).toBe("[2]");
  });

  test("a first request that stopped after remembering its key is completed by the retry, with the ids it chose", async () => {
    const s = setup();
    const f = await s.fn("f");
    s.flaky.failNext = true;
    await expect(s.service.executeOnce("default", f, ["[1]", "[2]"], {}, once("k"))).rejects.toBeInstanceOf(BackendTimeoutError);
    const chosen = s.flaky.attempted[0] as string[];
    expect(await s.store.getMany(chosen)).toEqual([undefined, undefined]);
    const retry = value(await s.service.executeOnce("default", f, ["[1]", "[2]"], {}, once("k")));
    expect(retry).toEqual({ ids: chosen, replayed: true });
    expect((await s.store.getMany(chosen)).map((t) => t?.args)).toEqual(["[1]", "[2]"]);
    expect(await s.store.queueDepth()).toBe(2);
  });

  test("a replay answers its ids even when the queue has filled up since", async () => {
    const s = setup(1);
    const f = await s.fn("f");
    const first = value(await s.service.executeOnce("default", f, ["[1]"], {}, once("k")));
    expect(value(await s.service.executeOnce("default", f, ["[1]"], {}, once("k")))).toEqual({ ids: first.ids, replayed: true });
  });

  test("requests racing on one key store the tasks once and all answer the same ids", async () => {
    const s = setup();
    const f = await s.fn("f");
    const replies = (await Promise.all(Array.from({ length: 10 }, () => s.service.executeOnce("default", f, ["[1]", "[2]", "[3]"], {}, once("k"))))).map(value);
    expect(replies.filter((r) => !r.replayed).length).toBe(1);
    expect(new Set(replies.map((r) => r.ids.join())).size).toBe(1);
    expect(await s.store.queueDepth()).toBe(3);
  });

  test("a key that is not 1-255 printable ASCII characters without spaces is refused, naming it", async () => {
    const s = setup();
    const f = await s.fn("f");
    for (const key of ["", "a b", "k".repeat(256), "ключ", "tab\there"]) {
      const r = await s.service.executeOnce("default", f, ["[1]"], {}, once(key));
      expect([key, r.ok ? undefined : r.error]).toMatchObject([key, { kind: "InvalidRequest", arg: { name: "idempotencyKey" } }]);
    }
    expect(value(await s.service.executeOnce("default", f, ["[1]"], {}, once("k".repeat(255)))).replayed).toBe(false);
    expect(await s.store.queueDepth()).toBe(1);
  });
});
