/**
 * Private temporary directories of an executor pool (its bundled entry, its ticket files), named
 * `bunfaas-<what>-<server pid>-XXXXXX`, in /dev/shm where it can be written, else in the temp dir. A
 * server killed by kill -9 cannot remove its own: the next one to make a directory of the same kind
 * removes those whose server is gone. A sandbox started by a root server runs as another uid, which
 * must be able to pass through every folder above them (see firstUnsearchable).
 */
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

/**
 * Where an executor pool's private directories go: /dev/shm (memory, and searchable by every user)
 * where it can be written, else the temp dir (TMPDIR).
 *
 * @example
 * executorTempBase(); // "/dev/shm"
 */
export function executorTempBase(): string {
  try {
    accessSync("/dev/shm", constants.W_OK); // fails on a read-only mount too
    return "/dev/shm";
  } catch {
    return tmpdir(); // no /dev/shm
  }
}

/**
 * The first folder above `path` (nearest the root) that other users cannot pass through (no o+x), or
 * undefined when they can reach it: a sandbox's uid must, to bind its entry and ticket files.
 *
 * @example
 * firstUnsearchable("/tmp/private-0700/bunfaas-entry-1-x/executor.js"); // "/tmp/private-0700"
 */
export function firstUnsearchable(path: string): string | undefined {
  const chain: string[] = [];
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    chain.unshift(dir);
    if (dir === dirname(dir)) break;
  }
  return chain.find((dir) => (statSync(dir).mode & 0o001) === 0);
}

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
