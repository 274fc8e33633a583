/** What every entry file does at its edges: read its config or exit 2, stop cleanly on signals. */
import type { Logger } from "../domain/ports.ts";
import { checkArgv, usage, wantsHelp, type FlagSpec } from "./flags.ts";
import { missingRuntimeEnv, RUNTIME_ENV } from "./runtime-env.ts";

/**
 * Reads a command's config from argv: `--help`/`-h` prints the usage and exits 0; an unknown flag or a
 * bad value prints one line naming it and exits 2.
 */
export function configOrExit<T>(command: string, summary: string, specs: readonly FlagSpec[], argv: readonly string[], parse: () => T): T {
  if (wantsHelp(argv)) {
    process.stdout.write(usage(command, summary, specs));
    process.exit(0);
  }
  try {
    checkArgv(argv, specs, command);
    return parse();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
}

/** Runs `start`; if it fails (a port taken, ...), logs why and exits with code 1. */
export async function startOrExit<T>(logger: Logger, what: string, start: () => T | Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (e) {
    logger.log("error", `${what} could not start`, { event: "start.failed", error: (e as Error).message });
    process.exit(1);
  }
}

/**
 * On the first SIGINT or SIGTERM: logs, awaits the graceful `stop`, and exits 0. A second signal exits
 * at once (code 1).
 */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) {
        logger.log("warn", "second signal: exiting now", { event: "stopping.forced", signal });
        process.exit(1);
      }
      stopping = true;
      logger.log("info", "stopping", { event: "stopping", signal });
      void stop().then(
        () => {
          logger.log("info", "stopped", { event: "stopped" });
          process.exit(0);
        },
        (e: unknown) => {
          logger.log("error", "stopping failed", { event: "stopping.failed", error: String(e) });
          process.exit(1);
        },
      );
    });
  }
}

/**
 * Says (info) which runtime settings (runtime-env.ts) this process started without, as when run as
 * `bun src/app/api.ts` instead of `bun run api`; nothing when it has them all.
 */
export function noteRuntimeEnv(logger: Logger, command: string, env: Readonly<Record<string, string | undefined>>): void {
  const missing = missingRuntimeEnv(env);
  if (missing.length === 0) return;
  const wanted = missing.map((k) => `${k}=${RUNTIME_ENV[k]}`).join(" ");
  logger.log("info", `started without ${wanted} (${command} sets it): Bun then gives freed memory back to the operating system after garbage collections and faults it in again, which costs CPU per task where page faults are slow (README: "Bun's allocator")`, { event: "runtime.env_missing", missing });
}
