/**
 * Redis keeps a database's keys, and their expiry times, in hash tables that double once their entries
 * pass a power of two, then move the entries over a few at a time (a step with each command on the
 * table, and 1 ms per server tick) while both tables live. Past a million keys that takes seconds, and
 * every command is slower meanwhile: a measurement that crosses a doubling measures that one-time move
 * rather than what a task costs beside the keys already there. The retained section therefore fills on
 * past the doubling its own measurement would cross, waits for Redis to finish moving, and reports
 * both (the fill's slices show what the doubling cost).
 *
 * Waiting reads `DEBUG HTSTATS 0`, which the evaluation's own redis-server allows (started with
 * `--enable-debug-command local`, see stacks.ts).
 */
import type Redis from "ioredis";

/** Keys filled beyond a doubling, so the key and expiry tables (whose counts differ by a few keys) are both past it. */
export const DOUBLING_MARGIN = 10_000;

/**
 * The power of two a table with `keys` entries passes when `added` more come (the doubling a
 * measurement adding them would cross: Redis doubles a table of 2^n entries when one more comes), or
 * undefined when it passes none.
 *
 * @example
 * doublingWithin(1_000_000, 185_000); // 1_048_576
 * doublingWithin(1_060_000, 185_000); // undefined (the next is 2,097,152)
 */
export function doublingWithin(keys: number, added: number): number | undefined {
  if (added <= 0) return undefined;
  let p = 1;
  while (p < keys) p *= 2; // a table of p entries is full: the next key doubles it
  return keys + added > p ? p : undefined;
}

/**
 * True while `DEBUG HTSTATS` output shows a table being moved to a larger one (a "rehashing target").
 *
 * @example
 * isRehashing("[Dictionary HT]\nHash table 0 stats (main hash table):\n table size: 1048576\nHash table 1 stats (rehashing target):\n table size: 2097152\n"); // true
 */
export function isRehashing(htstats: string): boolean {
  return /rehashing target/i.test(htstats);
}

/**
 * Waits until database 0's key and expiry tables are not being moved (polls `DEBUG HTSTATS 0` every
 * `pollMs`), at most `timeoutMs`; returns how long it waited and whether they settled.
 *
 * @example
 * const { ms, settled } = await waitForSettledTables(redis, 120_000);
 */
export async function waitForSettledTables(redis: Redis, timeoutMs: number, pollMs = 250): Promise<{ ms: number; settled: boolean }> {
  const t0 = performance.now();
  for (;;) {
    const stats = String(await redis.call("DEBUG", "HTSTATS", "0"));
    const ms = performance.now() - t0;
    if (!isRehashing(stats)) return { ms, settled: true };
    if (ms >= timeoutMs) return { ms, settled: false };
    await Bun.sleep(pollMs); // Redis moves the tables by itself; nothing to wait on but its answer
  }
}
