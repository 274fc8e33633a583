/**
 * Our own processes for e2e tests and benchmarks: `bun src/app/<entry>.ts` with its JSON logs in a
 * file (printed by `dumpLogs` when a test fails), one registry so `killAll()` stops every process a
 * file started, even after a failure, and one way to know a server is up: it listens on port 0 and
 * logs its URL in an event line (`"event":"api.listening"`, `"embedded.listening"`).
 *
 * @example
 * const api = await spawnServer("api", ["--redis-url", redis.url]);
 * await fetch(`${api.url}/healthz`);
 * await killAll();
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { withRuntimeEnv } from "../../src/app/runtime-env.ts";
import { removeTempDirs, tempDir } from "./temp-dirs.ts";
import { waitFor } from "./wait-for.ts";

const ROOT = join(import.meta.dir, "..", "..");
const running = new Set<Subprocess>();
const logs: string[] = [];

export interface Managed {
  readonly proc: Subprocess;
  readonly log: string;
  /** Sends `signal` and waits for the exit code. */
  kill(signal?: NodeJS.Signals | number): Promise<number | null>;
}

/**
 * Spawns `argv` with stderr (where the JSON logs go) in a log file and stdout in another; registered
 * for `killAll`. With `pipes`, its stdin and stdout are pipes instead (`proc.stdin` takes what to send
 * it, `proc.stdout` is a stream).
 */
export function spawnManaged(argv: string[], env: Record<string, string> = {}, name = "proc", o: { readonly pipes?: boolean } = {}): Managed {
  const dir = tempDir(`log-${name}`);
  const log = join(dir, `${name}.log`);
  const proc = Bun.spawn(argv, { cwd: ROOT, env: { ...process.env, ...env }, stdout: o.pipes === true ? "pipe" : Bun.file(join(dir, `${name}.stdout`)), stderr: Bun.file(log), stdin: o.pipes === true ? "pipe" : "ignore" });
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

/**
 * `bun src/app/<entry>.ts args...` as a managed process, under the runtime settings `bun run <entry>`
 * gives it (src/app/runtime-env.ts) unless this process's environment or `env` sets them.
 */
export function spawnEntry(entry: "start" | "api" | "dispatcher" | "worker", args: string[] = [], env: Record<string, string> = {}, name: string = entry): Managed {
  return spawnManaged([process.execPath, `src/app/${entry}.ts`, ...args], withRuntimeEnv({ ...process.env, LOG_LEVEL: "info", ...env }), name);
}

export interface ServerProcess extends Managed {
  readonly url: string;
}

/** Starts the embedded server or the API on port 0 and resolves with its URL once it logged that it listens. */
export async function spawnServer(entry: "start" | "api", args: string[] = [], env: Record<string, string> = {}): Promise<ServerProcess> {
  const m = spawnEntry(entry, ["--port", "0", ...args], env);
  const url = await waitFor(
    () => {
      if (m.proc.exitCode !== null) throw new Error(`${entry} exited with ${m.proc.exitCode}: ${readLog(m.log)}`);
      return eventField(readLog(m.log), entry === "start" ? "embedded.listening" : "api.listening", "url");
    },
    `${entry} to log that it listens`,
    20_000,
    20,
  );
  return { ...m, url };
}

/** The value of `field` in the first log line whose event is `event`, if any. */
export function eventField(log: string, event: string, field: string): string | undefined {
  for (const line of log.split("\n")) {
    if (!line.includes(`"${event}"`)) continue;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      if (o.event === event && o[field] !== undefined) return String(o[field]);
    } catch {
      // a partial line still being written
    }
  }
  return undefined;
}

/** The distinct values of `field` in the log lines of `path` that carry `event` (e.g. which workers registered). */
export function eventValues(path: string, event: string, field: string): Set<string> {
  const out = new Set<string>();
  for (const line of readLog(path).split("\n")) {
    if (!line.includes(`"${event}"`)) continue;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      if (o.event === event && o[field] !== undefined) out.add(String(o[field]));
    } catch {
      // a partial line
    }
  }
  return out;
}

/** How many log lines of `path` carry `event`. */
export function countEvents(path: string, event: string): number {
  let n = 0;
  for (const line of readLog(path).split("\n")) {
    if (!line.includes(`"${event}"`)) continue;
    try {
      if ((JSON.parse(line) as { event?: string }).event === event) n++;
    } catch {
      // a partial line
    }
  }
  return n;
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

/** SIGKILLs every process still running and removes their log folders; for afterAll. */
export async function killAll(): Promise<void> {
  const procs = [...running];
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  removeTempDirs();
  logs.length = 0;
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
