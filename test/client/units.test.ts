/** The SDK's pure pieces: chunking, bounded concurrency, backoff, result parsing and the wait loop. */
import { describe, expect, test } from "bun:test";
import { backoffDelay, MAX_RETRY_DELAY_MS, retryAfterMs } from "../../src/client/backoff.ts";
import { chunk, mapBounded, PartialFailure } from "../../src/client/chunks.ts";
import { functionSource, parseResult, serializeArgs } from "../../src/client/serialize.ts";
import type { WireWait } from "../../src/client/types.ts";
import { waitForTasks, type WaitPlan } from "../../src/client/wait.ts";

describe("chunk", () => {
  test("by count, and by bytes with an oversized item alone", () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk(["aa", "bb", "cc", "dddddd", "e"], 10, 4, (s) => s.length)).toEqual([["aa", "bb"], ["cc"], ["dddddd"], ["e"]]);
    expect(chunk([], 3)).toEqual([]);
    expect(() => chunk([1], 0)).toThrow(RangeError);
  });
});

describe("mapBounded", () => {
  test("keeps order, never exceeds the bound, and stops starting work after a failure", async () => {
    let inFlight = 0;
    let most = 0;
    const gates: Array<() => void> = [];
    const run = mapBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise<void>((r) => gates.push(r));
      inFlight--;
      return n * 10;
    });
    while (gates.length > 0 || inFlight > 0) {
      await Promise.resolve();
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(await run).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(most).toBe(3);

    const started: number[] = [];
    const failing = mapBounded([1, 2, 3, 4, 5], 1, async (n) => {
      started.push(n);
      if (n === 2) throw new Error("two");
      return n;
    });
    const e = (await failing.catch((x: unknown) => x)) as PartialFailure<number>;
    expect(e).toBeInstanceOf(PartialFailure);
    expect((e.error as Error).message).toBe("two");
    expect(e.done).toEqual([true, false, false, false, false]);
    expect(started).toEqual([1, 2]);
  });
});

describe("backoff", () => {
  test("doubles from backoffMs with jitter below the ceiling, capped", () => {
    expect(backoffDelay(1, 100, () => 1)).toBe(100);
    expect(backoffDelay(4, 100, () => 1)).toBe(800);
    expect(backoffDelay(4, 100, () => 0.25)).toBe(200);
    expect(backoffDelay(40, 100, () => 1)).toBe(MAX_RETRY_DELAY_MS);
  });
  test("Retry-After in seconds, ignored when absent or not a number", () => {
    expect(retryAfterMs(new Headers({ "retry-after": "0" }))).toBe(0);
    expect(retryAfterMs(new Headers({ "retry-after": "1.5" }))).toBe(1500);
    expect(retryAfterMs(new Headers({ "retry-after": "9999" }))).toBe(MAX_RETRY_DELAY_MS);
    expect(retryAfterMs(new Headers({ "retry-after": "Wed, 21 Oct 2015 07:28:00 GMT" }))).toBeUndefined();
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });
});

describe("serialize", () => {
  test("args: JSON text of arrays; undefined as null; toJSON honoured", () => {
    expect(serializeArgs([1, "a", null, { b: [true] }])).toBe('[1,"a",null,{"b":[true]}]');
    expect(serializeArgs([undefined])).toBe("[null]");
    expect(serializeArgs([new Date(0)])).toBe('["1970-01-01T00:00:00.000Z"]');
    const shared = { x: 1 };
    expect(serializeArgs([shared, shared])).toBe('[{"x":1},{"x":1}]'); // repeated, not circular
    expect(() => serializeArgs([Infinity])).toThrow("args[0] is Infinity");
    expect(() => serializeArgs(null)).toThrow("got null");
  });
  test("function source: text of functions; native and bound functions refused", () => {
    expect(functionSource("(a) => a")).toBe("(a) => a");
    expect(functionSource(function f(a: number) { return a; })).toContain("return a");
    expect(() => functionSource(Math.max)).toThrow("no source");
    expect(() => functionSource(((a: number) => a).bind(null))).toThrow("no source");
    expect(() => functionSource("  ")).toThrow("empty");
  });
  test("results: JSON parsed, null kept, non-JSON text returned as is", () => {
    expect(parseResult('{"a":[1]}')).toEqual({ a: [1] });
    expect(parseResult("null")).toBeNull();
    expect(parseResult(null)).toBeNull();
    expect(parseResult("not json")).toBe("not json");
  });
});

describe("waitForTasks", () => {
  const plan = (o: Partial<WaitPlan> = {}): WaitPlan => ({ timeoutS: Infinity, chunkSize: 3, concurrency: 2, maxCallS: 20, ...o });

  test("chunks ids, bounds calls in flight, re-asks for pending ids until all are terminal", async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `t${i}`);
    const askedFor: string[][] = [];
    const timesSeen = new Map<string, number>();
    let inFlight = 0;
    let most = 0;
    const out = await waitForTasks([...ids, "t0"], plan(), async (batch, timeoutS) => {
      inFlight++;
      most = Math.max(most, inFlight);
      askedFor.push(batch);
      expect(timeoutS).toBe(20);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      const reply: WireWait = { results: [], pending: [], unknown: [] };
      for (const id of batch) {
        const n = (timesSeen.get(id) ?? 0) + 1;
        timesSeen.set(id, n);
        if (id === "t9") reply.unknown.push(id);
        else if (n < 3) reply.pending.push(id); // every task is terminal on the third look
        else reply.results.push({ task_id: id, status: "COMPLETED", result: JSON.stringify(id.length) });
      }
      return reply;
    });
    expect(askedFor.every((b) => b.length >= 1 && b.length <= 3)).toBe(true);
    expect(most).toBe(2);
    expect(out.size).toBe(10); // duplicates folded
    for (const id of ids.slice(0, 9)) expect(out.get(id)).toEqual({ status: "COMPLETED", result: 2 });
    expect(out.get("t9")).toEqual({ status: "UNKNOWN", result: null });
    expect(timesSeen.get("t0")).toBe(3);
  });

  test("past the deadline every id is looked at once more and unfinished ones are PENDING", async () => {
    let clock = 0;
    const timeouts: number[] = [];
    const out = await waitForTasks(["a", "b", "c", "d"], plan({ timeoutS: 5, chunkSize: 2, concurrency: 1, now: () => clock }), async (batch, timeoutS) => {
      timeouts.push(timeoutS);
      clock += 6000; // the first call uses up the whole timeout
      return { results: batch.includes("d") ? [{ task_id: "d", status: "FAILED", result: '{"name":"E","message":"m"}' }] : [], pending: batch.filter((x) => x !== "d"), unknown: [] };
    });
    expect(timeouts).toEqual([5, 0]);
    expect(out.get("a")).toEqual({ status: "PENDING", result: null });
    expect(out.get("c")).toEqual({ status: "PENDING", result: null });
    expect(out.get("d")).toEqual({ status: "FAILED", result: { name: "E", message: "m" } });
  });

  test("a failing call rejects the wait; no ids means no call", async () => {
    let calls = 0;
    const e = await waitForTasks(["a", "b", "c", "d"], plan({ chunkSize: 1 }), async () => {
      calls++;
      throw new Error("down");
    }).catch((x: unknown) => x);
    expect((e as Error).message).toBe("down");
    expect(calls).toBe(2); // both lanes started one call, then stopped
    expect((await waitForTasks([], plan(), async () => { throw new Error("never"); })).size).toBe(0);
  });
});
