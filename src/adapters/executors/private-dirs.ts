/**
 * Private temporary directories of an executor pool (its bundled entry, its ticket files), named
 * `bunfaas-<what>-<server pid>-XXXXXX`. A server killed by kill -9 cannot remove its own: the next one
 * to make a directory of the same kind removes those whose server is gone.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

/**
 * Makes a new private directory under `base` (mode 0700), first removing stale ones of `what`.
 *
 * @example
 * makePrivateDir("/dev/shm", "tickets") // "/dev/shm/bunfaas-tickets-4711-a1B2c3"
 */
export function makePrivateDir(base: string, what: string): string {
  const pattern = new RegExp(`^bunfaas-${what}-(\\d+)-`);
  for (const name of readdirSync(base)) {
    const m = pattern.exec(name);
    if (m === null || existsSync(`/proc/${m[1]}`)) continue;
    try {
      rmSync(join(base, name), { recursive: true, force: true });
    } catch {
      // another user's, or going away anyway
    }
  }
  return mkdtempSync(join(base, `bunfaas-${what}-${process.pid}-`));
}
