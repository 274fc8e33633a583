import { describe, expect, test } from "bun:test";
import { AbortWatch } from "../../src/lib/abort-watch.ts";

/** A signal that counts the listeners added to it. */
function countedSignal(): { controller: AbortController; added: () => number } {
  const controller = new AbortController();
  let added = 0;
  const add = controller.signal.addEventListener.bind(controller.signal);
  controller.signal.addEventListener = ((...args: Parameters<AbortSignal["addEventListener"]>) => {
    added++;
    add(...args);
  }) as AbortSignal["addEventListener"];
  return { controller, added: () => added };
}

describe("AbortWatch", () => {
  test("many waits on one signal add one listener, and the abort calls each wait still registered once", () => {
    const watch = new AbortWatch();
    const { controller, added } = countedSignal();
    const called: number[] = [];
    const forgets = Array.from({ length: 1000 }, (_, i) => watch.on(controller.signal, () => called.push(i)));
    for (let i = 0; i < 1000; i += 2) forgets[i]?.(); // every even wait ended another way
    expect(added()).toBe(1);
    controller.abort();
    controller.abort();
    expect(called).toEqual(Array.from({ length: 500 }, (_, i) => 2 * i + 1));
  });

  test("signals are watched apart: aborting one calls only its own waits", () => {
    const watch = new AbortWatch();
    const a = new AbortController();
    const b = new AbortController();
    const called: string[] = [];
    watch.on(a.signal, () => called.push("a"));
    watch.on(b.signal, () => called.push("b"));
    b.abort();
    expect(called).toEqual(["b"]);
  });

  test("a signal aborted already calls back in a microtask, unless forgotten first", async () => {
    const watch = new AbortWatch();
    const signal = AbortSignal.abort();
    const called: string[] = [];
    watch.on(signal, () => called.push("kept"));
    watch.on(signal, () => called.push("forgotten"))();
    expect(called).toEqual([]);
    await Promise.resolve();
    expect(called).toEqual(["kept"]);
  });
});
