/**
 * A function that blocks its executor's event loop is the one charged: jobs sleeping beside it are
 * never failed for the time it took (an ambiguous deadline re-runs each started job alone), and jobs
 * queued behind it start elsewhere as soon as the stall is seen.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutorPool, type Isolation } from "../../src/adapters/executors/index.ts";
import type { Outcome } from "../../src/domain/outcome.ts";
import type { Job } from "../../src/domain/ports.ts";
import { job } from "../contracts/executor.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

let pools: ExecutorPool[] = [];
afterEach(async () => {
  for (const p of pools) await p.close();
  pools = [];
});

function start(isolation: Isolation, executors: number) {
  const logs: Record<string, unknown>[] = [];
  const pool = new ExecutorPool({ executors, isolation, slotsPerExecutor: 16, logger: { log: (_l, _m, f) => logs.push(f ?? {}) }, memoryLimitBytes: isolation === "thread" ? undefined : 512 * 1024 * 1024 });
  pools.push(pool);
  const order: string[] = [];
  const outcomes = new Map<string, Outcome>();
  pool.onOutcomes((os) => os.forEach((o) => (order.push(o.taskId), outcomes.set(o.taskId, o))));
  const outcomeOf = (j: Job) => waitFor(() => outcomes.get(j.taskId), `outcome of ${j.taskId}`, 30_000);
  return { pool, logs, order, outcomeOf };
}

const SLEEP = "async (ms) => { await new Promise((r) => setTimeout(r, ms)); return ms }";
const SPIN = "(ms) => { const end = Date.now() + ms; while (Date.now() < end) {} return 'spun' }";

for (const isolation of ["thread", "process", "sandbox"] as const) {
  describe(`stalls, ${isolation} executors`, () => {
    test("a synchronous infinite loop beside async sleepers with longer deadlines: the sleepers complete, the loop times out", async () => {
      const { pool, logs, outcomeOf } = start(isolation, 1);
      const sleepers = [job(SLEEP, "[300]", 5_000), job(SLEEP, "[400]", 5_000)];
      const loop = job("() => { for (;;) {} }", "[]", 500);
      pool.run([...sleepers, loop]); // one executor: the sleepers start, then the loop blocks them
      expect(await outcomeOf(loop)).toMatchObject({ kind: "timeout", timeoutMs: 500 });
      for (const s of sleepers) expect(await outcomeOf(s)).toMatchObject({ kind: "returned" });
      expect(logs.some((f) => f.event === "executor.quarantined")).toBe(true);
    }, 60_000);

    test("a sleeper whose deadline passes while a neighbour blocks the loop is not charged: both complete", async () => {
      const { pool, outcomeOf } = start(isolation, 1);
      const sleeper = job(SLEEP, "[50]", 400);
      const spin = job(SPIN, "[1500]", 10_000);
      pool.run([sleeper, spin]); // the sleeper's timer cannot fire while the spin holds the loop
      expect(await outcomeOf(sleeper)).toMatchObject({ kind: "returned", value: "50" });
      expect(await outcomeOf(spin)).toMatchObject({ kind: "returned", value: '"spun"' });
    }, 60_000);

    test("jobs queued behind a 2 s synchronous job start elsewhere once the stall is seen, and finish first", async () => {
      const { pool, logs, order, outcomeOf } = start(isolation, 2);
      const spin = job(SPIN, "[2000]", 10_000);
      const queued = Array.from({ length: 6 }, (_, i) => job("(x) => x * 10", `[${i}]`, 10_000));
      pool.run([spin, ...queued]); // spread over two executors: some wait behind the spin in the first
      expect(await outcomeOf(spin)).toMatchObject({ kind: "returned" });
      for (const q of queued) expect(await outcomeOf(q)).toMatchObject({ kind: "returned" });
      const stalled = logs.find((f) => f.event === "executor.stalled") as { recalled: number } | undefined;
      expect(stalled?.recalled).toBeGreaterThan(0);
      for (const q of queued) expect(order.indexOf(q.taskId)).toBeLessThan(order.indexOf(spin.taskId));
    }, 60_000);
  });
}

for (const isolation of ["thread", "process"] as const) {
  test(`${isolation} executors: a job taken back from a stalled executor never starts there later (each job runs once)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "bunfaas-stall-runs-"));
    try {
      const { pool, logs, outcomeOf } = start(isolation, 2);
      const spin = job(SPIN, "[1500]", 10_000);
      const note = "async (file, i) => { (await import('node:fs')).appendFileSync(file, i + '\\n'); return i }";
      const queued = Array.from({ length: 8 }, (_, i) => job(note, JSON.stringify([join(dir, "runs"), i]), 10_000));
      pool.run([spin, ...queued]);
      for (const q of [spin, ...queued]) expect((await outcomeOf(q)).kind).toBe("returned");
      expect((logs.find((f) => f.event === "executor.stalled") as { recalled: number }).recalled).toBeGreaterThan(0);
      const runs = readFileSync(join(dir, "runs"), "utf8").trim().split("\n").map(Number).sort((a, b) => a - b);
      expect(runs).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
}
