/**
 * Hostile functions through the REST API, against `--isolation sandbox`: in the embedded server (a real
 * process with API keys for two tenants) and on a push worker (a real process) behind a Redis API. Each
 * attack is a test that fails without its defence. Functions that could hurt the test machine check
 * first that they run in a pid namespace of their own, and refuse to act otherwise.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { call } from "../../scripts/lib/http.ts";
import { killAll, spawnEntry, spawnServer } from "../../scripts/lib/processes.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { useRedisStack } from "../helpers/redis-stack.ts";
import { startApiHere, startDispatcherHere } from "../helpers/roots.ts";

const CANARY = `canary-${crypto.randomUUID()}`;
const ALICE = `alice-${CANARY}`; // the keys are secrets too: they must not be readable either
const BOB = `bob-key-${crypto.randomUUID()}`;
const MALLORY = `mallory-key-${crypto.randomUUID()}`;
const KEYS = `alice:${ALICE},bob:${BOB},mallory:${MALLORY}`;
const IN_OWN_PID_NAMESPACE = "const pids = (await import('node:fs')).readdirSync('/proc').filter((x) => /^\\\\d+$/.test(x)); if (process.pid > 10 || pids.length > 10) return 'refused: pid ' + process.pid + ', ' + pids.length + ' processes';";

/** Host processes whose command line carries `marker` (sandboxed processes are visible from the host). */
function withMarker(marker: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      if (readFileSync(`/proc/${p}/cmdline`, "latin1").includes(marker)) out.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

interface Target {
  url: string;
  /** Ports a function must not reach: the API, and Redis where there is one. */
  ports: number[];
}

function describeHostile(name: string, start: () => Promise<Target>): void {
  describe(`hostile functions, ${name}`, () => {
    let t: Target;
    let hostDir: string;
    const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
    async function run(key: string, source: string, args: unknown[] = [], extra: Record<string, unknown> = {}): Promise<{ status: string; value: any; error: any }> {
      const reg = await call(`${t.url}/register_function`, { name: "h", payload: source, ...extra }, as(key));
      if (reg.status !== 201) throw new Error(`register: ${JSON.stringify(reg.body)}`);
      const ex = await call(`${t.url}/execute_function`, { function_id: reg.body.function_id, payload: JSON.stringify(args) }, as(key));
      for (;;) {
        const r = await call(`${t.url}/result/${ex.body.task_id}?wait=20`, undefined, { ...as(key), signal: AbortSignal.timeout(30_000) });
        if (["COMPLETED", "FAILED", "CANCELLED"].includes(r.body.status)) {
          const parsed = r.body.result === null ? null : JSON.parse(r.body.result);
          return { status: r.body.status, value: r.body.status === "COMPLETED" ? parsed : undefined, error: r.body.status === "FAILED" ? parsed : undefined };
        }
      }
    }
    beforeAll(async () => {
      hostDir = mkdtempSync(join(process.cwd(), ".hostile-test-"));
      writeFileSync(join(hostDir, "secret.txt"), CANARY);
      t = await start();
    }, 30_000);
    afterAll(() => rmSync(hostDir, { recursive: true, force: true }));

    test("no /proc/*/environ it can read holds the host's secrets (API keys, the canary)", async () => {
      const r = await run(ALICE, `async () => { const fs = await import("node:fs"); let text = JSON.stringify(process.env); for (const p of fs.readdirSync("/proc").filter((x) => /^\\d+$/.test(x)).concat(["self", "1"])) { try { text += fs.readFileSync("/proc/" + p + "/environ", "latin1"); } catch {} } return text; }`);
      expect(r.status).toBe("COMPLETED");
      expect(r.value).not.toContain(CANARY);
      expect(r.value).not.toContain(BOB);
    });

    test("a host file cannot be read by absolute path, and nothing outside /tmp can be written", async () => {
      const r = await run(ALICE, `async (path) => { const fs = await import("node:fs"); const out = {}; try { out.read = fs.readFileSync(path, "utf8"); } catch (e) { out.read = e.code; } for (const p of ["/x", "/etc/x", "/tmp/ok"]) { try { fs.writeFileSync(p, "1"); out[p] = "wrote"; } catch (e) { out[p] = e.code; } } return out; }`, [join(hostDir, "secret.txt")]);
      expect(r.value.read).not.toBe(CANARY);
      expect([r.value["/x"], r.value["/etc/x"], r.value["/tmp/ok"]]).toEqual([expect.not.stringMatching(/^wrote$/), expect.not.stringMatching(/^wrote$/), "wrote"]);
    });

    test("no network: fetch to the API and a raw TCP connect to its ports both fail", async () => {
      const r = await run(ALICE, `async (url, ports) => { const out = { fetch: "", connects: [] }; try { out.fetch = "got " + (await fetch(url + "/healthz")).status; } catch (e) { out.fetch = String(e); } for (const port of ports) { try { await new Promise((res, rej) => Bun.connect({ hostname: "127.0.0.1", port, socket: { open: (s) => { s.end(); res(); }, data() {}, error: (_s, e) => rej(e), connectError: (_s, e) => rej(e) } }).catch(rej)); out.connects.push("connected " + port); } catch (e) { out.connects.push(String(e)); } } return out; }`, [t.url, t.ports]);
      expect(r.value.fetch).not.toStartWith("got");
      for (const c of r.value.connects) expect(c).not.toStartWith("connected");
    });

    test("killing its parent, pid 1 and every pid it can see, or process.abort(), ends only that task", async () => {
      const kill = await run(ALICE, `async () => { ${IN_OWN_PID_NAMESPACE} const fs = await import("node:fs"); for (const target of [process.ppid, 1]) { try { process.kill(target, "SIGKILL"); } catch {} } for (const p of fs.readdirSync("/proc").filter((x) => /^\\d+$/.test(x)).map(Number)) { if (p !== process.pid) { try { process.kill(p, "SIGKILL"); } catch {} } } process.kill(process.pid, "SIGKILL"); }`, [], { max_attempts: 1 });
      expect(kill.status).toBe("FAILED");
      expect(kill.error.name).toBe("WorkerFailure");
      const abort = await run(ALICE, "() => process.abort()", [], { max_attempts: 1 });
      expect([abort.status, abort.error.name]).toEqual(["FAILED", "WorkerFailure"]);
      expect((await call(`${t.url}/healthz`)).status).toBe(200);
    }, 30_000);

    test("a process spawned by a task dies with the task when it times out", async () => {
      const marker = `marker-${crypto.randomUUID()}`;
      const r = await run(ALICE, `async (marker) => { Bun.spawn([process.execPath, "-e", "/*" + marker + "*/ setInterval(() => {}, 1000)"], { stdio: ["ignore", "ignore", "ignore"] }); await new Promise(() => {}); }`, [marker], { timeout_ms: 1500 });
      expect([r.status, r.error.name]).toEqual(["FAILED", "TimeoutError"]);
      await waitFor(() => withMarker(marker).length === 0, "the spawned process to be gone", 10_000);
    }, 30_000);

    test("a fork bomb stays bounded and ends FAILED; a memory bomb in a child process ends FAILED ResourceLimit", async () => {
      const marker = `bomb-${crypto.randomUUID()}`;
      const bomb = run(ALICE, `async (marker) => { ${IN_OWN_PID_NAMESPACE} const code = "/*" + marker + "*/ for (;;) { try { Bun.spawn([process.execPath, '-e', process.argv[2] ?? ''], { stdio: ['ignore','ignore','ignore'] }); } catch {} }"; for (;;) { try { Bun.spawn([process.execPath, "-e", code], { stdio: ["ignore", "ignore", "ignore"] }); } catch {} await null; } }`, [marker], { timeout_ms: 3000, max_attempts: 1 });
      let most = 0;
      const outcome = await waitFor(async () => {
        most = Math.max(most, withMarker(marker).length);
        return await Promise.race([bomb, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
      }, "the bomb to end", 30_000);
      expect(outcome.status).toBe("FAILED");
      expect(most).toBeLessThan(300);
      await waitFor(() => withMarker(marker).length === 0, "the bomb's processes to be gone", 30_000); // hundreds of them: slow to reap on a loaded machine
      const hog = await run(ALICE, "async () => { const p = Bun.spawn([process.execPath, '-e', 'const keep = []; while (keep.length < 200) keep.push(new Array(1e6).fill(1.5)); setInterval(() => keep.length, 1000)']); await p.exited; return 'survived' }", [], { timeout_ms: 60_000, max_attempts: 1 });
      expect([hog.status, hog.error?.name]).toEqual(["FAILED", "ResourceLimit"]);
    }, 90_000);

    test("state planted and builtins patched by one tenant never reach another tenant's tasks", async () => {
      // (a tenant's own functions share its executors: the planting tenant spoils only its own later tasks)
      const plant = await run(MALLORY, `() => { globalThis.__planted = "mallory"; JSON.stringify = () => '"forged"'; JSON.parse = () => ["forged"]; Array.prototype.map = function () { return ["forged"]; }; return "planted"; }`);
      expect(plant.status).toBe("COMPLETED");
      const victims = await Promise.all([1, 2, 3, 4].map((i) => run(BOB, "(x) => ({ x, seen: typeof globalThis.__planted, doubled: [x].map((v) => v * 2) })", [i])));
      expect(victims.map((v) => v.value)).toEqual([1, 2, 3, 4].map((x) => ({ x, seen: "undefined", doubled: [x * 2] })));
    }, 30_000);

    test("tenant B cannot read, execute, cancel or list tenant A's functions and tasks", async () => {
      const reg = await call(`${t.url}/register_function`, { name: "alice-private", payload: "async () => { await new Promise((r) => setTimeout(r, 2000)); return 'secret' }" }, as(ALICE));
      const ex = await call(`${t.url}/execute_function`, { function_id: reg.body.function_id, payload: "[]" }, as(ALICE));
      const id = ex.body.task_id as string;
      expect((await call(`${t.url}/functions/${reg.body.function_id}`, undefined, as(BOB))).status).toBe(404);
      expect((await call(`${t.url}/execute_function`, { function_id: reg.body.function_id, payload: "[]" }, as(BOB))).status).toBe(404);
      expect((await call(`${t.url}/result/${id}`, undefined, as(BOB))).status).toBe(404);
      expect((await call(`${t.url}/tasks/${id}`, undefined, { ...as(BOB), method: "DELETE" })).status).toBe(404);
      expect((await call(`${t.url}/functions`, undefined, as(BOB))).body.functions.map((f: { name: string }) => f.name)).not.toContain("alice-private");
      expect((await call(`${t.url}/result/${id}?wait=20`, undefined, { ...as(ALICE), signal: AbortSignal.timeout(30_000) })).body.result).toBe('"secret"');
    }, 30_000);

    test("after all of them, ordinary tasks are served", async () => {
      expect((await run(BOB, "(a, b) => a * b", [6, 7])).value).toBe(42);
      expect((await run(ALICE, "(s) => s.length", ["four"])).value).toBe(4);
    });
  });
}

process.env.BUNFAAS_HOSTILE_CANARY = CANARY; // in this process's environment and its children's
afterAll(() => killAll());

describeHostile("embedded server, --isolation sandbox (the default with API keys)", async () => {
  const server = await spawnServer("start", ["--workers", "2", "--max-memory-mb", "256"], { FAAS_API_KEYS: KEYS });
  return { url: server.url, ports: [Number(new URL(server.url).port)] };
});

const stack = useRedisStack("e2e-hostile");
describeHostile("a push worker, --isolation sandbox (the default for workers), behind a Redis API", async () => {
  const target = { ...stack.target, prefix: "e2e-hostile-push" };
  const api = await startApiHere(target, ["--api-keys", KEYS]);
  const d = await startDispatcherHere(target, ["--mode", "push"]);
  spawnEntry("worker", ["--mode", "push", "--url", d.endpoint as string, "--procs", "2", "--max-memory-mb", "256"], {}, "hostile-worker");
  await waitFor(() => d.log.count("worker.registered") > 0, "the worker to register", 20_000);
  return { url: api.url, ports: [Number(new URL(api.url).port), Number(new URL(stack.target.url).port)] };
});
