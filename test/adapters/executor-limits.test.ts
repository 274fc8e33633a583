/**
 * Limits that hold whatever user code does: the result size (checked in the executor, and again in
 * the host against what an executor sends anyway), the memory cap over the executor's whole process
 * tree, and deadlines that no write to the executor's own memory (/proc/self/mem) can move.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { ExecutorPool, processHosts, sandboxHosts, type HostFactory, type Isolation } from "../../src/adapters/executors/index.ts";
import type { Outcome } from "../../src/domain/outcome.ts";
import type { Job, Logger } from "../../src/domain/ports.ts";
import { job } from "../contracts/executor.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

let pools: ExecutorPool[] = [];
afterEach(async () => {
  for (const p of pools) await p.close();
  pools = [];
});

const MB = 1024 * 1024;

function start(o: { isolation?: Isolation; hosts?: HostFactory; memoryLimitBytes?: number; maxResultBytes?: number; logs?: Record<string, unknown>[] }) {
  const logger: Logger = { log: (_l, _m, f) => o.logs?.push(f ?? {}) };
  const pool = new ExecutorPool({ executors: 1, logger, ...o });
  pools.push(pool);
  const outcomes: Outcome[] = [];
  pool.onOutcomes((os) => outcomes.push(...os));
  const outcomeOf = (j: Job) => waitFor(() => outcomes.find((x) => x.taskId === j.taskId), `outcome of ${j.taskId}`, 30_000);
  return { pool, outcomes, outcomeOf };
}

/** Posts a message on the executor's own channel, as hostile code can. */
const POST = "const post = (m) => (typeof process.send === 'function' ? process.send(m) : postMessage(m));";

for (const isolation of ["thread", "process", "sandbox"] as const) {
  describe(`result size, ${isolation} executors`, () => {
    test("a result or an error over the limit ends too-large with both sizes; one under it passes", async () => {
      const { pool, outcomeOf } = start({ isolation, maxResultBytes: 1024, memoryLimitBytes: isolation === "thread" ? undefined : 512 * MB });
      const big = job("(n) => 'é'.repeat(n)", "[600]"); // 1202 bytes of JSON text, 602 characters
      const small = job("(n) => 'x'.repeat(n)", "[1000]");
      const loud = job("() => { throw new Error('y'.repeat(5000)) }");
      pool.run([big, small, loud]);
      expect(await outcomeOf(big)).toMatchObject({ kind: "too-large", bytes: 1202, limit: 1024 });
      expect(await outcomeOf(small)).toMatchObject({ kind: "returned" });
      expect((await outcomeOf(loud)).kind).toBe("too-large");
    });

    test("the host checks again: an oversized result posted on the channel by user code is too-large", async () => {
      const { pool, outcomeOf } = start({ isolation, maxResultBytes: 1024, memoryLimitBytes: isolation === "thread" ? undefined : 512 * MB });
      // A fresh executor gives its first job slot 0, ticket 1: forge that job's result, bypassing the executor's check.
      const forge = job(`() => { ${POST} post({ t: "done", results: [{ slot: 0, seq: 1, k: "ok", v: JSON.stringify("z".repeat(4096)) }] }); return new Promise(() => {}) }`);
      pool.run([forge]);
      expect(await outcomeOf(forge)).toMatchObject({ kind: "too-large", limit: 1024 });
    });

    test("a message that is not of the protocol is dropped and logged; the job it came from still completes", async () => {
      const logs: Record<string, unknown>[] = [];
      const { pool, outcomeOf } = start({ isolation, logs, memoryLimitBytes: isolation === "thread" ? undefined : 512 * MB });
      const junk = job(`() => { ${POST} post({ t: "done", results: [{ slot: -1, k: "ok", v: 1 }] }); post("nonsense"); return 'fine' }`);
      pool.run([junk]);
      expect(await outcomeOf(junk)).toMatchObject({ kind: "returned", value: '"fine"' });
      expect(logs.filter((f) => f.event === "executor.bad-message").length).toBe(2);
    });
  });
}

