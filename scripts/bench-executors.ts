/**
 * Executor pool benchmark (not a test), per isolation mode: how long an executor takes to start (spawn
 * to its `ready` message, median of several fresh ones), no-op throughput of the pool alone (two
 * executors, jobs handed out as the Dispatcher does: as many as freeSlots() allows), and latency of
 * one job at a time.
 *
 *   bun scripts/bench-executors.ts [--modes thread,process,sandbox] [--starts 15] [--jobs 20000] [--serial 1000]
 */
import { ExecutorPool, type Isolation } from "../src/adapters/executors/index.ts";
import type { Outcome } from "../src/domain/outcome.ts";
import type { Job } from "../src/domain/ports.ts";
import { flag } from "../src/app/config.ts";

const argv = Bun.argv.slice(2);
const modes = (flag(argv, "modes") ?? "thread,process,sandbox").split(",") as Isolation[];
const starts = Number(flag(argv, "starts") ?? 15);
const total = Number(flag(argv, "jobs") ?? 20_000);
const serial = Number(flag(argv, "serial") ?? 1000);

let seq = 0;
const noop = (tenant = "bench"): Job => ({ taskId: `b${++seq}`, tenant, attempt: 1, functionId: "noop", code: "() => null", args: "[]", timeoutMs: 60_000 });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] as number;

function pool(isolation: Isolation, executors: number, onReady?: (ms: number) => void): { pool: ExecutorPool; next: () => Promise<readonly Outcome[]> } {
  const logger = { log: (_l: string, _m: string, f?: Record<string, unknown>) => (f?.event === "executor.ready" ? onReady?.(f.startMs as number) : undefined) };
  const p = new ExecutorPool({ executors, isolation, logger, memoryLimitBytes: isolation === "thread" ? undefined : 512 * 1024 * 1024 });
  let waiting: ((o: readonly Outcome[]) => void) | undefined;
  let buffered: Outcome[] = [];
  p.onOutcomes((os) => {
    buffered.push(...os);
    if (waiting !== undefined) {
      const w = waiting;
      waiting = undefined;
      const out = buffered;
      buffered = [];
      w(out);
    }
  });
  const next = (): Promise<readonly Outcome[]> => {
    if (buffered.length > 0) {
      const out = buffered;
      buffered = [];
      return Promise.resolve(out);
    }
    return new Promise((r) => (waiting = r));
  };
  return { pool: p, next };
}

for (const mode of modes) {
  // Start time: one executor at a time; each new tenant takes the idle executor's place (a fresh start).
  const readyMs: number[] = [];
  const firstResultMs: number[] = [];
  const s = pool(mode, 1, (ms) => readyMs.push(ms));
  for (let i = 0; i < starts; i++) {
    const t0 = performance.now();
    s.pool.run([noop(`tenant-${i}`)]);
    await s.next();
    firstResultMs.push(performance.now() - t0);
  }
  await s.pool.close();

  // Throughput and serial latency on two executors of one tenant.
  const t = pool(mode, 2);
  const warm = Array.from({ length: 200 }, () => noop());
  t.pool.run(warm);
  for (let done = 0; done < warm.length; ) done += (await t.next()).length;
  const t0 = performance.now();
  let sent = 0;
  let done = 0;
  while (done < total) {
    const n = Math.min(t.pool.freeSlots(), total - sent);
    if (n > 0) {
      t.pool.run(Array.from({ length: n }, () => noop()));
      sent += n;
    }
    done += (await t.next()).length;
  }
  const rate = total / ((performance.now() - t0) / 1000);
  const lat: number[] = [];
  for (let i = 0; i < serial; i++) {
    const a = performance.now();
    t.pool.run([noop()]);
    await t.next();
    lat.push(performance.now() - a);
  }
  await t.pool.close();
  console.log(
    `${mode.padEnd(8)} start (spawn to ready) median ${median(readyMs).toFixed(1)} ms [${Math.min(...readyMs).toFixed(0)}-${Math.max(...readyMs).toFixed(0)}], ` +
      `first result ${median(firstResultMs).toFixed(1)} ms; no-op ${Math.round(rate)} jobs/s (2 executors); one at a time p50 ${pct(lat, 0.5).toFixed(3)} ms, p99 ${pct(lat, 0.99).toFixed(3)} ms`,
  );
}
