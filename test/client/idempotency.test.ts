/**
 * The SDK's idempotency keys against a real embedded server (port 0): every execute and executeBatch
 * carries an Idempotency-Key, the same on its retries and a new one per call, so a reply lost after
 * the server queued the tasks (a fetch that throws once the server has answered) is retried and yields
 * the tasks of the first attempt: exactly one task per call, by the server's own counter. A key of the
 * caller's own makes the caller's retries safe too, chunk by chunk for a batch.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Embedded } from "../../src/app/roots/embedded.ts";
import { BatchSubmitError, FaasClient, FaasError, type FetchLike } from "../../src/client/index.ts";
import { parsePrometheus } from "../helpers/prometheus-text.ts";
import { startEmbeddedHere } from "../helpers/roots.ts";

let app: Embedded;
beforeAll(() => {
  app = startEmbeddedHere({ workers: 2 });
});
afterAll(() => app.stop());

/** The server's count of tasks submitted so far. */
const submitted = async (): Promise<number> => parsePrometheus(await (await fetch(`${app.url}/metrics`)).text()).value("faas_tasks_submitted_total");

interface Sent {
  readonly path: string;
  readonly key: string | undefined;
  readonly status?: number;
  readonly body?: any;
}

/**
 * A fetch that records every request (path, Idempotency-Key, reply) and, while `lose(path, n)` says so
 * for the n-th request to a path, lets the server handle it and then throws as if the connection had
 * dropped before the reply came; `refuse(path, n)` throws without sending at all.
 */
function lossyFetch(o: { lose?: (path: string, n: number) => boolean; refuse?: (path: string, n: number) => boolean }): { fetch: FetchLike; sent: Sent[] } {
  const sent: Sent[] = [];
  const counts = new Map<string, number>();
  const fetchLike: FetchLike = async (input, init) => {
    const path = new URL(input).pathname;
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    const key = (init.headers as Record<string, string>)["idempotency-key"];
    if (o.refuse?.(path, n)) {
      sent.push({ path, key });
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED (simulated)") });
    }
    const res = await fetch(input, init);
    const text = await res.text();
    sent.push({ path, key, status: res.status, body: JSON.parse(text) });
    if (o.lose?.(path, n)) throw new TypeError("fetch failed", { cause: new Error("socket hang up (simulated, after the server answered)") });
    return new Response(text, { status: res.status, headers: res.headers });
  };
  return { fetch: fetchLike, sent };
}

describe("idempotency keys in the SDK", () => {
  test("execute: the first reply is lost after the server queued the task; the retry yields that task, and only it", async () => {
    const { fetch, sent } = lossyFetch({ lose: (path, n) => path === "/execute_function" && n === 1 });
    const faas = new FaasClient(app.url, { fetch, retries: 3, backoffMs: 1 });
    const fid = await faas.register((x: number) => x * 2);
    const before = await submitted();
    const id = await faas.execute(fid, [21]);
    const calls = sent.filter((s) => s.path === "/execute_function");
    expect(calls.map((c) => c.status)).toEqual([201, 200]);
    expect(calls[0]!.body).toEqual({ task_id: id }); // the reply that was lost named the same task
    expect(calls[0]!.key).toBeString();
    expect(calls[1]!.key).toBe(calls[0]!.key as string);
    expect(await submitted()).toBe(before + 1);
    expect(await faas.handle(id).result()).toBe(42);
  });

  test("executeBatch: the same with a batch, and run and submit too; every call has a key of its own", async () => {
    const { fetch, sent } = lossyFetch({ lose: (path, n) => path === "/execute_batch" && n === 1 });
    const faas = new FaasClient(app.url, { fetch, retries: 3, backoffMs: 1 });
    const fid = await faas.register((x: number) => x + 1);
    const before = await submitted();
    const ids = await faas.executeBatch(fid, [[1], [2], [3]]);
    expect(sent.filter((s) => s.path === "/execute_batch").map((c) => [c.status, c.body])).toEqual([[201, { task_ids: ids }], [200, { task_ids: ids }]]);
    expect(await submitted()).toBe(before + 3);
    expect(await faas.run(fid, [10])).toBe(11);
    expect(await (await faas.submit(fid, [20])).result()).toBe(21);
    expect(await submitted()).toBe(before + 5);
    const keys = sent.filter((s) => s.path.startsWith("/execute")).map((s) => s.key);
    expect(new Set(keys).size).toBe(3); // batch (twice), run, submit: one key per call
  });

  test("a key of the caller's own: the same call again answers the same task; another call with it is a 409", async () => {
    const faas = new FaasClient(app.url);
    const fid = await faas.register((x: number) => x);
    const before = await submitted();
    const id = await faas.execute(fid, [1], { idempotencyKey: "sdk-order-1" });
    expect(await faas.execute(fid, [1], { idempotencyKey: "sdk-order-1" })).toBe(id);
    expect((await faas.submit(fid, [1], { idempotencyKey: "sdk-order-1" })).taskId).toBe(id);
    const e = await faas.execute(fid, [2], { idempotencyKey: "sdk-order-1" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FaasError);
    expect(e).toMatchObject({ status: 409, code: "IdempotencyConflict" });
    expect(await submitted()).toBe(before + 1);
  });

  test("a key that does not fit the server's rule is a TypeError, and nothing is sent", async () => {
    const { fetch, sent } = lossyFetch({});
    const faas = new FaasClient(app.url, { fetch });
    for (const bad of ["", "a b", "k".repeat(256), "clé"]) {
      await expect(faas.execute("f", [1], { idempotencyKey: bad })).rejects.toThrow(TypeError);
      await expect(faas.executeBatch("f", [[1]], { idempotencyKey: bad })).rejects.toThrow(TypeError);
    }
    await expect(faas.executeBatch("f", Array.from({ length: 10_001 }, () => [1]), { idempotencyKey: "k".repeat(254) })).rejects.toThrow(/too long for a batch of 2 chunks/);
    expect(sent).toEqual([]);
  });

  test("a batch in two chunks under one key: after a BatchSubmitError, the same call queues only the chunk that failed", async () => {
    let down = true;
    const { fetch, sent } = lossyFetch({ refuse: (path, n) => down && path === "/execute_batch" && n >= 2 });
    const faas = new FaasClient(app.url, { fetch, retries: 0 });
    const fid = await faas.register((x: number) => x);
    const argsList = Array.from({ length: 10_001 }, (_, i) => [i]);
    const before = await submitted();
    const e = (await faas.executeBatch(fid, argsList, { idempotencyKey: "sdk-batch-1" }).catch((x: unknown) => x)) as BatchSubmitError;
    expect(e).toBeInstanceOf(BatchSubmitError);
    expect(sent.map((s) => s.key).sort()).toEqual(["sdk-batch-1:0", "sdk-batch-1:1"]);
    const queued = e.taskIds.filter((id) => id !== undefined);
    expect(queued.length).toBe(10_000);
    down = false;
    const ids = await faas.executeBatch(fid, argsList, { idempotencyKey: "sdk-batch-1" });
    expect(ids.slice(0, 10_000)).toEqual(e.taskIds.slice(0, 10_000) as string[]);
    expect(await submitted()).toBe(before + 10_001);
  }, 20_000);
});
