/**
 * Nothing an executor started outlives it: a timeout, a cancel or a replacement kills the executor's
 * whole process tree, and killing the server (kill -9) kills its executors. A process counts as gone
 * when /proc/PID/status is absent: this test process adopts orphans (a child subreaper) and reaps
 * them, since the host's init may never reap a zombie.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutorPool, processHosts, type HostFactory } from "../../src/adapters/executors/index.ts";
import { removeStaleCgroups } from "../../src/adapters/executors/cgroup.ts";
import { processTree } from "../../src/adapters/executors/process-tree.ts";
import type { Outcome } from "../../src/domain/outcome.ts";
import { job } from "../contracts/executor.ts";
import { becomeSubreaper, goneCheck } from "../helpers/proc-gone.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

const MB = 1024 * 1024;
const quiet = { log: () => {} };
/** Starts a child that would sleep a minute, then never settles. */
const SPAWN_AND_HANG = "async () => { Bun.spawn([process.execPath, '-e', 'setTimeout(() => {}, 60000) /* grandchild */'], { stdio: ['ignore', 'ignore', 'ignore'] }); return new Promise(() => {}) }";

beforeAll(() => becomeSubreaper());
afterAll(() => becomeSubreaper(false));
let pools: ExecutorPool[] = [];
afterEach(async () => {
  for (const p of pools) await p.close();
  pools = [];
});

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

/** Removes the temporary directories a pool in process `pid` made (it was killed: it could not). */
function removeFilesOf(pid: number): void {
  for (const dir of [tmpdir(), "/dev/shm"]) {
    for (const name of existsSync(dir) ? readdirSync(dir) : []) {
      if (name.startsWith(`bunfaas-entry-${pid}-`) || name.startsWith(`bunfaas-tickets-${pid}-`)) rmSync(join(dir, name), { recursive: true, force: true });
    }
  }
}

/** The pids (host view) once the grandchild shows among them. */
function withGrandchild(pids: () => number[]): Promise<number[]> {
  return waitFor(() => {
    const now = pids();
    return now.some((p) => cmdline(p).includes("grandchild")) ? now : undefined;
  }, "the grandchild to start", 20_000);
}

const kinds: [string, () => { isolation?: "process" | "sandbox"; hosts?: HostFactory }][] = [
  ["process, own pid namespace", () => ({ isolation: "process" })],
  ["process, plain (no bwrap)", () => ({ hosts: processHosts({ logger: quiet, memoryLimitBytes: 512 * MB, pidNamespace: false }) })],
  ["process, plain, no cgroup", () => ({ hosts: processHosts({ logger: quiet, memoryLimitBytes: 512 * MB, pidNamespace: false, cgroups: false }) })],
  ["sandbox", () => ({ isolation: "sandbox" })],
];

for (const [name, kind] of kinds) {
  describe(`executor trees, ${name}`, () => {
    for (const how of ["timeout", "cancel"] as const) {
      test(`a ${how} kills the task's executor and the process it spawned`, async () => {
        const pool = new ExecutorPool({ executors: 1, logger: quiet, memoryLimitBytes: 512 * MB, ...kind() });
        pools.push(pool);
        const outcomes: Outcome[] = [];
        pool.onOutcomes((os) => outcomes.push(...os));
        const j = job(SPAWN_AND_HANG, "[]", how === "timeout" ? 1500 : 60_000);
        pool.run([j]);
        const tree = await withGrandchild(() => pool.pids());
        expect(tree.length).toBeGreaterThanOrEqual(2);
        const gone = goneCheck(tree);
        if (how === "cancel") pool.stop(j.taskId);
        else expect(await waitFor(() => outcomes.find((o) => o.taskId === j.taskId), "the timeout")).toMatchObject({ kind: "timeout" });
        await waitFor(gone, `every process of ${JSON.stringify(tree)} gone`, 10_000);
        const next = job("() => 'next'");
        pool.run([next]);
        expect(await waitFor(() => outcomes.find((o) => o.taskId === next.taskId), "a job after it")).toMatchObject({ kind: "returned" });
      }, 60_000);
    }
  });
}

const servers: [string, string, Record<string, unknown>, boolean][] = [
  ["process executors in their own pid namespace", "process", {}, true],
  ["plain process executors (parent-death signal)", "process", { plainProcesses: true }, false],
  ["sandboxes", "sandbox", {}, true],
];

for (const [name, kind, options, wholeTree] of servers) {
  test(`kill -9 of the server: ${name} ${wholeTree ? "and everything they started are" : "are"} gone`, async () => {
    const runner = new URL("../helpers/pool-runner.ts", import.meta.url).pathname;
    const server = Bun.spawn([process.execPath, runner, kind, JSON.stringify([job(SPAWN_AND_HANG, "[]", 60_000)]), JSON.stringify({ ...options, stay: true })], { stdout: "pipe", stderr: "inherit" });
    let text = "";
    void (async () => {
      for await (const chunk of server.stdout) text += new TextDecoder().decode(chunk);
    })();
    const poolPids = await withGrandchild(() => {
      const last = text.trim().split("\n").filter((l) => l.startsWith('{"pids"')).pop();
      return last === undefined ? [] : (JSON.parse(last) as { pids: number[] }).pids;
    });
    const everything = processTree(server.pid).filter((p) => p !== server.pid);
    const allGone = goneCheck(everything);
    try {
      const executors = wholeTree ? everything : everything.filter((p) => !cmdline(p).includes("grandchild"));
      expect(executors.length).toBeGreaterThanOrEqual(wholeTree ? 2 : 1);
      expect(poolPids.every((p) => everything.includes(p))).toBe(true);
      const executorsGone = goneCheck(executors);
      server.kill("SIGKILL");
      await server.exited;
      await waitFor(executorsGone, `every executor process of ${JSON.stringify(executors)} gone`, 10_000);
    } finally {
      server.kill("SIGKILL");
      for (const p of everything) if (existsSync(`/proc/${p}`)) process.kill(p, "SIGKILL"); // what plain processes leave behind (or a failure)
      removeFilesOf(server.pid);
    }
    await waitFor(allGone, "the leftovers reaped", 10_000);
    await waitFor(() => removeStaleCgroups() === 0, "the killed server's cgroups removed", 10_000);
  }, 60_000);
}
