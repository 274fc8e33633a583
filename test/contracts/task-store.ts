/**
 * The TaskStore contract: every adapter (memory, redis) must pass this same suite.
 * `make` returns a fresh, empty store and a cleanup function.
 */
import { describe, expect, test } from "bun:test";
import type { DispatchQueue, TaskStore } from "../../src/domain/ports.ts";
import { newTask, type Task } from "../../src/domain/task.ts";

export interface TaskStoreFixture {
  readonly store: TaskStore;
  /** The dispatcher side of the same tasks. */
  readonly queue: DispatchQueue;
  /** Moves the store's clock (for retention); adapters on real time may sleep-free poll instead. */
  readonly expireAll?: () => Promise<void>;
  close(): Promise<void>;
}

let seq = 0;
let batches = 0;
/** One batch of new tasks. Ids start with a shard number (0-2, one per batch, in turn), as a sharded store's ids do; to other stores they are just ids. */
function tasks(n: number, maxAttempts = 3): Task[] {
  const now = 1_700_000_000_000;
  const shard = batches++ % 3;
  return Array.from({ length: n }, () => newTask(`${shard}-t-${++seq}-${Math.floor(performance.now())}`, "f-1", "[1]", maxAttempts, 1000, now));
}

const never = new AbortController().signal;

