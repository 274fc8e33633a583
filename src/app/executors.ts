/** The executor settings shared by the embedded mode, the local dispatcher and workers, and the pool they ask for. */
import { availableParallelism } from "node:os";
import { ExecutorPool, ISOLATIONS, probeSandbox, type Isolation } from "../adapters/executors/index.ts";
import type { Clock, Logger } from "../domain/ports.ts";
import { parseBytes, parseDuration } from "./config.ts";
import { runtimeEnvOf } from "./runtime-env.ts";

export { probeSandbox };

export interface ExecutorSettings {
  /** Most executors alive at once, over all tenants. */
  readonly workers: number;
  /** Bun Worker threads (fast, trusted code), child processes under a memory cap, or bubblewrap sandboxes (untrusted code). */
  readonly isolation: Isolation;
  readonly maxMemoryMb: number;
  /** Sandboxes keep the host's network (--sandbox-network on). */
  readonly sandboxNetwork: boolean;
  /** Results (or errors) whose JSON text is longer end FAILED ResultTooLarge. */
  readonly maxResultBytes: number;
  /** An executor without jobs this long is stopped. */
  readonly executorIdleMs: number;
  /** Whether --isolation (or ISOLATION) was given, rather than the default for the situation. */
  readonly isolationExplicit: boolean;
}

const SWITCH: Record<string, boolean> = { on: true, true: true, yes: true, "1": true, off: false, false: false, no: false, "0": false };

/**
 * Reads --workers, --isolation, --max-memory-mb, --sandbox-network, --max-result-bytes and
 * --executor-idle through `get(flag, ENV)`.
 *
 * @example
 * executorSettings(reader(["--isolation", "sandbox", "--max-result-bytes", "1mb"], {}), parseInteger)
 * // { workers: 2, isolation: "sandbox", maxMemoryMb: 512, sandboxNetwork: false, maxResultBytes: 1048576, executorIdleMs: 30000 }
 */
export function executorSettings(
  get: (name: string, envName: string) => string | undefined,
  parseInteger: (text: string, what: string, min: number, max: number) => number,
  defaultIsolation: Isolation = "thread",
): ExecutorSettings {
  const given = get("isolation", "ISOLATION");
  const isolation = given ?? defaultIsolation;
  if (!(ISOLATIONS as readonly string[]).includes(isolation)) throw new Error(`--isolation must be one of ${ISOLATIONS.join(", ")}, got "${isolation}"`);
  const network = get("sandbox-network", "SANDBOX_NETWORK") ?? "off";
  const sandboxNetwork = SWITCH[network.toLowerCase()];
  if (sandboxNetwork === undefined) throw new Error(`--sandbox-network must be on or off, got "${network}"`);
  if (sandboxNetwork && isolation !== "sandbox") throw new Error(`--sandbox-network on applies to --isolation sandbox only, got --isolation ${isolation}`);
  const maxResultBytes = parseBytes(get("max-result-bytes", "MAX_RESULT_BYTES") ?? "16mb", "--max-result-bytes");
  if (maxResultBytes < 1024 || maxResultBytes > 1024 * 1024 * 1024) throw new Error(`--max-result-bytes must be from 1kb to 1024mb, got ${maxResultBytes} bytes`);
  const executorIdleMs = parseDuration(get("executor-idle", "EXECUTOR_IDLE") ?? "30s", "--executor-idle");
  if (executorIdleMs < 100) throw new Error(`--executor-idle must be at least 100ms, got ${executorIdleMs} ms`);
  return {
    workers: parseInteger(get("workers", "WORKERS") ?? String(availableParallelism()), "--workers", 1, 256),
    isolation: isolation as Isolation,
    maxMemoryMb: parseInteger(get("max-memory-mb", "MAX_MEMORY_MB") ?? "512", "--max-memory-mb", 64, 1_000_000),
    sandboxNetwork,
    maxResultBytes,
    executorIdleMs,
    isolationExplicit: given !== undefined,
  };
}

/**
 * The start-up rules of isolation (secure by default): where the sandbox was chosen, it must be
 * possible, or the process refuses to start saying what is missing (and, when it was only the default,
 * how to choose another mode knowingly). Where threads or processes run code while the process holds
 * secrets (API keys, a Redis password), it says so at start.
 *
 * @example
 * checkIsolation(settings, { secrets: apiKeys.length > 0, why: "API keys are set" }, logger); // throws or logs
 */
export function checkIsolation(c: ExecutorSettings, o: { readonly secrets: boolean; readonly why: string }, logger: Logger): void {
  if (c.isolation === "sandbox") {
    const probe = probeSandbox();
    if (probe.ok) return;
    const override = c.isolationExplicit ? "" : ` Sandboxes are the default here (${o.why}); to run without one, pass --isolation process (or thread), knowing that functions can then read this process's files, network and secrets.`;
    throw new Error(`--isolation sandbox cannot be used on this machine: ${probe.reason}.${override}`);
  }
  if (o.secrets) {
    logger.log("warn", `functions run with --isolation ${c.isolation} can read this process's secrets (API keys, Redis password), files and network; use --isolation sandbox for code you do not trust`, { event: "isolation.unsafe", isolation: c.isolation });
  }
}

/**
 * The executor pool the settings ask for. Throws for --isolation sandbox where sandboxes cannot be
 * made, saying what is missing (call `probeSandbox()` first to decide before that).
 *
 * @example
 * const pool = executorPool(executorSettings(reader(argv, process.env), parseInteger), logger);
 */
export function executorPool(c: ExecutorSettings, logger: Logger, clock?: Clock): ExecutorPool {
  return new ExecutorPool({
    ...(clock !== undefined && { clock }),
    executors: c.workers,
    isolation: c.isolation,
    logger,
    memoryLimitBytes: c.isolation === "thread" ? undefined : c.maxMemoryMb * 1024 * 1024,
    sandboxNetwork: c.sandboxNetwork,
    childEnv: runtimeEnvOf(process.env),
    maxResultBytes: c.maxResultBytes,
    idleMs: c.executorIdleMs,
  });
}
