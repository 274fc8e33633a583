import type { Clock } from "../../domain/ports.ts";

/** Wall-clock time, real timers and sleeps: the Clock of every production process. */
export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
