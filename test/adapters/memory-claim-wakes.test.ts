import { describe, expect, test } from "bun:test";
import { MemoryTaskStore } from "../../src/adapters/memory/index.ts";
import { newTask } from "../../src/domain/task.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const never = new AbortController().signal;
/** Lets every microtask and timer-free continuation run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A store whose one task "t" is running. */
async function running() {
  const clock = new FakeClock();
  const store = new MemoryTaskStore({ clock, retentionMs: 60_000 });
  await store.enqueue([newTask("t", "f", "[]", 3, 1000, clock.now())], { maxQueue: 10 });
  const [task] = await store.claim(1, never);
  // how often claims look at the queue (private: this is about the store's own wake-ups)
  const ready = (store as unknown as { ready: { take: (...a: unknown[]) => string[] } }).ready;
  let takes = 0;
  const take = ready.take.bind(ready);
  ready.take = (...a) => (takes++, take(...a));
  return { clock, store, attempt: task!.attempt, takes: () => takes };
}

describe("a claim waiting in the memory store", () => {
  test("is not sent round again when a task ends and nothing is queued", async () => {
    const s = await running();
    const waiting = s.store.claim(1, never);
    await settle();
    const before = s.takes();
    await s.store.apply([{ taskId: "t", attempt: s.attempt, status: "COMPLETED", result: "1" }]);
    await settle();
    expect(s.takes()).toBe(before);
    await s.store.enqueue([newTask("u", "f", "[]", 3, 1000, s.clock.now())], { maxQueue: 10 });
    expect((await waiting).map((t) => t.id)).toEqual(["u"]);
  });

  test("takes a task re-queued with a backoff once the backoff is over", async () => {
    const s = await running();
    const waiting = s.store.claim(1, never);
    await settle();
    await s.store.apply([{ taskId: "t", attempt: s.attempt, status: "QUEUED", result: null, retryInMs: 500 }]);
    await settle();
    s.clock.advance(500);
    expect((await waiting).map((t) => t.id)).toEqual(["t"]);
  });
});
