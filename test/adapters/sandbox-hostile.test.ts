/**
 * Hostile functions against sandbox executors: none reaches the host's secrets, files, network or
 * processes; those that kill, abort, fork or allocate end FAILED and take nothing else down; the pool
 * serves ordinary jobs after all of them. The functions check the sandbox first where a broken one
 * could hurt the test machine, and refuse to act if they do not find themselves inside it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutorPool } from "../../src/adapters/executors/index.ts";
import type { Outcome } from "../../src/domain/outcome.ts";
import type { Job } from "../../src/domain/ports.ts";
import { job } from "../contracts/executor.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

const MB = 1024 * 1024;
const CANARY = `canary-${crypto.randomUUID()}`;
/** Returns "refused" unless it runs in a pid namespace of its own: its pid is small and /proc shows few processes. */
const IN_OWN_PID_NAMESPACE = "const pids = (await import('node:fs')).readdirSync('/proc').filter((x) => /^\\d+$/.test(x)); if (process.pid > 10 || pids.length > 10) return 'refused: pid ' + process.pid + ', ' + pids.length + ' processes';";

let pool: ExecutorPool;
const outcomes: Outcome[] = [];
const outcomeOf = (j: Job) => waitFor(() => outcomes.find((o) => o.taskId === j.taskId), `outcome of ${j.taskId}`, 30_000);
async function run(code: string, args = "[]", timeoutMs = 10_000): Promise<Outcome> {
  const j = job(code, args, timeoutMs, "mallory");
  pool.run([j]);
  return outcomeOf(j);
}
async function value(code: string, args = "[]"): Promise<unknown> {
  const o = await run(code, args);
  if (o.kind !== "returned") throw new Error(`expected a value, got ${JSON.stringify(o)}`);
  return JSON.parse(o.value);
}

let hostDir: string;
let server: ReturnType<typeof Bun.serve>;
let requests = 0;
beforeAll(() => {
  process.env.BUNFAAS_TEST_CANARY = CANARY;
  // Outside /tmp too: the sandbox has a /tmp of its own, which would hide a file there anyway.
  hostDir = mkdtempSync(join(process.cwd(), ".sandbox-test-"));
  writeFileSync(join(hostDir, "secret.txt"), CANARY);
  writeFileSync(join(tmpdir(), `${CANARY}.txt`), CANARY);
  server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => (requests++, new Response(CANARY)) });
  pool = new ExecutorPool({ executors: 2, isolation: "sandbox", logger: { log: () => {} }, memoryLimitBytes: 256 * MB });
  pool.onOutcomes((os) => outcomes.push(...os));
});
afterAll(async () => {
  try {
    await pool.close();
    server.stop(true);
  } finally {
    // also when the pool could not close (no bubblewrap): the canary files must not stay in the checkout
    rmSync(hostDir, { recursive: true, force: true });
    rmSync(join(tmpdir(), `${CANARY}.txt`), { force: true });
    delete process.env.BUNFAAS_TEST_CANARY;
  }
});

