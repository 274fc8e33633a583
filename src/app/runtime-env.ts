/**
 * The environment our processes run Bun under unless the operator sets it: one setting of Bun's
 * allocator (mimalloc), read once when a process starts, so it has to be in the environment before
 * `bun` runs. The package.json scripts (`bun run start|api|dispatcher|worker`, `npm start`) put it
 * there as `VAR=${VAR:-default}`, the test and benchmark launchers (scripts/lib/processes.ts) through
 * `withRuntimeEnv`, and the executor pool passes it on to process and sandbox executors.
 *
 * MIMALLOC_PURGE_DELAY=-1: freed memory stays with the process for reuse instead of going back to the
 * operating system. Without it a busy server gave memory back and page-faulted it in again about once
 * per task (a purge delay of up to 10 s kept most of that: the purges seem to come with garbage
 * collections); on virtual machines where a page fault is slow (measured 2026-11-27: 20-35 us each)
 * that was a third of our CPU per task or more. The price is the process keeping its peak memory
 * (about 10-65 MB more per process in the evaluation's processes).
 *
 * @example
 * Bun.spawn(["bun", "src/app/api.ts"], { env: withRuntimeEnv(process.env) });
 */

/** Each variable and the value our processes get when the environment does not set it. */
export const RUNTIME_ENV: Readonly<Record<string, string>> = { MIMALLOC_PURGE_DELAY: "-1" };

/** `env` with every RUNTIME_ENV variable it lacks added at its default (what it sets wins). */
export function withRuntimeEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  for (const [k, v] of Object.entries(RUNTIME_ENV)) if (out[k] === undefined) out[k] = v;
  return out;
}

/** The RUNTIME_ENV variables as `env` has them (for child processes that get no other variable). */
export function runtimeEnvOf(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(RUNTIME_ENV)) {
    const v = env[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** The RUNTIME_ENV variables `env` lacks: this process started without them (e.g. `bun src/app/api.ts`). */
export function missingRuntimeEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.keys(RUNTIME_ENV).filter((k) => env[k] === undefined);
}
