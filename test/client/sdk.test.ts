/**
 * The SDK against a real embedded server (API + executor threads + in-memory store, port 0):
 * registering function objects and TypeScript source, execute, run, a 25,000-task batch read back
 * through `wait`, remote errors, cancel, and the error shape of 400 and 404 replies.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Embedded } from "../../src/app/roots/embedded.ts";
import { FaasClient, FaasError, TaskCancelledError, TaskFailedError, outcomeValue, type FetchLike } from "../../src/client/index.ts";
import { startEmbeddedHere as startTestServer } from "../helpers/roots.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

let app: Embedded;
let faas: FaasClient;
const calls: string[] = []; // "METHOD /path" of every request the client sent
const executed: string[] = []; // task ids from POST /execute_function
beforeAll(() => {
  app = startTestServer({ workers: 2 });
  const counting: FetchLike = async (input, init) => {
    calls.push(`${init.method} ${new URL(input).pathname}`);
    const res = await fetch(input, init);
    if (new URL(input).pathname === "/execute_function" && res.status === 201) executed.push(((await res.clone().json()) as { task_id: string }).task_id);
    return res;
  };
  faas = new FaasClient(app.url, { fetch: counting });
});
afterAll(() => app.stop());

describe("FaasClient against the embedded server", () => {
  test("registers a JS function object under its own name, and run returns the parsed result", async () => {
    const id = await faas.register(function addPair(a: number, b: number) {
      return { sum: a + b, args: [a, b] };
    });
    const info = await faas.function(id, { source: true });
    expect(info.name).toBe("addPair");
    expect(info.source).toContain("a + b");
    expect(await faas.run(id, [2, 3])).toEqual({ sum: 5, args: [2, 3] });
  });

  test("an anonymous arrow is named 'anonymous'; run registers a function object once per client", async () => {
    const before = (await faas.functions()).length;
    const triple = (x: number) => x * 3;
    expect(await faas.run(triple, [4])).toBe(12);
    expect(await faas.run(triple, [5])).toBe(15);
    const after = await faas.functions();
    expect(after.length).toBe(before + 1);
    expect(after.some((f) => f.name === "triple")).toBe(true);
    const anon = await faas.register(((x: number) => x) as (x: number) => number, { name: undefined });
    expect((await faas.function(anon)).name).toBe("anonymous");
  });

  test("registers a TypeScript source string with options; execute + result(waitS) read the value", async () => {
    const id = await faas.register("(s: string, n: number): string => s.repeat(n)", { name: "rep", timeoutMs: 5000, maxAttempts: 2 });
    const info = await faas.function(id);
    expect(info).toMatchObject({ functionId: id, name: "rep", timeoutMs: 5000, maxAttempts: 2 });
    expect(info.source).toBeUndefined();
    const taskId = await faas.execute(id, ["ab", 3]);
    let r = await faas.result(taskId, { waitS: 30 });
    while (r.status === "QUEUED" || r.status === "RUNNING") r = await faas.result(taskId, { waitS: 30 });
    expect(r).toEqual({ taskId, status: "COMPLETED", result: "ababab" });
    expect(await faas.status(taskId)).toBe("COMPLETED");
  });

  test("a batch of 25,000 tasks goes out in chunks and every result comes back through wait, in order", async () => {
    const id = await faas.register((i: number) => i * 2 + 1);
    calls.length = 0;
    const argsList = Array.from({ length: 25_000 }, (_, i) => [i]);
    const ids = await faas.executeBatch(id, argsList);
    expect(ids.length).toBe(25_000);
    expect(new Set(ids).size).toBe(25_000);
    expect(calls.filter((c) => c === "POST /execute_batch").length).toBe(3); // 10,000 + 10,000 + 5,000
    const outcomes = await faas.wait(ids, { timeoutS: 50 });
    expect(outcomes.size).toBe(25_000);
    expect(ids.map((t) => outcomeValue(t, outcomes.get(t)!))).toEqual(argsList.map(([i]) => i! * 2 + 1));
    expect(calls.filter((c) => c === "POST /wait").length).toBeGreaterThanOrEqual(25); // 1,000 ids per call
  });

  test("wait reports unknown ids as UNKNOWN instead of throwing, and FAILED with the remote error", async () => {
    const boom = await faas.register('() => { throw new RangeError("too far"); }');
    const failed = await faas.execute(boom, []);
    const outcomes = await faas.wait([failed, "no-such-task"], { timeoutS: 30 });
    expect(outcomes.get("no-such-task")).toEqual({ status: "UNKNOWN", result: null });
    expect(outcomes.get(failed)).toMatchObject({ status: "FAILED", result: { name: "RangeError", message: "too far" } });
  });

  test("wait with timeoutS 0 looks once and reports unfinished tasks as PENDING", async () => {
    const slow = await faas.register("() => new Promise(() => {})", { timeoutMs: 600_000 });
    const id = await faas.execute(slow, []);
    const outcomes = await faas.wait([id], { timeoutS: 0 });
    expect(outcomes.get(id)).toEqual({ status: "PENDING", result: null });
    await faas.cancel(id);
  });

  test("run throws TaskFailedError carrying the remote name, message and stack", async () => {
    const err = await faas
      .run(() => {
        throw new TypeError("bad input");
      }, [])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    const f = err as TaskFailedError;
    expect(f.remote.name).toBe("TypeError");
    expect(f.remote.message).toBe("bad input");
    expect(typeof f.remote.stack).toBe("string");
    expect(await faas.status(f.taskId)).toBe("FAILED");
  });

  test("cancel stops a running task; run on it throws TaskCancelledError; a second cancel is a 409", async () => {
    const spin = await faas.register("() => { for (;;) {} }", { timeoutMs: 600_000 });
    const taskId = await faas.execute(spin, []);
    await waitFor(async () => (await faas.status(taskId)) === "RUNNING", "the task to run");
    const running = faas.result(taskId, { waitS: 30 });
    await faas.cancel(taskId);
    expect((await running).status).toBe("CANCELLED");
    expect(await faas.status(taskId)).toBe("CANCELLED");
    const again = await faas.cancel(taskId).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(FaasError);
    expect((again as FaasError).status).toBe(409);
    expect((again as FaasError).code).toBe("AlreadyTerminal");
    // run on a task that gets cancelled while run awaits it
    const slow = await faas.register("() => new Promise(() => {})", { timeoutMs: 600_000 });
    const pending = faas.run(slow, []).catch((e: unknown) => e);
    // run queues its task and waits for it in the same call (POST /execute_function?wait): find it on the server
    const runTask = await waitFor(async () => (await faas.ops.tasks({ status: "RUNNING", functionId: slow })).tasks[0]?.taskId, "run's task to be running");
    expect(calls).toContain("POST /execute_function");
    await faas.cancel(runTask);
    const e = await pending;
    expect(e).toBeInstanceOf(TaskCancelledError);
    expect((e as TaskCancelledError).taskId).toBe(runTask);
  });

  test("a 400 becomes a FaasError with status, code, message and field", async () => {
    const e = await faas.register("1 + 2").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FaasError);
    const f = e as FaasError;
    expect(f.status).toBe(400);
    expect(f.code).toBe("InvalidFunction");
    expect(f.message.length).toBeGreaterThan(0);
    const bad = await faas.execute("x", [], { timeoutMs: -5 }).catch((x: unknown) => x);
    expect(bad).toMatchObject({ status: 400, code: "InvalidRequest", field: "timeout_ms" });
  });

  test("a 404 becomes a FaasError: unknown function and unknown task", async () => {
    const e = await faas.execute("no-such-function", [1]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FaasError);
    expect(e).toMatchObject({ status: 404, code: "UnknownFunction" });
    expect((e as FaasError).message).toContain("no-such-function");
    const t = await faas.status("no-such-task").catch((x: unknown) => x);
    expect(t).toMatchObject({ status: 404, code: "UnknownTask" });
  });

  test("unserializable args are rejected before any request is sent", async () => {
    const id = await faas.register((x: unknown) => x);
    calls.length = 0;
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const [args, says] of [
      [[1n], "args[0] is a bigint"],
      [[{ a: [() => 1] }], "args[0].a[0] is a function"],
      [[cyclic], "circular"],
      [[NaN], "NaN"],
      [{ 0: 1 }, "must be an array"],
      ["[1]", "must be an array"],
    ] as const) {
      const e = await faas.execute(id, args as unknown as unknown[]).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(TypeError);
      expect((e as TypeError).message).toContain(says);
    }
    const b = await faas.executeBatch(id, [[1], [2], [Symbol("s")]]).catch((x: unknown) => x);
    expect((b as TypeError).message).toContain("argsList[2]");
    expect(calls).toEqual([]);
    expect(await faas.run(id, [{ when: new Date(0) }])).toEqual({ when: "1970-01-01T00:00:00.000Z" });
  });

  test("health answers ok", async () => {
    expect(await faas.health()).toMatchObject({ status: "ok" });
  });
});
