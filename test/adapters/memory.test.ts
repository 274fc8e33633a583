import { MemoryChannel, MemoryFunctionStore, MemoryScheduleStore, MemoryTaskStore } from "../../src/adapters/memory/index.ts";
import { describeFunctionStore } from "../contracts/function-store.ts";
import { describeScheduleStore } from "../contracts/schedule-store.ts";
import { describeOperationsStore } from "../contracts/task-operations.ts";
import { describeTaskEvents } from "../contracts/task-events.ts";
import { describeTaskQueue } from "../contracts/task-queue.ts";
import { describeTaskStats } from "../contracts/task-stats.ts";
import { describeTaskStore } from "../contracts/task-store.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

describeTaskStore("memory", async () => {
  const clock = new FakeClock();
  const store = new MemoryTaskStore({ clock, retentionMs: 60_000 });
  return {
    store,
    queue: store,
    expireAll: async () => clock.advance(60_001),
    close: async () => {},
  };
});
describeTaskStats("memory", async () => {
  const clock = new FakeClock();
  const store = new MemoryTaskStore({ clock, retentionMs: 60_000 });
  return { store, queue: store, clock, close: async () => {} };
});
describeFunctionStore("memory", async () => ({ store: new MemoryFunctionStore(), close: async () => {} }));
describeTaskEvents("memory", async () => ({ events: new MemoryChannel(), close: async () => {} }));
describeTaskEvents("memory cancel signals", async () => ({ events: new MemoryChannel(), close: async () => {} }));
describeTaskQueue("memory", async (o) => {
  const clock = new FakeClock();
  const store = new MemoryTaskStore({ clock, retentionMs: 60_000, ...o });
  return { store, queue: store, clock, close: async () => {} };
});
describeScheduleStore("memory", async () => ({ store: new MemoryScheduleStore(), close: async () => {} }));
describeOperationsStore("memory", async () => {
  const clock = new FakeClock();
  const store = new MemoryTaskStore({ clock, retentionMs: 60_000 });
  return { store, queue: store, clock, expireAll: async () => clock.advance(60_001), close: async () => {} };
});
