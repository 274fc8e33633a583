/**
 * A local HTTP server that counts requests per path and answers each with its count: a flaky task
 * (FLAKY) fails until its counter reaches n, which is how retry tests make a task fail a known number
 * of times, whatever process or executor runs it.
 *
 * @example
 * const counter = startHitCounter();
 * // a task running FLAKY with [counter.url("a"), 3] throws FetchError twice, then returns 3
 * counter.stop();
 */

/** Function source: throws FetchError until the counter at `url` reaches `n`, then returns the count. */
export const FLAKY = `async (url, n) => {
  const count = await (await fetch(url)).json();
  if (count < n) { const e = new Error("not yet " + count); e.name = "FetchError"; throw e; }
  return count;
}`;

export interface HitCounter {
  /** The URL of the counter `name`. */
  url(name: string): string;
  stop(): void;
}

export function startHitCounter(): HitCounter {
  const counts = new Map<string, number>();
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const path = new URL(req.url).pathname;
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      return Response.json(n);
    },
  });
  return {
    url: (name) => `http://127.0.0.1:${server.port}/${name}`,
    stop: () => void server.stop(true),
  };
}
