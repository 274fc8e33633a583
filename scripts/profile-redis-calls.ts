/**
 * Redis time per task of each queue script on its own (not a test): one private redis-server, the
 * Redis backend in this process (no HTTP, no executors), rounds of enqueue -> claim -> apply of
 * `--batch` no-op tasks. Each call's cost is the CPU time redis-server spent on it (INFO cpu before
 * and after: time it was not running, on a busy machine, is not counted); the figure is the median
 * over the rounds.
 *
 *   bun scripts/profile-redis-calls.ts [--batch 1000] [--rounds 20]
 */
import Redis from "ioredis";
import { flag } from "../src/app/config.ts";
import { openRedisBackend, whenReady } from "../src/adapters/redis/index.ts";
import { systemClock } from "../src/adapters/system/index.ts";
import { newTask } from "../src/domain/task.ts";
import { redisCpuMicros } from "./lib/cpu.ts";
import { startRedisServer } from "./lib/redis-server.ts";

const argv = Bun.argv.slice(2);
const batch = Number(flag(argv, "batch") ?? 1000);
const rounds = Number(flag(argv, "rounds") ?? 20);

await using server = await startRedisServer();
const admin = new Redis(server.url);
const backend = openRedisBackend({ url: server.url, prefix: "prof", clock: systemClock, retentionMs: 60_000 });
try {
  await whenReady(backend.redis, 5000, systemClock);
  await backend.functions.save({ id: "f-1", tenant: "default", name: "f", source: "() => null", code: "() => null", timeoutMs: 60_000, maxAttempts: 3, createdAt: Date.now() });
  const queue = backend.dispatchQueue({ dispatcherId: "d-1", livenessMs: 10_000, reclaimEveryMs: 3_600_000 });
  const never = new AbortController().signal;
  const per: Record<"enqueue" | "claim" | "apply", number[]> = { enqueue: [], claim: [], apply: [] };
  const timed = async (name: keyof typeof per, f: () => Promise<unknown>): Promise<void> => {
    const before = redisCpuMicros(await admin.info("cpu"));
    await f();
    per[name].push((redisCpuMicros(await admin.info("cpu")) - before) / batch);
  };
  for (let r = 0; r < rounds + 2; r++) {
    const now = Date.now();
    const tasks = Array.from({ length: batch }, () => newTask(crypto.randomUUID(), "f-1", "[]", 3, 60_000, now));
    await timed("enqueue", () => backend.tasks.enqueue(tasks, { maxQueue: 1_000_000 }));
    let claimed: Awaited<ReturnType<typeof queue.claim>> = [];
    await timed("claim", async () => {
      claimed = await queue.claim(batch, never);
    });
    await timed("apply", () => queue.apply(claimed.map((t) => ({ taskId: t.id, attempt: t.attempt, status: "COMPLETED" as const, result: "null", ranOn: "thread executor 1" })), { quiet: true }));
    if (claimed.length !== batch) throw new Error(`claimed ${claimed.length} of ${batch}`);
  }
  const median = (xs: number[]): number => [...xs.slice(2)].sort((a, b) => a - b)[Math.floor((xs.length - 2) / 2)] as number;
  const least = (xs: number[]): number => Math.min(...xs.slice(2));
  console.log(`batches of ${batch}, ${rounds} rounds (2 more unmeasured): redis-server CPU per task, median (least) over rounds`);
  for (const k of ["enqueue", "claim", "apply"] as const) console.log(`  ${k.padEnd(8)} ${median(per[k]).toFixed(2)} us (${least(per[k]).toFixed(2)})`);
  console.log(`  total    ${(median(per.enqueue) + median(per.claim) + median(per.apply)).toFixed(2)} us (${(least(per.enqueue) + least(per.claim) + least(per.apply)).toFixed(2)})`);
} finally {
  await backend.close();
  admin.disconnect();
}
