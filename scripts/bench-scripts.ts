/**
 * What each Redis script costs Redis per task, on its own (not a test): starts its own redis-server,
 * opens the Redis backend in this process (no HTTP, no executors) and, per round, enqueues --tasks
 * no-op tasks in batches of --batch, claims them in claims of --claim, and settles them COMPLETED in
 * applies of the same size, with a subscriber on the task events channel (as an API has). Each phase
 * is read from Redis's own INFO commandstats (the usec of EVALSHA, EVAL and FCALL, commands run inside a script included),
 * so other processes on the machine do not blur it as they blur the end-to-end benches; it counts the
 * scripts' time only, not reading requests and writing replies. Prints, per phase, the median over the
 * rounds in microseconds per task, and as "throughput" the tasks per second Redis could carry through
 * the three scripts at that cost (1e6 / their sum).
 *
 * With --lone, tasks go one at a time the way a lone task goes through a Redis stack: the dispatcher
 * waits for work (its claim pending, noted idle), the task is enqueued (ENQUEUE hands it straight to
 * the dispatcher: the short way, but for a task now and then when its note has run out of slots), then settled (APPLY's fast path, its bookkeeping deferred); enqueue
 * and apply are each read per task (claim is whatever else runs: the periodic drains and takes).
 * --batch and --claim do not apply then.
 *
 * With --retained N, the unmeasured rounds before the measured ones run until at least N finished tasks
 * are kept in Redis (retention one hour), so the figures show what a task costs beside them (the
 * evaluation's retained section measures the whole stack so).
 *
 *   bun scripts/bench-scripts.ts [--tasks 20000] [--batch 1000] [--claim 100] [--rounds 5] [--retained 0] [--lone]
 *
 * bench-compare.ts runs it with --bench scripts.
 */
import Redis from "ioredis";
import { openRedisBackend, whenReady } from "../src/adapters/redis/index.ts";
import { systemClock } from "../src/adapters/system/index.ts";
import { flag } from "../src/app/config.ts";
import { newTask, type Task } from "../src/domain/task.ts";
import { median } from "./evaluate/stats.ts";
import { startRedisServer } from "./lib/redis-server.ts";

