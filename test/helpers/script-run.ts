/**
 * Runs one of the project's scripts (`scripts/<name>`) as its own Bun process from the repository's
 * root, with only PATH in its environment, and collects what it printed and its exit code.
 *
 * @example
 * const r = await runScript("bench-scripts.ts", ["--tasks", "100"]);
 * expect(r.code).toBe(0);
 */
import { join } from "node:path";

const root = join(import.meta.dir, "..", "..");

export async function runScript(name: string, args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn([process.execPath, `scripts/${name}`, ...args], { cwd: root, env: { PATH: process.env.PATH ?? "" }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out, err };
}
