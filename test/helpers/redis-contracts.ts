/**
 * The contract suites (TaskStore, TaskStats, FunctionStore, ScheduleStore, TaskEvents and cancel
 * signals) against a Redis backend of any shape: one server, several shards, a Cluster. `open` makes
 * a backend on a fresh prefix, its "f-1" function registered unless told not to; `admin` is a client
 * of the same Redis for inspection (on a Cluster, a Cluster client: keys are looked for on every
 * master).
 *
 * @example
 * describeRedisContracts("redis, 3 shards", (o) => openFresh({ ...o, shards: 3 }), () => admin);
 */
import Redis, { type Cluster } from "ioredis";
import type { RedisBackend, RedisDispatchQueue } from "../../src/adapters/redis/index.ts";
import type { Clock } from "../../src/domain/ports.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { describeFunctionStore } from "../contracts/function-store.ts";
import { describeIdempotencyStore } from "../contracts/idempotency-store.ts";
import { describeScheduleStore } from "../contracts/schedule-store.ts";
import { describeOperationsStore } from "../contracts/task-operations.ts";
import { describeTaskEvents } from "../contracts/task-events.ts";
import { describeTaskQueue } from "../contracts/task-queue.ts";
import type { LimitsTable } from "../../src/domain/tenant-limits.ts";
import { describeTaskStats } from "../contracts/task-stats.ts";
import { describeTaskStore } from "../contracts/task-store.ts";
import { FakeClock } from "./fake-clock.ts";

export interface OpenedBackend {
  readonly backend: RedisBackend;
  /** A dispatcher's side of the same queue. */
  readonly queue: RedisDispatchQueue;
  close(): Promise<void>;
}

export type OpenBackend = (o: { readonly clock?: Clock; readonly withF1?: boolean; readonly agingMs?: number; readonly limits?: LimitsTable }) => Promise<OpenedBackend>;

export const F1 = { id: "f-1", tenant: "default", name: "f", source: "(x) => x", code: "(x) => x", timeoutMs: 1000, maxAttempts: 3, createdAt: 0 };

export function describeRedisContracts(name: string, open: OpenBackend, admin: () => Redis | Cluster): void {
  describeTaskStore(name, async () => {
    const f = await open({});
    return { store: f.backend.tasks, queue: f.queue, expireAll: () => expireTerminal(admin(), f.backend), close: f.close };
  });
  describeTaskStats(name, async () => {
    const clock = new FakeClock(Date.now());
    const f = await open({ clock });
    return { store: f.backend.tasks, queue: f.queue, clock, close: f.close };
  });
  describeTaskQueue(name, async (setup) => {
    const clock = new FakeClock(Date.now());
    const f = await open({ clock, ...setup });
    return { store: f.backend.tasks, queue: f.queue, clock, shards: f.backend.keys.shards.length, close: f.close };
  });
  describeOperationsStore(name, async () => {
    const clock = new FakeClock(Date.now());
    const f = await open({ clock });
    for (const id of ["f-2", "f-3"]) await f.backend.functions.save({ ...F1, id });
    return { store: Object.assign(f.backend.tasks, opsOf(f.backend)), queue: f.queue, clock, expireAll: () => expireTerminal(admin(), f.backend), close: f.close };
  });
  describeFunctionStore(name, async () => {
    const f = await open({ withF1: false });
    return { store: f.backend.functions, close: f.close };
  });
  describeScheduleStore(name, async () => {
    const f = await open({ withF1: false });
    return { store: f.backend.schedules, close: f.close };
  });
  describeTaskEvents(name, async () => {
    const f = await open({});
    return { events: f.backend.events, close: f.close };
  });
  describeTaskEvents(`${name} cancel signals`, async () => {
    const f = await open({});
    return { events: f.backend.cancels, close: f.close };
  });
  describeIdempotencyStore(name, async () => {
    const f = await open({ withF1: false });
    return { store: f.backend.idempotency, expireAll: () => expireIdempotencyKeys(admin(), f.backend), close: f.close };
  });
}

/** The backend's task store with its operators' side, as one object (the memory store is both). */
export function opsOf(b: RedisBackend): Pick<RedisBackend["operations"], "list" | "markRetried" | "unmarkRetried" | "activity" | "functionCounts"> {
  const o = b.operations;
  return { list: (q) => o.list(q), markRetried: (m) => o.markRetried(m), unmarkRetried: (m) => o.unmarkRetried(m), activity: (t, a, z) => o.activity(t, a, z), functionCounts: (ids) => o.functionCounts(ids) };
}

/** Every key matching `pattern` (on a Cluster, on every master). */
export async function keysMatching(admin: Redis | Cluster, pattern: string): Promise<string[]> {
  if (!(admin instanceof Redis)) return (await Promise.all(admin.nodes("master").map((n) => n.keys(pattern)))).flat();
  return admin.keys(pattern);
}

/**
 * The Redis equivalent of moving the clock past the retention: what the retention's sweep deletes
 * (every finished task's record) is deleted now. The sweep itself is tested in redis-retention.test.ts.
 */
export async function expireTerminal(admin: Redis | Cluster, b: RedisBackend): Promise<void> {
  const keys = (await Promise.all(b.keys.shards.map((k) => keysMatching(admin, `${k.taskPrefix}*`)))).flat();
  for (const k of keys) {
    const status = (JSON.parse((await admin.get(k)) ?? "{}") as { status?: string }).status;
    if (status === "COMPLETED" || status === "FAILED" || status === "CANCELLED") await admin.del(k);
  }
}

/** The Redis equivalent of moving the clock past every idempotency key's time to live: they expire now. */
export async function expireIdempotencyKeys(admin: Redis | Cluster, b: RedisBackend): Promise<void> {
  const keys = await keysMatching(admin, `${b.keys.prefix}:idem:*`);
  for (const k of keys) await admin.pexpire(k, 1);
  await waitFor(async () => (await Promise.all(keys.map((k) => admin.exists(k)))).every((n) => n === 0), "expiring idempotency keys to be gone");
}