const argv = Bun.argv.slice(2);
const total = Number(flag(argv, "tasks") ?? 20_000);
const batch = Number(flag(argv, "batch") ?? 1000);
const claimSize = Number(flag(argv, "claim") ?? 100);
const rounds = Number(flag(argv, "rounds") ?? 5);
const retained = Number(flag(argv, "retained") ?? 0);
const lone = argv.includes("--lone");
for (const [name, n] of [["tasks", total], ["batch", batch], ["claim", claimSize], ["rounds", rounds]] as const) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number of at least 1, got "${flag(argv, name)}"`);
}
if (!Number.isInteger(retained) || retained < 0) throw new Error(`--retained must be a whole number, got "${flag(argv, "retained")}"`);
/** Unmeasured rounds first: one warm-up, or as many as keep --retained finished tasks. */
const unmeasured = Math.max(1, Math.ceil(retained / total));

await using redis = await startRedisServer();
const admin = new Redis(redis.url);
const backend = openRedisBackend({ url: redis.url, prefix: "bench", clock: systemClock, retentionMs: 3_600_000 });
const never = new AbortController().signal;
try {
  await whenReady(backend.redis, 5000, systemClock);
  await backend.functions.save({ id: "f-1", tenant: "default", name: "noop", source: "() => null", code: "() => null", timeoutMs: 1000, maxAttempts: 3, createdAt: Date.now() });
  const queue = backend.dispatchQueue({ dispatcherId: "bench-d", livenessMs: 10_000, reclaimEveryMs: 60_000 });
  let heard = 0;
  backend.events.subscribe((ids) => void (heard += ids.length));
  const scriptUsec = async (): Promise<number> => {
    const stats = await admin.info("commandstats");
    return ["evalsha", "eval", "fcall"].reduce((n, c) => n + Number(new RegExp(`cmdstat_${c}:calls=\\d+,usec=(\\d+)`).exec(stats)?.[1] ?? 0), 0);
  };
  const phase = async (work: () => Promise<void>): Promise<number> => {
    const before = await scriptUsec();
    await work();
    return ((await scriptUsec()) - before) / total;
  };
  const batchRound = async (tasks: Task[]): Promise<{ enqueue: number; claim: number; apply: number }> => {
    const enqueue = await phase(async () => {
      for (let i = 0; i < total; i += batch) await backend.tasks.enqueue(tasks.slice(i, i + batch), { maxQueue: 10 * total });
    });
    const claimed: Task[][] = [];
    const claim = await phase(async () => {
      for (let got = 0; got < total; ) {
        const c = await queue.claim(claimSize, never);
        claimed.push(c);
        got += c.length;
      }
    });
    const apply = await phase(async () => {
      for (const c of claimed) await queue.apply(c.map((t) => ({ taskId: t.id, attempt: t.attempt, status: "COMPLETED" as const, result: "null" })));
    });
    return { enqueue, claim, apply };
  };
  /** One task at a time: the dispatcher waiting (noted idle), the task enqueued (handed to it), then applied. */
  const loneRound = async (tasks: Task[]): Promise<{ enqueue: number; claim: number; apply: number }> => {
    const spent = { enqueue: 0, claim: 0, apply: 0 };
    const start = await scriptUsec();
    for (const task of tasks) {
      // the dispatcher asks for room for more, as one with prefetch does: its idle note stays for the
      // next tasks (at most that many: then the next task is queued and wakes it, and it notes itself again)
      const claimed = queue.claim(64, never);
      const t0 = await scriptUsec();
      await backend.tasks.enqueue([task], { maxQueue: 10 * total });
      const t1 = await scriptUsec();
      let got = await claimed;
      // a claim answers [] when the periodic reclaim is due (the dispatcher's loop runs it, then claims again)
      while (got.length === 0) {
        got = await queue.reclaim(1); // which answers what was handed to this dispatcher meanwhile
        if (got.length === 0) got = await queue.claim(64, never);
      }
      const [t] = got;
      if (t?.id !== task.id) throw new Error(`claimed ${t?.id ?? "nothing"}, expected ${task.id}`);
      const t2 = await scriptUsec();
      await queue.apply([{ taskId: t.id, attempt: t.attempt, status: "COMPLETED", result: "null" }]);
      const t3 = await scriptUsec();
      spent.enqueue += t1 - t0;
      spent.apply += t3 - t2;
    }
    spent.claim = (await scriptUsec()) - start - spent.enqueue - spent.apply;
    return { enqueue: spent.enqueue / total, claim: spent.claim / total, apply: spent.apply / total };
  };
  /** Tasks that ended COMPLETED, by the shard's stats hash (every task here does; none expires within the hour). */
  const finishedInRedis = async (): Promise<number> => Number(await admin.hget(backend.keys.shards[0]?.statsOf("default") as string, "finished:COMPLETED"));
  let keptBefore = 0;
  const figures = { enqueue: [] as number[], claim: [] as number[], apply: [] as number[] };
  for (let round = 0; round < unmeasured + rounds; round++) {
    const tasks = Array.from({ length: total }, () => newTask(crypto.randomUUID(), "f-1", "[]", 3, 1000, Date.now()));
    const heardBefore = heard;
    const { enqueue, claim, apply } = lone ? await loneRound(tasks) : await batchRound(tasks);
    const deadline = Date.now() + 10_000;
    while (heard - heardBefore < total && Date.now() < deadline) await Bun.sleep(5); // the reports, before the next round
    if (round === unmeasured - 1) keptBefore = await finishedInRedis();
    if (round < unmeasured) continue; // warm-up, or filling Redis with finished tasks
    figures.enqueue.push(enqueue);
    figures.claim.push(claim);
    figures.apply.push(apply);
  }
  const m = { enqueue: median(figures.enqueue), claim: median(figures.claim), apply: median(figures.apply) };
  const perTask = m.enqueue + m.claim + m.apply;
  const rate = Math.round(1e6 / perTask);
  const after = retained > 0 ? `${unmeasured} unmeasured rounds (${keptBefore.toLocaleString("en-US")} finished tasks kept in Redis before the first measured one)` : "a warm-up";
  console.log(`redis scripts, ${total} no-op tasks per round, ${lone ? "one at a time (the short way)" : `enqueue batches of ${batch}, claims and applies of ${claimSize}`}, ${rounds} rounds after ${after}`);
  console.log(`throughput: ${rate} tasks/s (best ${rate}) (what Redis could carry through the three scripts alone)`);
  console.log(`cpu per task: enqueue ${m.enqueue.toFixed(2)} us, claim ${m.claim.toFixed(2)} us, apply ${m.apply.toFixed(2)} us (script time in Redis, median of the rounds)`);
} finally {
  await backend.close();
  admin.disconnect();
}