describe("sandbox executors against hostile functions", () => {
  test("every /proc/*/environ it can read holds none of the host's variables", async () => {
    const seen = (await value(`async () => {
      const fs = await import("node:fs");
      let text = JSON.stringify(process.env);
      for (const p of fs.readdirSync("/proc").filter((x) => /^\\d+$/.test(x)).concat(["self", "thread-self", "1"])) {
        try { text += fs.readFileSync("/proc/" + p + "/environ", "latin1"); } catch {}
      }
      return text;
    }`)) as string;
    expect(seen).not.toContain(CANARY);
    expect(seen).not.toContain("PATH=");
    expect(seen).not.toContain("HOME=");
  });

  test("host files cannot be read by absolute path, not even through /proc/<pid>/root", async () => {
    const paths = [join(hostDir, "secret.txt"), join(tmpdir(), `${CANARY}.txt`), join(process.cwd(), "package.json"), "/etc/passwd", "/proc/1/root/etc/passwd", `/proc/1/root${hostDir}/secret.txt`];
    const read = (await value(`async (paths) => {
      const fs = await import("node:fs");
      return paths.map((p) => { try { return "READ " + fs.readFileSync(p, "utf8").slice(0, 40); } catch (e) { return e.code; } });
    }`, JSON.stringify([paths]))) as string[];
    for (const r of read) expect(r).not.toStartWith("READ");
  });

  test("nothing outside /tmp can be written; /tmp can, up to its size cap", async () => {
    const wrote = (await value(`async () => {
      const fs = await import("node:fs");
      const out = {};
      for (const p of ["/x", "/bunfaas/x", "/bunfaas/executor.js", "/dev/x", "/dev/shm/x", "/lib/x", "/proc/x", "/tmp/ok"]) {
        try { fs.writeFileSync(p, "1"); out[p] = "wrote"; } catch (e) { out[p] = e.code; }
      }
      try { fs.writeFileSync("/tmp/big", Buffer.alloc(32 * 1024 * 1024)); out.big = "wrote"; } catch (e) { out.big = e.code; }
      return out;
    }`)) as Record<string, string>;
    const { "/tmp/ok": ok, big, ...outside } = wrote;
    expect(ok).toBe("wrote");
    expect(big).not.toBe("wrote");
    for (const [p, r] of Object.entries(outside)) expect([p, r]).not.toEqual([p, "wrote"]);
  });

  test("no network: fetch to a local HTTP server and a raw TCP connect both fail", async () => {
    const port = server.port;
    const tried = (await value(`async (port) => {
      const out = {};
      try { out.fetch = "got " + (await (await fetch("http://127.0.0.1:" + port + "/")).text()); } catch (e) { out.fetch = String(e); }
      try {
        await new Promise((resolve, reject) => Bun.connect({ hostname: "127.0.0.1", port, socket: { open: (s) => { s.end(); resolve(); }, data() {}, error: (_s, e) => reject(e), connectError: (_s, e) => reject(e) } }).catch(reject));
        out.connect = "connected";
      } catch (e) { out.connect = String(e); }
      return out;
    }`, `[${port}]`)) as { fetch: string; connect: string };
    expect(tried.fetch).not.toContain(CANARY);
    expect(tried.fetch).not.toStartWith("got");
    expect(tried.connect).not.toBe("connected");
    expect(requests).toBe(0);
  });

  test("killing its parent, pid 1 and every pid it can see kills only its own executor (lost)", async () => {
    const o = await run(`async () => {
      ${IN_OWN_PID_NAMESPACE}
      for (const target of [process.ppid, 1]) { try { process.kill(target, "SIGKILL"); } catch {} }
      const fs = await import("node:fs");
      for (const p of fs.readdirSync("/proc").filter((x) => /^\\d+$/.test(x)).map(Number).sort((a, b) => b - a)) {
        if (p !== process.pid) { try { process.kill(p, "SIGKILL"); } catch {} }
      }
      process.kill(process.pid, "SIGKILL");
    }`);
    expect(o.kind).toBe("lost");
    expect(process.kill(process.pid, 0)).toBe(true);
  });

  test("process.abort() is a lost executor, nothing more", async () => {
    expect((await run("() => process.abort()")).kind).toBe("lost");
  });

  test("a fork bomb stays bounded and ends FAILED", async () => {
    const j = job(`async () => {
      ${IN_OWN_PID_NAMESPACE}
      const fs = await import("node:fs");
      const spawnAll = "for (;;) { try { Bun.spawn([process.execPath, '/tmp/bomb.js'], { stdio: ['ignore', 'ignore', 'ignore'] }); } catch {} }";
      fs.writeFileSync("/tmp/bomb.js", spawnAll);
      new Function(spawnAll)();
    }`, "[]", 5_000, "mallory");
    pool.run([j]);
    let most = 0;
    const o = await waitFor(() => {
      most = Math.max(most, pool.pids().length);
      return outcomes.find((x) => x.taskId === j.taskId);
    }, "the bomb's outcome", 30_000);
    expect(["timeout", "resource-limit", "lost"]).toContain(o.kind);
    expect(most).toBeLessThan(300);
  }, 60_000);

  test("a memory bomb in a child process ends FAILED ResourceLimit", async () => {
    const o = await run("async () => { const p = Bun.spawn([process.execPath, '-e', 'const keep = []; while (keep.length < 75) keep.push(new Array(1e6).fill(1.5)); setInterval(() => keep.length, 1000)']); await p.exited; return 'survived' }", "[]", 60_000);
    expect(o.kind).toBe("resource-limit");
  }, 60_000);

  test("after all of them, the pool serves ordinary jobs, and its executors hold only their own processes", async () => {
    expect(await value("(a, b) => a * b", "[6, 7]")).toBe(42);
    expect(await value("(xs) => xs.map((x) => x + 1)", "[[1, 2, 3]]")).toEqual([2, 3, 4]);
    await waitFor(() => pool.pids().length <= 2 * 4, "only executors' own processes left");
  });
});
