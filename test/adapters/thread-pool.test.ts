import { afterEach, describe, expect, test } from "bun:test";
import { ThreadPool } from "../../src/adapters/executors/index.ts";
import type { Outcome } from "../../src/domain/outcome.ts";
import type { Job } from "../../src/domain/ports.ts";
import { waitFor } from "../helpers/wait-for.ts";

const quiet = { log: () => {} };
let pools: ThreadPool[] = [];
afterEach(async () => {
  for (const p of pools) await p.close();
  pools = [];
});

function pool(threads: number, slotsPerExecutor = 64): { pool: ThreadPool; outcomes: Outcome[] } {
  const p = new ThreadPool({ executors: threads, slotsPerExecutor, logger: quiet });
  pools.push(p);
  const outcomes: Outcome[] = [];
  p.onOutcomes((o) => outcomes.push(...o));
  return { pool: p, outcomes };
}

function jobs(n: number, code = "(i) => i * 2", fid = "f1"): Job[] {
  return Array.from({ length: n }, (_, i) => ({ taskId: `t${i}`, tenant: "default", attempt: 1, functionId: fid, code, args: `[${i}]`, timeoutMs: 10_000 }));
}

describe("ThreadPool", () => {
  test("hands jobs to threads in batches: one message per thread, not one per job", async () => {
    const { pool: p, outcomes } = pool(2, 100);
    p.run(jobs(100));
    expect(p.batchesPosted).toBe(2);
    await waitFor(() => outcomes.length === 100, "100 outcomes");
    const byId = new Map(outcomes.map((o) => [o.taskId, o]));
    expect(Array.from({ length: 100 }, (_, i) => (byId.get(`t${i}`) as { value: string }).value)).toEqual(Array.from({ length: 100 }, (_, i) => String(i * 2)));
  });

  test("free slots shrink while jobs run and come back with the outcomes", async () => {
    const { pool: p, outcomes } = pool(1, 4);
    expect(p.freeSlots()).toBe(4);
    p.run(jobs(3, "async (i) => { await new Promise((r) => setTimeout(r, 50)); return i }"));
    expect(p.freeSlots()).toBe(1);
    await waitFor(() => outcomes.length === 3, "3 outcomes");
    expect(p.freeSlots()).toBe(4);
  });

  test("whenFree resolves once a full pool frees a slot", async () => {
    const { pool: p } = pool(1, 1);
    p.run(jobs(1, "async () => { await new Promise((r) => setTimeout(r, 30)); return 1 }"));
    expect(p.freeSlots()).toBe(0);
    await p.whenFree();
    expect(p.freeSlots()).toBe(1);
  });

  test("function code is sent once per thread and cached", async () => {
    const { pool: p, outcomes } = pool(1, 10);
    p.run(jobs(5));
    await waitFor(() => outcomes.length === 5, "first 5");
    p.run(jobs(5).map((j) => ({ ...j, code: "this is not sent again" })));
    await waitFor(() => outcomes.length === 10, "second 5");
    expect(outcomes.every((o) => o.kind === "returned")).toBe(true);
  });
});