export function describeTaskStore(name: string, make: () => Promise<TaskStoreFixture>): void {
  describe(`TaskStore contract: ${name}`, () => {
    test("enqueue stores QUEUED tasks readable by id, in order", async () => {
      const f = await make();
      try {
        const ts = tasks(3);
        expect((await f.store.enqueue(ts, { maxQueue: 100 })).ok).toBe(true);
        const got = await f.store.getMany(ts.map((t) => t.id));
        expect(got.map((t) => t?.status)).toEqual(["QUEUED", "QUEUED", "QUEUED"]);
        expect((await f.store.get(ts[0]!.id))?.args).toBe("[1]");
        expect(await f.store.get("nope")).toBeUndefined();
        expect(await f.store.queueDepth()).toBe(3);
      } finally {
        await f.close();
      }
    });

    test("enqueue with ifAbsent stores nothing when the batch's first id exists, and answers ok", async () => {
      const f = await make();
      try {
        const ts = tasks(2);
        expect((await f.store.enqueue(ts, { maxQueue: 100, ifAbsent: true })).ok).toBe(true);
        const again = ts.map((t) => ({ ...t, args: "[2]" }));
        expect((await f.store.enqueue(again, { maxQueue: 100, ifAbsent: true })).ok).toBe(true);
        expect((await f.store.getMany(ts.map((t) => t.id))).map((t) => t?.args)).toEqual(["[1]", "[1]"]);
        expect(await f.store.queueDepth()).toBe(2);
        const claimed = await f.queue.claim(10, never);
        expect(claimed.map((t) => t.id).sort()).toEqual(ts.map((t) => t.id).sort()); // each queued once
      } finally {
        await f.close();
      }
    });

    test("a tenant past its own queued quota is refused with QueueFull naming the tenant; others are not", async () => {
      const f = await make();
      try {
        const mine = tasks(3).map((t) => ({ ...t, tenant: "alice" }));
        expect((await f.store.enqueue(mine, { maxQueue: 100, tenantMaxQueued: 3 })).ok).toBe(true);
        const more = tasks(1).map((t) => ({ ...t, tenant: "alice" }));
        const r = await f.store.enqueue(more, { maxQueue: 100, tenantMaxQueued: 3 });
        expect(r).toEqual({ ok: false, error: { kind: "QueueFull", depth: 3, limit: 3, retryAfterS: 1, tenant: "alice" } });
        const bobs = tasks(2).map((t) => ({ ...t, tenant: "bob" }));
        expect((await f.store.enqueue(bobs, { maxQueue: 100, tenantMaxQueued: 3 })).ok).toBe(true);
      } finally {
        await f.close();
      }
    });

    test("enqueue past maxQueue is refused whole with QueueFull", async () => {
      const f = await make();
      try {
        expect((await f.store.enqueue(tasks(3), { maxQueue: 4 })).ok).toBe(true);
        const ts = tasks(2);
        const r = await f.store.enqueue(ts, { maxQueue: 4 });
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.error.kind).toBe("QueueFull");
        expect(await f.store.get(ts[0]!.id)).toBeUndefined();
        expect(await f.store.queueDepth()).toBe(3);
      } finally {
        await f.close();
      }
    });

    test("claim takes FIFO up to max, marks RUNNING and counts the attempt", async () => {
      const f = await make();
      try {
        const ts = tasks(5);
        await f.store.enqueue(ts, { maxQueue: 100 });
        const a = await f.queue.claim(3, never);
        expect(a.map((t) => t.id)).toEqual(ts.slice(0, 3).map((t) => t.id));
        expect(a.every((t) => t.status === "RUNNING" && t.attempt === 1)).toBe(true);
        expect((await f.store.get(ts[0]!.id))?.status).toBe("RUNNING");
        const b = await f.queue.claim(10, never);
        expect(b.map((t) => t.id)).toEqual(ts.slice(3).map((t) => t.id));
        expect(await f.store.queueDepth()).toBe(0);
      } finally {
        await f.close();
      }
    });

    test("claim waits for work and wakes on enqueue; abort returns []", async () => {
      const f = await make();
      try {
        const waiting = f.queue.claim(10, never);
        const ts = tasks(1);
        await f.store.enqueue(ts, { maxQueue: 100 });
        expect((await waiting).map((t) => t.id)).toEqual([ts[0]!.id]);
        const ac = new AbortController();
        const idle = f.queue.claim(10, ac.signal);
        ac.abort();
        expect(await idle).toEqual([]);
      } finally {
        await f.close();
      }
    });

    test("apply is fenced by attempt and only moves RUNNING tasks", async () => {
      const f = await make();
      try {
        const [t] = tasks(1);
        await f.store.enqueue([t!], { maxQueue: 100 });
        const [running] = await f.queue.claim(1, never);
        const stale = await f.queue.apply([{ taskId: t!.id, attempt: 0, status: "COMPLETED", result: "1" }]);
        expect(stale).toEqual([]);
        const applied = await f.queue.apply([{ taskId: t!.id, attempt: running!.attempt, status: "COMPLETED", result: "42" }]);
        expect(applied.map((x) => [x.status, x.result])).toEqual([["COMPLETED", "42"]]);
        const again = await f.queue.apply([{ taskId: t!.id, attempt: running!.attempt, status: "FAILED", result: "{}" }]);
        expect(again).toEqual([]);
        expect((await f.store.get(t!.id))?.result).toBe("42");
        expect(await f.queue.apply([{ taskId: "missing", attempt: 1, status: "COMPLETED", result: "1" }])).toEqual([]);
      } finally {
        await f.close();
      }
    });

    test("a QUEUED transition puts the task back on the queue; the next claim counts attempt 2", async () => {
      const f = await make();
      try {
        const [t] = tasks(1);
        await f.store.enqueue([t!], { maxQueue: 100 });
        await f.queue.claim(1, never);
        const back = await f.queue.apply([{ taskId: t!.id, attempt: 1, status: "QUEUED", result: null }]);
        expect(back[0]?.status).toBe("QUEUED");
        expect(await f.store.queueDepth()).toBe(1);
        const [again] = await f.queue.claim(1, never);
        expect(again?.attempt).toBe(2);
        const late = await f.queue.apply([{ taskId: t!.id, attempt: 1, status: "COMPLETED", result: "1" }]);
        expect(late).toEqual([]);
      } finally {
        await f.close();
      }
    });

    test("a batch of transitions applies in one call", async () => {
      const f = await make();
      try {
        const ts = tasks(200);
        await f.store.enqueue(ts, { maxQueue: 1000 });
        const claimed = await f.queue.claim(200, never);
        const applied = await f.queue.apply(claimed.map((t) => ({ taskId: t.id, attempt: t.attempt, status: "COMPLETED" as const, result: `"${t.id}"` })));
        expect(applied.length).toBe(200);
        const got = await f.store.getMany(ts.map((t) => t.id));
        expect(got.every((t, i) => t?.status === "COMPLETED" && t.result === `"${ts[i]!.id}"`)).toBe(true);
      } finally {
        await f.close();
      }
    });

    test("terminal tasks expire after the retention period", async () => {
      const f = await make();
      if (f.expireAll === undefined) {
        await f.close();
        throw new Error("fixture must provide expireAll");
      }
      try {
        const ts = tasks(2);
        await f.store.enqueue(ts, { maxQueue: 100 });
        const [first] = await f.queue.claim(1, never);
        await f.queue.apply([{ taskId: first!.id, attempt: 1, status: "COMPLETED", result: "1" }]);
        await f.expireAll();
        expect(await f.store.get(first!.id)).toBeUndefined();
        expect((await f.store.get(ts[1]!.id))?.status).toBe("QUEUED");
      } finally {
        await f.close();
      }
    });

    test("cancel takes a QUEUED task off the queue: CANCELLED, result null, never claimed", async () => {
      const f = await make();
      try {
        const [a, b] = tasks(2);
        await f.store.enqueue([a!, b!], { maxQueue: 100 });
        const c = await f.store.cancel(a!.id);
        expect(c.ok && [c.value.id, c.value.status, c.value.result]).toEqual([a!.id, "CANCELLED", null]);
        expect(await f.store.queueDepth()).toBe(1);
        expect(await f.store.get(a!.id)).toMatchObject({ status: "CANCELLED", result: null });
        const claimed = await f.queue.claim(10, never);
        expect(claimed.map((t) => t.id)).toEqual([b!.id]);
        expect((await f.store.get(a!.id))?.status).toBe("CANCELLED");
        expect(await f.store.queueDepth()).toBe(0);
      } finally {
        await f.close();
      }
    });

    test("cancel of a RUNNING task wins over its attempt: later transitions of that attempt are refused", async () => {
      const f = await make();
      try {
        const [t] = tasks(1);
        await f.store.enqueue([t!], { maxQueue: 100 });
        const [running] = await f.queue.claim(1, never);
        const c = await f.store.cancel(t!.id);
        expect(c.ok && [c.value.status, c.value.attempt, c.value.result]).toEqual(["CANCELLED", running!.attempt, null]);
        expect(await f.queue.apply([{ taskId: t!.id, attempt: running!.attempt, status: "COMPLETED", result: "1" }])).toEqual([]);
        expect(await f.queue.apply([{ taskId: t!.id, attempt: running!.attempt, status: "QUEUED", result: null }])).toEqual([]);
        expect(await f.queue.apply([{ taskId: t!.id, attempt: running!.attempt, status: "CANCELLED", result: null }])).toEqual([]);
        expect(await f.store.get(t!.id)).toMatchObject({ status: "CANCELLED", result: null });
        expect(await f.store.queueDepth()).toBe(0);
      } finally {
        await f.close();
      }
    });

    test("cancel of a terminal task is AlreadyTerminal naming its status; of an unknown one UnknownTask", async () => {
      const f = await make();
      try {
        const [done, cancelled] = tasks(2);
        await f.store.enqueue([done!, cancelled!], { maxQueue: 100 });
        const [running] = await f.queue.claim(1, never);
        await f.queue.apply([{ taskId: done!.id, attempt: running!.attempt, status: "COMPLETED", result: "7" }]);
        expect(await f.store.cancel(done!.id)).toEqual({ ok: false, error: { kind: "AlreadyTerminal", taskId: done!.id, status: "COMPLETED" } });
        expect((await f.store.get(done!.id))?.result).toBe("7");
        expect((await f.store.cancel(cancelled!.id)).ok).toBe(true);
        expect(await f.store.cancel(cancelled!.id)).toEqual({ ok: false, error: { kind: "AlreadyTerminal", taskId: cancelled!.id, status: "CANCELLED" } });
        expect(await f.store.cancel("missing")).toEqual({ ok: false, error: { kind: "UnknownTask", taskId: "missing" } });
        expect(await f.store.queueDepth()).toBe(0);
      } finally {
        await f.close();
      }
    });

    test("cancelled tasks expire after the retention period, then cancel says UnknownTask", async () => {
      const f = await make();
      if (f.expireAll === undefined) {
        await f.close();
        throw new Error("fixture must provide expireAll");
      }
      try {
        const [queued, running, untouched] = tasks(3);
        await f.store.enqueue([running!, queued!, untouched!], { maxQueue: 100 });
        await f.queue.claim(1, never);
        expect((await f.store.cancel(queued!.id)).ok).toBe(true);
        expect((await f.store.cancel(running!.id)).ok).toBe(true);
        await f.expireAll();
        expect(await f.store.getMany([queued!.id, running!.id])).toEqual([undefined, undefined]);
        expect(await f.store.cancel(running!.id)).toEqual({ ok: false, error: { kind: "UnknownTask", taskId: running!.id } });
        expect(await f.store.cancel(queued!.id)).toEqual({ ok: false, error: { kind: "UnknownTask", taskId: queued!.id } });
        expect((await f.store.get(untouched!.id))?.status).toBe("QUEUED");
      } finally {
        await f.close();
      }
    });

    test("a hand-back (graceful shutdown) re-queues the task without counting the attempt", async () => {
      const f = await make();
      try {
        const [t] = tasks(1, 1);
        await f.store.enqueue([t!], { maxQueue: 100 });
        const [running] = await f.queue.claim(1, never);
        const [back] = await f.queue.apply([{ taskId: t!.id, attempt: running!.attempt, status: "QUEUED", result: null, handback: true }]);
        expect([back?.status, back?.attempt, back?.handbacks]).toEqual(["QUEUED", 1, 1]);
        const [again] = await f.queue.claim(1, never);
        expect([again?.id, again?.attempt, again?.handbacks]).toEqual([t!.id, 2, 1]);
        expect(await f.store.queueDepth()).toBe(0);
      } finally {
        await f.close();
      }
    });
  });
}
