/**
 * scripts/profile-allocations.ts run for real with tiny sizes: it prints, per process, what a task in
 * a batch allocated (collector off) and what a finished task keeps (collector on). Only that figures
 * come, from a probe the server answered, is checked; their size is the machine's and the code's.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const root = join(import.meta.dir, "..", "..");

async function profile(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn([process.execPath, "scripts/profile-allocations.ts", ...args], { cwd: root, env: { PATH: process.env.PATH ?? "" }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out, err };
}

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
