/** The executor settings shared by the embedded mode and the local dispatcher, and the pool they ask for. */
import { availableParallelism } from "node:os";
import { ProcessPool, ThreadPool, type ExecutorPool } from "../adapters/executors/index.ts";
import type { Logger } from "../domain/ports.ts";

export interface ExecutorSettings {
  readonly workers: number;
  /** Executors as Bun Worker threads (fast) or child processes under a memory cap (safe). */
  readonly isolation: "thread" | "process";
  readonly maxMemoryMb: number;
}

/** Reads --workers, --isolation and --max-memory-mb through `get(flag, ENV)`. */
export function executorSettings(
  get: (name: string, envName: string) => string | undefined,
  parseInteger: (text: string, what: string, min: number, max: number) => number,
): ExecutorSettings {
  const isolation = get("isolation", "ISOLATION") ?? "thread";
  if (isolation !== "thread" && isolation !== "process") throw new Error(`--isolation must be thread or process, got "${isolation}"`);
  return {
    workers: parseInteger(get("workers", "WORKERS") ?? String(availableParallelism()), "--workers", 1, 256),
    isolation,
    maxMemoryMb: parseInteger(get("max-memory-mb", "MAX_MEMORY_MB") ?? "512", "--max-memory-mb", 64, 1_000_000),
  };
}

/** The executor pool the settings ask for: threads, or child processes under a memory cap. */
export function executorPool(c: ExecutorSettings, logger: Logger): ExecutorPool {
  if (c.isolation === "process") return new ProcessPool({ executors: c.workers, logger, memoryLimitBytes: c.maxMemoryMb * 1024 * 1024 });
  return new ThreadPool({ executors: c.workers, logger });
}
