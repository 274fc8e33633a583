/**
 * Calls `fn` every `ms` on a Clock (real or fake) until the returned function is called: one timer at
 * a time, re-armed after each call, so a slow `fn` never overlaps itself.
 *
 * @example
 * const stop = every(clock, 1000, () => heartbeat());
 * stop();
 */
import type { Clock } from "./ports.ts";

export function every(clock: Clock, ms: number, fn: () => void): () => void {
  let stopped = false;
  let cancel = (): void => {};
  const arm = (): void => {
    cancel = clock.after(ms, () => {
      if (stopped) return;
      fn();
      if (!stopped) arm();
    });
  };
  arm();
  return () => {
    stopped = true;
    cancel();
  };
}
