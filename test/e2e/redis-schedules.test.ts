/**
 * Schedules on Redis with two dispatchers racing to fire every tick (in this process, private
 * redis-server): a schedule every second makes exactly one task per tick (no tick twice, none skipped),
 * each run once, with one shard and with three; when one dispatcher stops, the other carries on
 * without a gap; pausing stops the ticks.
 */
import { expect, test } from "bun:test";
import { call, register } from "../../scripts/lib/http.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { keysMatching } from "../helpers/redis-contracts.ts";
import { parsePrometheus } from "../helpers/prometheus-text.ts";
import { useRedisStack } from "../helpers/redis-stack.ts";
import { startApiHere, startDispatcherHere, type RedisTarget } from "../helpers/roots.ts";

const stack = useRedisStack("e2e-sched");

async function metric(api: string, name: string, labels?: Record<string, string>): Promise<number> {
  return parsePrometheus(await (await fetch(`${api}/metrics`)).text()).value(name, labels);
}

async function twoDispatchersTicking(target: RedisTarget, api: string): Promise<void> {
  const d1 = await startDispatcherHere(target);
  const d2 = await startDispatcherHere(target);
  const channel = `${target.prefix}:schedule-changes`;
  await waitFor(async () => Number(((await stack.admin.call("PUBSUB", "NUMSUB", channel)) as [string, number])[1]) >= 2, "both schedulers to listen for changes");
  const fid = await register(api, "(tag) => tag");
  const created = await call(`${api}/schedules`, { function_id: fid, every_ms: 1000, payload: '["tick"]' });
  expect(created.status).toBe(201);
  const sid = created.body.schedule_id as string;
  const tickKeys = async (): Promise<string[]> => (await keysMatching(stack.admin, `${target.prefix}:*task:${sid}@*`)).sort();
  await waitFor(async () => (await tickKeys()).length >= 4, "four ticks with both dispatchers", 20_000);
  await d1.stop(); // the other one carries on alone
  const whenAlone = (await tickKeys()).length;
  await waitFor(async () => (await tickKeys()).length >= whenAlone + 3, "three more ticks with one dispatcher", 20_000);
  expect((await call(`${api}/schedules/${encodeURIComponent(sid)}/pause`, {})).body.paused).toBe(true);

  // Every tick's task was stored once and ran once: wait for them all to finish, then compare with the counters.
  const taskIds = (keys: string[]): string[] => keys.map((k) => k.slice(k.lastIndexOf(":task:") + 6));
  const ticks = await waitFor(async () => {
    const keys = await tickKeys();
    const w = await call(`${api}/wait`, { task_ids: taskIds(keys) });
    return (w.body.results as { status: string }[]).filter((r) => r.status === "COMPLETED").length === keys.length ? keys : undefined;
  }, "every tick's task to complete");
  expect(await metric(api, "faas_tasks_submitted_total")).toBe(ticks.length); // no tick stored twice
  expect(await metric(api, "faas_tasks_finished_total", { status: "COMPLETED" })).toBe(ticks.length);
  const times = ticks.map((k) => Number(k.slice(k.lastIndexOf("@") + 1))).sort((a, b) => a - b);
  expect(times[0]).toBe(Date.parse(created.body.next_run_at)); // from the first tick...
  expect(times.slice(1).map((t, i) => t - (times[i] as number))).toEqual(times.slice(1).map(() => 1000)); // ...one task each, none skipped
  const last = taskIds(ticks).at(-1) as string;
  expect((await call(`${api}/result/${encodeURIComponent(last)}`)).body).toEqual({ task_id: last, status: "COMPLETED", result: '"tick"' });
  const after = ticks.length;
  await waitFor(async () => (await call(`${api}/schedules/${encodeURIComponent(sid)}`)).body.paused === true, "the pause to be visible");
  expect((await tickKeys()).length).toBe(after); // paused: no tick since
  await d2.stop();
}

test("two dispatchers, one shard: exactly one task per tick; one stops and the other carries on without a gap", async () => {
  await twoDispatchersTicking(stack.target, stack.api.url);
}, 60_000);

test("two dispatchers, three shards: the same, each schedule and its ticks' tasks in the shard its id names", async () => {
  const target = { url: stack.target.url, prefix: "e2e-sched-3", env: { FAAS_SHARDS: "3" } };
  const api = await startApiHere(target);
  await twoDispatchersTicking(target, api.url);
}, 60_000);
