/**
 * Real processes for e2e tests: free ports, `bun src/app/api.ts`, `bun src/app/dispatcher.ts` and `bun src/app/worker.ts`
 * with their output in log files (printed by `dumpLogs` when a test fails), and one registry so
 * `killAll()` in afterAll stops every process a test file started, even after a failure.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { waitFor } from "./wait-for.ts";

const ROOT = join(import.meta.dir, "..", "..");
const running = new Set<Subprocess>();
const logs: string[] = [];

/** A TCP port nobody listens on right now (bind port 0, read it, close). */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/** A fresh temporary directory. */
export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `bunfaas-${name}-`));
}

export interface Managed {
  readonly proc: Subprocess;
  readonly log: string;
  /** Sends `signal` and waits for the exit code. */
  kill(signal?: NodeJS.Signals | number): Promise<number | null>;
}

/** Spawns `argv` with stderr (where the JSON logs go) in a log file; registered for `killAll`. */
export function spawnManaged(argv: string[], env: Record<string, string> = {}, name = "proc"): Managed {
  const dir = tempDir(`log-${name}`);
  const log = join(dir, `${name}.log`);
  const out = Bun.file(join(dir, `${name}.stdout`));
  const proc = Bun.spawn(argv, { cwd: ROOT, env: { ...process.env, ...env }, stdout: out, stderr: Bun.file(log), stdin: "ignore" });
  running.add(proc);
  logs.push(log);
  void proc.exited.then(() => running.delete(proc));
  return {
    proc,
    log,
    async kill(signal = "SIGTERM") {
      proc.kill(signal);
      await proc.exited;
      return proc.exitCode;
    },
  };
}

export interface ApiProcess extends Managed {
  readonly url: string;
}

export interface RedisTarget {
  readonly url: string;
  readonly prefix: string;
}

/** Starts the Redis-backed API on a free port and waits until /healthz answers 200. */
export async function startApi(redis: RedisTarget, args: string[] = []): Promise<ApiProcess> {
  for (let tries = 1; ; tries++) {
    const port = freePort();
    const m = spawnManaged([process.execPath, "src/app/api.ts", "--port", String(port), ...args], { REDIS_URL: redis.url, FAAS_PREFIX: redis.prefix, LOG_LEVEL: "info" }, "api");
    const url = `http://127.0.0.1:${port}`;
    const up = await waitFor(
      async () => (m.proc.exitCode !== null ? "exited" : (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200 && "up"),
      `the api on ${url} to answer /healthz`,
      15_000,
      25,
    );
    if (up === "up") return { ...m, url };
    // another process took the port between the probe and the bind: try another one
    if (tries >= 3 || !readLog(m.log).includes("EADDRINUSE")) throw new Error(`api exited with ${m.proc.exitCode}: ${readLog(m.log)}`);
  }
}

/** Starts a local-mode dispatcher (not awaited: tasks it completes show that it runs). */
export function startDispatcher(redis: RedisTarget, args: string[] = []): Managed {
  return spawnManaged([process.execPath, "src/app/dispatcher.ts", "--mode", "local", ...args], { REDIS_URL: redis.url, FAAS_PREFIX: redis.prefix, LOG_LEVEL: "info" }, "dispatcher");
}

/** Starts a pull- or push-mode dispatcher listening for workers on 127.0.0.1:`port` (not awaited). */
export function startRemoteDispatcher(redis: RedisTarget, mode: "pull" | "push", port: number, args: string[] = []): Managed {
  const argv = [process.execPath, "src/app/dispatcher.ts", "--mode", mode, "--host", "127.0.0.1", "--port", String(port), ...args];
  return spawnManaged(argv, { REDIS_URL: redis.url, FAAS_PREFIX: redis.prefix, LOG_LEVEL: "info" }, `dispatcher-${mode}`);
}

/** Starts `bun src/app/worker.ts` connecting to `url` (not awaited: the dispatcher's log shows it registered). */
export function startWorker(mode: "pull" | "push", url: string, args: string[] = []): Managed {
  return spawnManaged([process.execPath, "src/app/worker.ts", "--mode", mode, "--url", url, ...args], { LOG_LEVEL: "info" }, `worker-${mode}`);
}

export function readLog(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** Prints the tail of every log this file's processes wrote (call when a test failed). */
export function dumpLogs(lines = 30): void {
  for (const log of logs) {
    const tail = readLog(log).trimEnd().split("\n").slice(-lines).join("\n");
    process.stderr.write(`--- ${log}\n${tail}\n`);
  }
}

/** SIGKILLs every process still running; for afterAll. */
export async function killAll(): Promise<void> {
  const procs = [...running];
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
}

export interface Reply {
  readonly status: number;
  readonly body: any;
  readonly headers: Headers;
}

/** POSTs JSON (GET when `body` is undefined); never throws for an HTTP status, only for no answer in 10 s. */
export async function call(url: string, body?: unknown): Promise<Reply> {
  const init: RequestInit = body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: r.status, body: parsed, headers: r.headers };
}

/** Registers a function and returns its id (fails the test on anything but 201). */
export async function register(api: string, payload: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await call(`${api}/register_function`, { name: "f", payload, ...extra });
  if (r.status !== 201) throw new Error(`register: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.function_id as string;
}

/** Queues one task per payload (chunks of 1,000) and returns the ids. */
export async function submit(api: string, functionId: string, payloads: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < payloads.length; i += 1000) {
    const r = await call(`${api}/execute_batch`, { function_id: functionId, payloads: payloads.slice(i, i + 1000) });
    if (r.status !== 201) throw new Error(`execute_batch: ${r.status} ${JSON.stringify(r.body)}`);
    ids.push(...(r.body.task_ids as string[]));
  }
  return ids;
}

/** Waits (POST /wait long-polls) until every task is terminal; returns them by id. Throws on unknown ids or after `timeoutMs`. */
export async function awaitAll(api: string, ids: readonly string[], timeoutMs = 60_000): Promise<Map<string, { status: string; result: string | null }>> {
  const done = new Map<string, { status: string; result: string | null }>();
  const deadline = Date.now() + timeoutMs;
  let pending = [...ids];
  while (pending.length > 0) {
    if (Date.now() > deadline) throw new Error(`${pending.length} of ${ids.length} tasks not terminal after ${timeoutMs} ms`);
    const next: string[] = [];
    for (let i = 0; i < pending.length; i += 5000) {
      const r = await call(`${api}/wait`, { task_ids: pending.slice(i, i + 5000), timeout_s: 2 });
      if (r.status !== 200) {
        if (r.status === 503) {
          next.push(...pending.slice(i, i + 5000));
          continue;
        }
        throw new Error(`/wait: ${r.status} ${JSON.stringify(r.body)}`);
      }
      if (r.body.unknown.length > 0) throw new Error(`unknown tasks: ${r.body.unknown.slice(0, 3).join(", ")}`);
      for (const t of r.body.results) done.set(t.task_id, t);
      next.push(...r.body.pending);
    }
    if (next.length === pending.length) await Bun.sleep(50); // Redis down (503): poll again shortly
    pending = next;
  }
  return done;
}

/** Runs `body`; when it throws, prints the processes' logs first. */
export async function withLogs(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    dumpLogs();
    throw e;
  }
}
