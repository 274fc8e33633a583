/**
 * Memory benchmark (not a test): RSS of the embedded server (API + dispatcher + in-memory store in one
 * process) holding 100,000 queued tasks. The executors are kept busy with tasks that never settle, so
 * everything else stays QUEUED. The project's target: under 150 MB with 100,000 queued tasks.
 * Then, in a second server, what finished tasks kept for the retention period cost: its RSS after a
 * warm-up round of no-op tasks and again after `--finished` more, per task.
 *
 *   bun scripts/bench-memory.ts [--tasks 100000] [--finished 300000]
 */
import { readFileSync } from "node:fs";
import { flag } from "../src/app/config.ts";
import { noopRound, postJson } from "./bench-lib.ts";
import { killAll, spawnServer } from "./lib/processes.ts";

const total = Number(flag(Bun.argv.slice(2), "tasks") ?? 100_000);
const finished = Number(flag(Bun.argv.slice(2), "finished") ?? 300_000);
const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024;

const server = await spawnServer("start", ["--workers", "1", "--max-queue", String(total * 2)], {}); // info: its "listening" line says where it is
try {
  const idle = rssMb(server.proc.pid);
  const { function_id } = await postJson(`${server.url}/register_function`, { name: "hang", payload: "(i) => new Promise(() => {})", timeout_ms: 3_600_000 });
  for (let sent = 0; sent < total; sent += 10_000) {
    await postJson(`${server.url}/execute_batch`, { function_id, payloads: Array.from({ length: Math.min(10_000, total - sent) }, (_, i) => `[${sent + i}]`) });
  }
  const health = (await (await fetch(`${server.url}/healthz`)).json()) as { queued: number };
  console.log(`embedded server RSS: idle ${idle.toFixed(0)} MB; with ${health.queued} queued tasks ${rssMb(server.proc.pid).toFixed(0)} MB`);
} finally {
  await killAll();
}

const kept = await spawnServer("start", ["--workers", "2"], {});
try {
  const { function_id } = await postJson(`${kept.url}/register_function`, { name: "noop", payload: "() => null" });
  await noopRound(kept.url, function_id, 30_000, 1000); // warm-up: code compiled, pools and buffers at their size
  const before = rssMb(kept.proc.pid);
  for (let done = 0; done < finished; done += 30_000) await noopRound(kept.url, function_id, Math.min(30_000, finished - done), 1000);
  const after = rssMb(kept.proc.pid);
  const perTask = ((after - before) * 1048576) / finished;
  console.log(`embedded server RSS with finished tasks kept (24 h retention): ${before.toFixed(0)} MB after 30,000, ${after.toFixed(0)} MB after ${finished} more; ${perTask.toFixed(0)} B per kept task`);
} finally {
  await killAll();
}
