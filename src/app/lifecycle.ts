/** What every entry file does at its edges: read its config or exit 2, stop cleanly on signals. */
import type { Logger } from "../domain/ports.ts";

/** Runs `parse`; on a bad flag prints the message and exits with code 2. */
export function configOrExit<T>(parse: () => T): T {
  try {
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

/** On the first SIGINT or SIGTERM, logs, awaits `stop`, and exits 0. */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.log("info", "stopping", { event: "stopping", signal });
      void stop().then(() => process.exit(0));
    });
  }
}
