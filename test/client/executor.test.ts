/**
 * The SDK's executor-style calls against the embedded server: `submit` handles, `map` in input order
 * with bounded concurrency, `asCompleted` in finishing order, and registration reuse (by source,
 * options, server and key; registered again once after a 404).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { Embedded } from "../../src/app/roots/embedded.ts";
import { FaasClient, FaasError, TaskCancelledError, TaskFailedError, TaskHandle, type FetchLike } from "../../src/client/index.ts";
import { registrationKey, RegistrationCache } from "../../src/client/registrations.ts";
import { startEmbeddedHere } from "../helpers/roots.ts";

/** What the client sent and saw: request lines, ids queued, ids seen terminal, /wait calls in flight. */
interface Traffic {
  readonly calls: string[];
  readonly queued: string[];
  readonly finished: Set<string>;
  batches: number[]; // payloads per /execute_batch, with the unfinished count before it
  unfinishedBefore: number[];
  waitsInFlight: number;
}

function countingFetch(): { fetch: FetchLike; t: Traffic } {
  const t: Traffic = { calls: [], queued: [], finished: new Set(), batches: [], unfinishedBefore: [], waitsInFlight: 0 };
  const fetch: FetchLike = async (input, init) => {
    const path = new URL(input).pathname;
    t.calls.push(`${init.method} ${path}`);
    if (path === "/execute_batch") {
      t.batches.push((JSON.parse(String(init.body)) as { payloads: string[] }).payloads.length);
      t.unfinishedBefore.push(t.queued.filter((id) => !t.finished.has(id)).length);
    }
    if (path === "/wait") t.waitsInFlight++;
    try {
      const res = await globalThis.fetch(input, init);
      const body = res.ok ? ((await res.clone().json()) as Record<string, unknown>) : {};
      if (path === "/execute_batch") t.queued.push(...(body.task_ids as string[]));
      if (path === "/execute_function") t.queued.push(body.task_id as string);
      if (path === "/wait") for (const r of body.results as Array<{ task_id: string }>) t.finished.add(r.task_id);
      return res;
    } finally {
      if (path === "/wait") t.waitsInFlight--;
    }
  };
  return { fetch, t };
}

let app: Embedded;
beforeAll(() => {
  app = startEmbeddedHere({ workers: 2 });
});
afterAll(() => app.stop());

describe("submit", () => {
  test("returns a handle with taskId, result() and cancel()", async () => {
    const { fetch, t } = countingFetch();
    const faas = new FaasClient(app.url, { fetch });
    const h = await faas.submit((a: number, b: number) => a * b, [6, 7]);
    expect(h).toBeInstanceOf(TaskHandle);
    expect(h.taskId).toBe(t.queued[0]!);
    expect(await h.result()).toBe(42);
    expect(h.done).toBe(true);
    const before = t.calls.length;
    expect(await h.result()).toBe(42); // kept: nothing sent again
    expect(t.calls.length).toBe(before);
    expect(await faas.status(h.taskId)).toBe("COMPLETED");

    const stuck = await faas.submit(() => new Promise(() => {}), [], { timeoutMs: 600_000 });
    expect(await stuck.outcome({ timeoutS: 0 })).toEqual({ status: "PENDING", result: null });
    await stuck.cancel();
    expect(await stuck.result().catch((e: unknown) => e)).toBeInstanceOf(TaskCancelledError);
    const failed = await faas.submit((s: string) => JSON.parse(s), ["{"]);
    expect(await failed.result().catch((e: unknown) => e)).toMatchObject({ name: "TaskFailedError", remote: { name: "SyntaxError" } });
  });

  test("handle(id) reads a task queued earlier", async () => {
    const faas = new FaasClient(app.url);
    const id = await faas.execute(await faas.register("(s: string) => s.toUpperCase()"), ["abc"]);
    expect(await faas.handle(id).result({ timeoutS: 30 })).toBe("ABC");
  });
});