/** Spawns a child process that allocates far past the cap (600 MB, then holds it: bounded even if no cap held), and waits for it. */
const CHILD_HOG = "async () => { const p = Bun.spawn([process.execPath, '-e', 'const keep = []; while (keep.length < 75) keep.push(new Array(1e6).fill(1.5)); setInterval(() => keep.length, 1000)'], { stdio: ['ignore', 'ignore', 'ignore'] }); await p.exited; return 'the child ended' }";

const trees: [string, () => { hosts: HostFactory }][] = [
  ["process, cgroup", () => ({ hosts: processHosts({ logger: { log() {} }, memoryLimitBytes: 160 * MB }) })],
  ["process, /proc walk", () => ({ hosts: processHosts({ logger: { log() {} }, memoryLimitBytes: 160 * MB, cgroups: false }) })],
  ["sandbox, cgroup", () => ({ hosts: sandboxHosts({ logger: { log() {} }, memoryLimitBytes: 160 * MB }) })],
  ["sandbox, /proc walk", () => ({ hosts: sandboxHosts({ logger: { log() {} }, memoryLimitBytes: 160 * MB, cgroups: false }) })],
];

for (const [name, hosts] of trees) {
  describe(`memory cap over the whole tree: ${name}`, () => {
    test("a child process that allocates far past the cap ends its task ResourceLimit; the pool keeps serving", async () => {
      const { pool, outcomeOf } = start({ ...hosts(), memoryLimitBytes: 160 * MB });
      const hog = job(CHILD_HOG, "[]", 60_000);
      pool.run([hog]);
      const o = await outcomeOf(hog);
      expect(o.kind).toBe("resource-limit");
      expect((o as { message: string }).message).toContain("160 MB");
      const next = job("() => 'still here'");
      pool.run([next]);
      expect(await outcomeOf(next)).toMatchObject({ kind: "returned" });
    }, 60_000);
  });
}

for (const isolation of ["process", "sandbox"] as const) {
  describe(`host records, ${isolation} executors`, () => {
    test("a result bigger than the memory cap ends ResourceLimit once (no endless restarts)", async () => {
      const logs: Record<string, unknown>[] = [];
      const { pool, outcomes, outcomeOf } = start({ isolation, logs, memoryLimitBytes: 160 * MB, maxResultBytes: 1024 * MB });
      const huge = job("() => 'x'.repeat(300 * 1024 * 1024)", "[]", 60_000);
      pool.run([huge]);
      expect((await outcomeOf(huge)).kind).toBe("resource-limit");
      const next = job("() => 1");
      pool.run([next]);
      await outcomeOf(next);
      expect(outcomes.filter((o) => o.taskId === huge.taskId).length).toBe(1);
      expect(logs.filter((f) => f.event === "executor.replaced" && f.why === "memory").length).toBe(1);
    }, 60_000);

    test("zeroing every shared table through /proc/self/mem, then spinning 3 s past a 500 ms deadline, ends TimeoutError", async () => {
      const { pool, outcomeOf } = start({ isolation, memoryLimitBytes: 512 * MB });
      // Finds every writable shared file mapping (whatever table the host shares) and zeroes it.
      const attack = `async (spinMs) => {
        const fs = await import("node:fs");
        const mem = fs.openSync("/proc/self/mem", "r+");
        let zeroed = 0;
        for (const line of fs.readFileSync("/proc/self/maps", "utf8").split("\\n")) {
          const m = /^([0-9a-f]+)-([0-9a-f]+) (\\S+) \\S+ \\S+ \\S+\\s*(.*)$/.exec(line);
          if (!m || m[3][1] !== "w" || m[3][3] !== "s" || !m[4].startsWith("/")) continue;
          const from = parseInt(m[1], 16), to = parseInt(m[2], 16);
          zeroed += fs.writeSync(mem, Buffer.alloc(to - from), 0, to - from, from);
        }
        const end = Date.now() + spinMs;
        while (Date.now() < end) {}
        return zeroed;
      }`;
      const probe = job(attack, "[0]");
      pool.run([probe]);
      const p = await outcomeOf(probe);
      expect(p.kind).toBe("returned");
      expect(Number((p as { value: string }).value)).toBeGreaterThan(0); // the attack does reach the shared table
      const cheat = job(attack, "[3000]", 500);
      pool.run([cheat]);
      expect(await outcomeOf(cheat)).toMatchObject({ kind: "timeout", timeoutMs: 500 });
    }, 60_000);
  });
}
