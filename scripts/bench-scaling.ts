/**
 * Weak-scaling benchmark (not a test): 100 ms sleep tasks on 1, 2, 4 and 8 executors (embedded mode,
 * `--workers N`), with the work growing with N: each of the 64 jobs an executor runs at once gets
 * `--rounds` tasks in a row, so the ideal wall time is rounds x 100 ms whatever N is.
 * Efficiency = ideal / measured.
 * The project's target: 95% of ideal (goal 98%).
 *
 *   bun scripts/bench-scaling.ts [--rounds 10] [--concurrent 64]
 */
import { flag } from "../src/app/config.ts";
import { postJson, waitAll } from "./bench-lib.ts";
import { killAll, spawnServer } from "./lib/processes.ts";

const argv = Bun.argv.slice(2);
const rounds = Number(flag(argv, "rounds") ?? 10);
const slots = Number(flag(argv, "concurrent") ?? 64); // jobs an executor runs at once (half its 128 slots)
const SLEEP_MS = 100;

console.log(`weak scaling, embedded mode, ${SLEEP_MS} ms sleep tasks, ${rounds} in a row for each of the ${slots} jobs an executor runs at once`);
console.log("executors  tasks   ideal    measured  efficiency");
for (const workers of [1, 2, 4, 8]) {
  const server = await spawnServer("start", ["--workers", String(workers)], {}); // info: its "listening" line says where it is
  try {
    const { function_id } = await postJson(`${server.url}/register_function`, { name: "sleep", payload: `() => new Promise((r) => setTimeout(r, ${SLEEP_MS}))` });
    const warm = await postJson(`${server.url}/execute_batch`, { function_id, payloads: Array.from({ length: workers * slots }, () => "[]") });
    await waitAll(server.url, warm.task_ids);
    const tasks = workers * slots * rounds;
    const t0 = performance.now();
    const ids: string[] = [];
    for (let sent = 0; sent < tasks; sent += 10_000) {
      const n = Math.min(10_000, tasks - sent);
      ids.push(...(await postJson(`${server.url}/execute_batch`, { function_id, payloads: Array.from({ length: n }, () => "[]") })).task_ids);
    }
    const done = await waitAll(server.url, ids);
    const ms = performance.now() - t0;
    if ([...done.values()].some((r) => r.status !== "COMPLETED")) throw new Error("a task did not complete");
    const ideal = rounds * SLEEP_MS;
    console.log(`${String(workers).padStart(9)}  ${String(tasks).padStart(5)}  ${String(ideal).padStart(4)} ms  ${ms.toFixed(0).padStart(5)} ms  ${((100 * ideal) / ms).toFixed(1).padStart(9)}%`);
  } finally {
    await killAll();
  }
}