describe("map", () => {
  test("yields results in input order although later tasks finish first", async () => {
    const faas = new FaasClient(app.url);
    // the first inputs sleep longest, so tasks finish in reverse order
    const sleepThenEcho = (ms: number, v: number) => new Promise((r) => setTimeout(() => r(v), ms));
    const argsList = [[300, 0], [200, 1], [100, 2], [0, 3], [0, 4]];
    const out: unknown[] = [];
    for await (const v of faas.map(sleepThenEcho, argsList)) out.push(v);
    expect(out).toEqual([0, 1, 2, 3, 4]);
  });

  test("never has more than `concurrency` tasks unfinished, and takes any iterable", async () => {
    const { fetch, t } = countingFetch();
    const faas = new FaasClient(app.url, { fetch });
    function* inputs(): Generator<number[]> {
      for (let i = 0; i < 23; i++) yield [i];
    }
    const out: number[] = [];
    for await (const v of faas.map((x: number) => x + 100, inputs(), { concurrency: 4 })) out.push(v);
    expect(out).toEqual(Array.from({ length: 23 }, (_, i) => i + 100));
    expect(t.batches.reduce((a, b) => a + b, 0)).toBe(23);
    t.batches.forEach((n, i) => expect(t.unfinishedBefore[i]! + n).toBeLessThanOrEqual(4));
    expect(t.batches[0]).toBe(4);
    expect(await faas.map((x: number) => x, [[1]], { concurrency: 0 }).next().catch((e: unknown) => e)).toBeInstanceOf(RangeError);
  });

  test("throws a failed task's error at its place in the order and cancels the tasks left", async () => {
    const { fetch, t } = countingFetch();
    const faas = new FaasClient(app.url, { fetch });
    const fn = (x: number) => {
      if (x === 0) throw new RangeError("zero");
      if (x >= 10) return new Promise(() => {}); // never ends: must be cancelled
      return x;
    };
    const seen: unknown[] = [];
    const error = await (async () => {
      for await (const v of faas.map(fn, [[1], [2], [0], [10], [11]], { concurrency: 5 })) seen.push(v);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([1, 2]);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as TaskFailedError).remote).toMatchObject({ name: "RangeError", message: "zero" });
    for (const id of t.queued.slice(3)) expect(await faas.status(id)).toBe("CANCELLED");
  });

  test("leaving the loop early cancels the tasks still unfinished", async () => {
    const { fetch, t } = countingFetch();
    const faas = new FaasClient(app.url, { fetch });
    const fn = (x: number) => (x === 1 ? x : new Promise(() => {}));
    for await (const v of faas.map(fn, [[1], [2], [3]], { concurrency: 3 })) {
      expect(v).toBe(1);
      break;
    }
    expect(t.queued.length).toBe(3);
    for (const id of t.queued.slice(1)) expect(await faas.status(id)).toBe("CANCELLED");
  });
});

describe("asCompleted", () => {
  test("yields handles in the order their tasks finish, each once", async () => {
    const faas = new FaasClient(app.url);
    const stuck = await faas.submit(() => new Promise(() => {}), [], { timeoutMs: 600_000 });
    const quick = await faas.submit((x: number) => x, [7]);
    const order: string[] = [];
    for await (const h of faas.asCompleted([stuck, quick, quick])) {
      order.push(h.taskId);
      if (h === quick) {
        expect(await h.result()).toBe(7);
        await stuck.cancel(); // only now can the other one finish
      }
    }
    expect(order).toEqual([quick.taskId, stuck.taskId]);
    expect(await stuck.result().catch((e: unknown) => e)).toBeInstanceOf(TaskCancelledError);
    expect(stuck.done).toBe(true);
  });

  test("leaving the loop early leaves no /wait request in flight", async () => {
    const { fetch, t } = countingFetch();
    const faas = new FaasClient(app.url, { fetch });
    const stuck = await faas.submit(() => new Promise(() => {}), [], { timeoutMs: 600_000 });
    const quick = await faas.submit(() => "done", []);
    for await (const h of faas.asCompleted([stuck, quick])) {
      expect(h).toBe(quick);
      break;
    }
    expect(t.waitsInFlight).toBe(0);
    await stuck.cancel();
  });

  test("settled handles come first without a request", async () => {
    const { fetch, t } = countingFetch();
    const faas = new FaasClient(app.url, { fetch });
    const h = await faas.submit(() => 1, []);
    await h.result();
    const before = t.calls.length;
    const got: TaskHandle[] = [];
    for await (const x of faas.asCompleted([h])) got.push(x);
    expect(got).toEqual([h]);
    expect(t.calls.length).toBe(before);
  });
});

