import { expect, test } from "bun:test";
import { Window } from "../../src/lib/window.ts";

/** A call that ends when told to: resolve(value) or reject(error). */
function held<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve: (v: T) => void = () => {};
  let reject: (e: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

test("at most `size` calls run at once; the others start in order as earlier ones end", async () => {
  const w = new Window(2);
  const calls = [held<number>(), held<number>(), held<number>(), held<number>()];
  const started: number[] = [];
  const results = calls.map((c, i) =>
    w.run(() => {
      started.push(i);
      return c.promise;
    }),
  );
  await Promise.resolve();
  expect(started).toEqual([0, 1]);
  expect([w.active, w.queued]).toEqual([2, 2]);
  calls[1]!.resolve(1);
  await results[1];
  await Promise.resolve();
  expect(started).toEqual([0, 1, 2]); // the first waiting one, not the last
  calls[0]!.reject(new Error("boom")); // a call that throws frees its slot too
  await expect(results[0]!).rejects.toThrow("boom");
  await Promise.resolve();
  expect(started).toEqual([0, 1, 2, 3]);
  calls[2]!.resolve(2);
  calls[3]!.resolve(3);
  expect(await Promise.all(results.slice(1))).toEqual([1, 2, 3]);
  expect([w.active, w.queued]).toEqual([0, 0]);
});

test("a window of fewer than one call is refused", () => {
  expect(() => new Window(0)).toThrow("at least 1");
  expect(() => new Window(1.5)).toThrow("at least 1");
});
