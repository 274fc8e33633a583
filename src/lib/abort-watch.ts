/**
 * Calls back when a long-lived AbortSignal aborts, with one "abort" listener on the signal for every
 * wait on it. A dispatcher waits on the one signal it stops with once per claim; adding and removing
 * a listener for each wait is native work, about 5 us a pair on a lone task's path (measured with
 * perf on a slow machine), where a Set's add and delete are not.
 *
 * @example
 * const watch = new AbortWatch();
 * const forget = watch.on(signal, () => resolve([]));
 * // the wait ended another way:
 * forget();
 */
export class AbortWatch {
  private readonly bySignal = new WeakMap<AbortSignal, Set<() => void>>();

  /** Calls `fn` once when `signal` aborts (in a microtask when it has already); the function returned forgets it. */
  on(signal: AbortSignal, fn: () => void): () => void {
    if (signal.aborted) {
      let forgotten = false;
      queueMicrotask(() => forgotten || fn());
      return () => void (forgotten = true);
    }
    let fns = this.bySignal.get(signal);
    if (fns === undefined) {
      const all = new Set<() => void>();
      this.bySignal.set(signal, all);
      signal.addEventListener("abort", () => {
        const now = [...all];
        all.clear();
        for (const f of now) f();
      }, { once: true });
      fns = all;
    }
    const set = fns;
    set.add(fn);
    return () => void set.delete(fn);
  }
}