describe("registration reuse", () => {
  test("the same source and options register once, across clients of one server", async () => {
    const { fetch, t } = countingFetch();
    const a = new FaasClient(app.url, { fetch });
    const b = new FaasClient(`${app.url}/`, { fetch });
    const registers = (): number => t.calls.filter((c) => c === "POST /register_function").length;
    const src = "(x: number) => x - 1 /* reuse test */";
    const [id1, id2] = await Promise.all([a.register(src), a.register(src)]);
    const id3 = await b.register(src);
    expect(new Set([id1, id2, id3]).size).toBe(1);
    expect(registers()).toBe(1);
    for (let i = 0; i < 3; i++) expect(await a.run((x: number) => x * 1000 + 1, [i])).toBe(i * 1000 + 1); // a new arrow object each time
    expect(registers()).toBe(2);
    expect(await a.register(src, { timeoutMs: 5000 })).not.toBe(id1);
    expect(await a.register(src, { name: "other" })).not.toBe(id1);
    expect(await a.register(src, { reuse: false })).not.toBe(id1);
    expect(registers()).toBe(5);
  });

  test("the key names server URL, API key and every option", () => {
    const body = { name: "f", payload: "() => 1" };
    const k = registrationKey("http://h:1", undefined, body);
    expect(registrationKey("http://h:1", undefined, { payload: "() => 1", name: "f" })).toBe(k);
    for (const other of [
      registrationKey("http://h:2", undefined, body),
      registrationKey("http://h:1", "key-0123456789abcdef", body),
      registrationKey("http://h:1", undefined, { ...body, timeout_ms: 5 }),
      registrationKey("http://h:1", undefined, { ...body, payload: "() => 2" }),
    ]) expect(other).not.toBe(k);
  });

  test("the cache forgets failures and stale ids, and stays bounded", async () => {
    const cache = new RegistrationCache(2);
    expect(await cache.get("k", async () => "f1")).toBe("f1");
    expect(await cache.get("k", async () => "f2")).toBe("f1");
    await cache.forget("k", "other-id"); // not the id it holds: kept
    expect(await cache.get("k", async () => "f2")).toBe("f1");
    await cache.forget("k", "f1");
    expect(await cache.get("k", async () => "f2")).toBe("f2");
    await cache.get("bad", async () => Promise.reject(new Error("no"))).catch(() => undefined);
    expect(await cache.get("bad", async () => "ok")).toBe("ok");
    await cache.get("third", async () => "f3");
    expect(cache.size).toBe(2);
  });
});

describe("a server that lost the function", () => {
  const stops: Array<() => void> = [];
  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
  });

  /** A fake API: registrations get ids f1, f2...; execute knows only the ids in `known`. */
  function fake(known: Set<string>): { url: string; log: string[] } {
    const log: string[] = [];
    let n = 0;
    const json = (body: unknown, status: number): Response => Response.json(body, { status });
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: async (req) => {
        const path = new URL(req.url).pathname;
        if (path === "/register_function") {
          const id = `f${++n}`;
          log.push(`register ${id}`);
          return json({ function_id: id }, 201);
        }
        const { function_id } = (await req.json()) as { function_id: string };
        log.push(`execute ${function_id}`);
        return known.has(function_id) ? json({ task_id: `t-${function_id}` }, 201) : json({ error: "UnknownFunction", message: `Function ${function_id} is unknown` }, 404);
      },
    });
    stops.push(() => server.stop(true));
    return { url: `http://127.0.0.1:${server.port}`, log };
  }

  test("submit registers again once after a 404 and retries", async () => {
    const server = fake(new Set(["f2"]));
    const faas = new FaasClient(server.url);
    await faas.register((x: number) => x + 1); // cached as f1, which the server "forgets"
    const h = await faas.submit((x: number) => x + 1, [1]);
    expect(h.taskId).toBe("t-f2");
    expect(server.log).toEqual(["register f1", "execute f1", "register f2", "execute f2"]);
    expect(await faas.register((x: number) => x + 1)).toBe("f2"); // the cache now holds the new id
  });

  test("only once: a second 404 is thrown", async () => {
    const server = fake(new Set());
    const e = await new FaasClient(server.url).submit((x: number) => x + 2, [1]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FaasError);
    expect(e).toMatchObject({ status: 404, code: "UnknownFunction" });
    expect(server.log).toEqual(["register f1", "execute f1", "register f2", "execute f2"]);
    const byId = await new FaasClient(server.url).submit("f9", [1]).catch((x: unknown) => x); // an id: nothing to register
    expect(byId).toMatchObject({ status: 404 });
    expect(server.log.slice(4)).toEqual(["execute f9"]);
  });
});
