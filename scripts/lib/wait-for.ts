/**
 * Polls `condition` until it returns a truthy value or the deadline passes (then throws with `what`).
 * For waiting on effects that have no event to await; never a fixed sleep. Shared by tests and scripts.
 *
 * @example
 * const up = await waitFor(async () => (await fetch(url).catch(() => null))?.ok, "the server to answer", 5000);
 */
export async function waitFor<T>(condition: () => T | Promise<T>, what: string, timeoutMs = 10_000, everyMs = 10): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await condition();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
