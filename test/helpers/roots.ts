/**
 * The composition roots started in the test process (no child processes): the API, dispatchers and
 * workers on a private Redis, with their logs kept in memory so a test can wait on an event
 * (`logs.count("worker.registered")`). Real processes (scripts/lib/processes.ts) are only for what
 * needs one: kill -9, restarts, signals, exit codes.
 *
 * @example
 * const api = await startApiHere(target);
 * const d = await startDispatcherHere(target, ["--mode", "push", "--port", "0"]);
 * startWorkerHere(["--mode", "push", "--url", d.endpoint!]);
 * await stopAllHere();
 */
import { uuidGen } from "../../src/adapters/system/index.ts";
import { embeddedConfig, type EmbeddedConfig } from "../../src/app/config.ts";
import { apiConfig, dispatcherConfig } from "../../src/app/redis-config.ts";
import { startApi, type ApiHandle } from "../../src/app/roots/api.ts";
import { startDispatcher, type DispatcherHandle } from "../../src/app/roots/dispatcher.ts";
import { startEmbedded, type Embedded } from "../../src/app/roots/embedded.ts";
import { startWorker, type WorkerHandle } from "../../src/app/roots/worker.ts";
import { workerConfig } from "../../src/app/worker-config.ts";
import type { Logger } from "../../src/domain/ports.ts";

export interface RedisTarget {
  readonly url: string;
  readonly prefix: string;
  /** More settings, as variables: REDIS_SENTINELS, REDIS_CLUSTER, FAAS_SHARDS, passwords' _FILEs... */
  readonly env?: Record<string, string>;
}

export interface LogEntry {
  readonly level: string;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

/** A Logger that keeps every entry; `count(event)` says how many carried that event. */
export class MemoryLog implements Logger {
  readonly entries: LogEntry[] = [];

  log(level: "debug" | "info" | "warn" | "error", msg: string, fields: Record<string, unknown> = {}): void {
    this.entries.push({ level, msg, fields });
    if (level === "error" && process.env.TEST_LOGS === "1") process.stderr.write(`${JSON.stringify({ level, msg, ...fields })}\n`);
  }

  count(event: string, where: (fields: Record<string, unknown>) => boolean = () => true): number {
    return this.entries.filter((e) => e.fields.event === event && where(e.fields)).length;
  }

  /** The distinct values of `field` over the entries carrying `event` (e.g. which workers registered). */
  distinct(event: string, field: string): Set<unknown> {
    return new Set(this.entries.filter((e) => e.fields.event === event).map((e) => e.fields[field]));
  }
}

const running: { stop(): Promise<void> }[] = [];

function env(target: RedisTarget): Record<string, string> {
  return { ...(target.url !== "" && { REDIS_URL: target.url }), FAAS_PREFIX: target.prefix, ...target.env };
}

/** The Redis-backed API on port 0. */
export async function startApiHere(target: RedisTarget, args: string[] = [], log = new MemoryLog()): Promise<ApiHandle & { log: MemoryLog }> {
  const api = await startApi({ ...apiConfig(args, env(target)), port: 0 }, { logger: log });
  running.push(api);
  return { ...api, log };
}

/** A dispatcher (`--mode local` unless args say otherwise; pull/push bind 127.0.0.1 port 0 unless told). */
export async function startDispatcherHere(target: RedisTarget, args: string[] = [], log = new MemoryLog()): Promise<DispatcherHandle & { log: MemoryLog }> {
  const c = dispatcherConfig([...args, "--workers", "2", "--port", "0", "--isolation", "thread"], env(target), () => uuidGen.next()); // the first --flag wins; tests run trusted code in threads unless they ask
  const d = await startDispatcher(c, { logger: log });
  running.push(d);
  return { ...d, log };
}

/** A pull or push worker. */
export function startWorkerHere(args: string[], log = new MemoryLog()): WorkerHandle & { log: MemoryLog } {
  const w = startWorker(workerConfig([...args, "--procs", "1", "--isolation", "thread"], {}, () => uuidGen.next()), { logger: log }); // the first --flag wins; threads unless asked
  running.push(w);
  return { ...w, log };
}

/** The embedded platform on port 0 with 2 executors; stop it in afterAll (or with stopAllHere). */
export function startEmbeddedHere(overrides: Partial<EmbeddedConfig> = {}, log = new MemoryLog()): Embedded & { log: MemoryLog } {
  const app = startEmbedded({ ...embeddedConfig([], {}), port: 0, workers: 2, logLevel: "error", ...overrides }, { logger: log });
  running.push(app);
  return Object.assign(app, { log });
}

/** Stops everything started here, newest first. */
export async function stopAllHere(): Promise<void> {
  for (const r of running.splice(0).reverse()) await r.stop().catch(() => undefined);
}
