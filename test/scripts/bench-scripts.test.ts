/**
 * scripts/bench-scripts.ts run for real with tiny sizes (it starts its own redis-server): with
 * --retained it fills Redis with finished tasks before measuring, and says how many Redis holds. The
 * figures themselves are not checked (tests never assert on speed), only that they are printed.
 */
import { describe, expect, test } from "bun:test";
import { parseBenchOutput } from "../../scripts/lib/bench-output.ts";
import { runScript } from "../helpers/script-run.ts";


const bench = (args: string[]) => runScript("bench-scripts.ts", args);

describe("bench-scripts", () => {
  test("--retained: unmeasured rounds until that many finished tasks are in Redis, counted there", async () => {
    const r = await bench(["--tasks", "200", "--batch", "100", "--claim", "50", "--rounds", "1", "--retained", "500"]);
    expect(r.err).not.toContain("error");
    expect(r.code).toBe(0);
    expect(r.out).toContain("1 rounds after 3 unmeasured rounds (600 finished tasks kept in Redis before the first measured one)");
    const figures = parseBenchOutput(r.out);
    expect(Object.keys(figures.cpuPerTask)).toEqual(["enqueue", "claim", "apply"]);
  }, 60_000);

  test("without --retained: one warm-up round", async () => {
    const r = await bench(["--tasks", "100", "--batch", "100", "--claim", "50", "--rounds", "1"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("1 rounds after a warm-up");
  }, 60_000);

  test("a bad --retained is refused by name", async () => {
    const r = await bench(["--retained", "-5"]);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('--retained must be a whole number, got "-5"');
  }, 60_000);
});
