/**
 * How many turns `f` schedules with setImmediate while it runs (they still run, through the real one).
 *
 * @example
 * expect(immediatesDuring(() => batcher.add(1))).toBe(1);
 */
export function immediatesDuring(f: () => void): number {
  const real = globalThis.setImmediate;
  let n = 0;
  globalThis.setImmediate = ((...args: Parameters<typeof setImmediate>) => {
    n++;
    return real(...args);
  }) as typeof setImmediate;
  try {
    f();
  } finally {
    globalThis.setImmediate = real;
  }
  return n;
}
