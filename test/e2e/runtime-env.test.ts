/**
 * The runtime settings reach the processes that run tasks: `bun run start` starts Bun with them (an
 * operator's own value wins) and hands them to process executors, whose /proc/self/environ shows
 * them (sandboxes too); `bun src/app/start.ts` without them logs which it lacks.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { killTree } from "../../src/adapters/executors/process-tree.ts";
import { eventField, readLog } from "../../scripts/lib/processes.ts";
import { register, run } from "../../scripts/lib/http.ts";
import { removeTempDirs, tempDir } from "../../scripts/lib/temp-dirs.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

const root = join(import.meta.dir, "..", "..");
const started: Subprocess[] = [];
afterAll(async () => {
  for (const p of started) killTree(p.pid); // `bun run`, the server it started, and its executors
  await Promise.all(started.map((p) => p.exited));
  removeTempDirs();
});

/** Starts the embedded server from `argv` (process executors unless `isolation`) with only PATH (and `env`) in its environment. */
async function startWith(argv: string[], env: Record<string, string> = {}, isolation = "process"): Promise<{ url: string; log: string }> {
  const log = join(tempDir("runtime-env"), "server.log");
  const proc = Bun.spawn([process.execPath, ...argv, "--port", "0", "--workers", "1", "--isolation", isolation], { cwd: root, env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", ...env }, stdout: "ignore", stderr: Bun.file(log), stdin: "ignore" });
  started.push(proc);
  const url = await waitFor(
    () => {
      if (proc.exitCode !== null) throw new Error(`the server exited with ${proc.exitCode}: ${readLog(log)}`);
      return eventField(readLog(log), "embedded.listening", "url");
    },
    "the server to listen",
    20_000,
    25,
  );
  return { url, log };
}

/** The MIMALLOC_ variables the executor process that runs a task started with. */
async function executorAllocatorEnv(url: string): Promise<string[]> {
  const fid = await register(url, `() => process.getBuiltinModule("node:fs").readFileSync("/proc/self/environ", "utf8").split("\\0").filter((v) => v.startsWith("MIMALLOC_"))`);
  const r = await run(url, fid, "[]");
  expect(r.status).toBe("COMPLETED");
  return JSON.parse(r.result as string) as string[];
}

describe("runtime settings", () => {
  test("bun run start: the server and its process executors start with MIMALLOC_PURGE_DELAY=-1, and nothing is logged missing", async () => {
    const server = await startWith(["run", "start"]);
    expect(await executorAllocatorEnv(server.url)).toEqual(["MIMALLOC_PURGE_DELAY=-1"]);
    expect(readLog(server.log)).not.toContain("runtime.env_missing");
  }, 30_000);

  test("bun run start under MIMALLOC_PURGE_DELAY=100: the operator's value goes through", async () => {
    const server = await startWith(["run", "start"], { MIMALLOC_PURGE_DELAY: "100" });
    expect(await executorAllocatorEnv(server.url)).toEqual(["MIMALLOC_PURGE_DELAY=100"]);
  }, 30_000);

  test("bun run start --isolation sandbox: the sandboxed executor starts with it too", async () => {
    const server = await startWith(["run", "start"], {}, "sandbox");
    expect(await executorAllocatorEnv(server.url)).toEqual(["MIMALLOC_PURGE_DELAY=-1"]);
  }, 30_000);

  test("bun src/app/start.ts without it: the log names what is missing, and the executors have none", async () => {
    const server = await startWith(["src/app/start.ts"]);
    expect(eventField(readLog(server.log), "runtime.env_missing", "missing")).toBe("MIMALLOC_PURGE_DELAY");
    expect(await executorAllocatorEnv(server.url)).toEqual([]);
  }, 30_000);
});
