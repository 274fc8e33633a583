/**
 * Temporary directories that are removed again: every one made here is deleted by `removeTempDirs()`
 * (tests call it in afterAll through the process helpers) and, as a last resort, when the process exits.
 *
 * @example
 * const dir = tempDir("redis"); // /tmp/bunfaas-redis-XXXXXX
 * removeTempDir(dir);
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made = new Set<string>();
let hooked = false;

/** A fresh directory under the system temp dir, named bunfaas-<name>-XXXXXX. */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `bunfaas-${name}-`));
  made.add(dir);
  if (!hooked) {
    hooked = true;
    process.on("exit", removeTempDirs);
  }
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  made.delete(dir);
}

/** Removes every directory made by tempDir that is still there. */
export function removeTempDirs(): void {
  for (const dir of [...made]) removeTempDir(dir);
}
