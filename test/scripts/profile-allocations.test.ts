/**
 * scripts/profile-allocations.ts run for real with tiny sizes: it prints, per process, what a task in
 * a batch allocated (collector off) and what a finished task keeps (collector on). Only that figures
 * come, from a probe the server answered, is checked; their size is the machine's and the code's.
 */
import { describe, expect, test } from "bun:test";
import { runScript } from "../helpers/script-run.ts";


const profile = (args: string[]) => runScript("profile-allocations.ts", args);

describe("profile-allocations", () => {
  test("embedded: cells and bytes a task allocates, by type, and what a finished task keeps", async () => {
    const r = await profile(["--tasks", "50", "--reps", "1", "--warmup", "50", "--kept", "200"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const allocated = /server: ([\d.]+) cells, (\d+) B of heap a task: Object ([\d.]+)/.exec(r.out);
    expect(allocated).not.toBeNull();
    expect(Number(allocated?.[1])).toBeGreaterThan(0);
    expect(r.out).toMatch(/server: -?\d+ B of heap and -?[\d.]+ cells a task \(strings -?[\d.]+\)/);
  }, 120_000);

  test("a bad --mode is refused by name", async () => {
    const r = await profile(["--mode", "push"]);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('--mode must be embedded or redis-local, got "push"');
  }, 60_000);
});
