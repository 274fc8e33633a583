/**
 * scripts/bench-hops.ts and its bare hops (scripts/lib/bare-hops.ts, bare-stack.ts): each mode's bare
 * processes answer a task through every hop (the result is the no-op's, which only the executor
 * thread makes), and the benchmark runs end to end with tiny sizes. Figures are not checked (tests
 * never assert on speed), only that they are printed.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { oneAtATime } from "../../scripts/evaluate/client.ts";
import { BARE_MODES, startBare } from "../../scripts/lib/bare-stack.ts";
import { killAll } from "../../scripts/lib/processes.ts";
import { runScript } from "../helpers/script-run.ts";

afterAll(killAll);

const bench = (args: string[]) => runScript("bench-hops.ts", args);

describe("bare hops", () => {
  for (const mode of BARE_MODES) {
    test(`${mode}: each task goes through to the executor thread and back`, async () => {
      const bare = await startBare(mode);
      try {
        const r = await fetch(`${bare.url}/execute_function?wait=10`, { method: "POST", body: JSON.stringify({ function_id: "bare", payload: "[1, 2]" }) });
        const body = (await r.json()) as { task_id: string; status: string; result: string };
        expect(body.status).toBe("COMPLETED");
        expect(body.result).toBe("null"); // JSON.stringify of the thread's no-op
        const ids = new Set<string>();
        for (let i = 0; i < 10; i++) {
          const b = (await (await fetch(`${bare.url}/execute_function?wait=10`, { method: "POST", body: '{"payload":"[]"}' })).json()) as { task_id: string };
          ids.add(b.task_id);
        }
        expect(ids.size).toBe(10); // every task has its own id, so no answer is another task's
        expect((await oneAtATime(bare.url, "bare", 20)).length).toBe(20);
      } finally {
        await bare.stop();
      }
    }, 60_000);
  }
});

describe("bench-hops", () => {
  test("prints BullMQ's, the bare hops' and our p50 side by side", async () => {
    const r = await bench(["--tasks", "20", "--warmup", "50", "--rounds", "1", "--modes", "local"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^BullMQ +\d+\.\d{3} /m);
    expect(r.out).toMatch(/^local +bare hops +\d+\.\d{3} .*x BullMQ's$/m);
    expect(r.out).toMatch(/^local +ours +\d+\.\d{3} .*x the bare hops$/m);
    expect(r.out).not.toContain("embedded");
  }, 120_000);

  test("a bad --modes or size is refused by name", async () => {
    const modes = await bench(["--modes", "local,pull"]);
    expect(modes.code).not.toBe(0);
    expect(modes.err).toContain('--modes takes embedded, local, push (comma-separated), got "pull"');
    const tasks = await bench(["--tasks", "0"]);
    expect(tasks.code).not.toBe(0);
    expect(tasks.err).toContain('--tasks must be a whole number above 0, got "0"');
  }, 60_000);
});
