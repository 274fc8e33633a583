/**
 * The SDK's operators' calls (`faas.ops`) against the embedded server: list (filters, every page with
 * allTasks), detail with parsed arguments and result, retry (a 409 FaasError the second time),
 * retryAll, workers; and what the detail says of a delayed task with `after` and a retry policy (run
 * at, retries, the dependencies, how many it still waits for, each attempt's outcome and error).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { FaasClient, FaasError } from "../../src/client/index.ts";
import { startEmbeddedHere, stopAllHere } from "../helpers/roots.ts";

let faas: FaasClient;
beforeAll(() => {
  faas = new FaasClient(startEmbeddedHere().url);
});
afterAll(() => stopAllHere());

describe("faas.ops", () => {
  test("tasks, allTasks, task, retry, retryAll and workers", async () => {
    const half = await faas.register((x: number) => {
      if (x % 2 === 1) throw new RangeError(`odd ${x}`);
      return { half: x / 2 };
    }, { name: "half" });
    const ids = await faas.executeBatch(half, [[1], [2], [3], [4], [5]]);
    await faas.wait(ids);
    const failed = await faas.ops.tasks({ status: "FAILED", functionId: half });
    expect(failed.tasks.map((t) => t.taskId).sort()).toEqual([ids[0] as string, ids[2] as string, ids[4] as string].sort());
    expect(failed.tasks[0]).toMatchObject({ functionName: "half", status: "FAILED", errorName: "RangeError", attempt: 1 });
    expect(failed.nextCursor).toBeNull();
    const all: string[] = [];
    for await (const t of faas.ops.allTasks({ functionId: half, limit: 2 })) all.push(t.taskId);
    expect(all.sort()).toEqual([...ids].sort());

    const done = await faas.ops.task(ids[1] as string);
    expect(done).toMatchObject({ taskId: ids[1], status: "COMPLETED", args: [2], result: { half: 1 }, error: null, functionName: "half" });
    expect(done.attempts).toEqual([{ attempt: 1, startedAt: expect.any(String), endedAt: expect.any(String), outcome: "COMPLETED", ranOn: expect.stringContaining("executor") }]);
    const bad = await faas.ops.task(ids[0] as string);
    expect(bad.error).toMatchObject({ name: "RangeError", message: "odd 1" });
    expect(bad.error?.stack).toContain("RangeError: odd 1");

    const rerun = await faas.ops.retry(ids[0] as string);
    expect((await faas.wait([rerun])).get(rerun)?.status).toBe("FAILED");
    expect((await faas.ops.task(rerun)).retryOf).toBe(ids[0]);
    const refused = await faas.ops.retry(ids[0] as string).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FaasError);
    expect([(refused as FaasError).status, (refused as FaasError).code]).toEqual([409, "NotRetriable"]);
    expect(await faas.ops.retryAll({ status: "FAILED", functionId: half })).toEqual({ retried: 3, more: false }); // ids[2], ids[4] and the re-run

    const [d] = await faas.ops.workers();
    expect(d).toMatchObject({ dispatcherId: "embedded", mode: "embedded", claiming: true, executors: { isolation: "thread", max: 2 }, workers: [] });
  });

  test("task(): runAt, retries, after, waitingFor, and each attempt's outcome (RETRIED) and error", async () => {
    // a probe: GET /hold answers once released; GET /hit counts calls
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let held = 0;
    let hits = 0;
    using probe = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(req) {
        if (new URL(req.url).pathname === "/hold") {
          held++;
          await gate;
          return Response.json("released");
        }
        return Response.json(++hits);
      },
    });
    const base = `http://127.0.0.1:${probe.port}`;
    const hold = await faas.register("async (base) => (await fetch(base + '/hold')).json()", { name: "hold" });
    // fails with a RangeError the first time, succeeds the second
    const flaky = await faas.register("async (base, prev) => { const n = await (await fetch(base + '/hit')).json(); if (n < 2) throw new RangeError('first try ' + n); return prev + ' then ' + n }", { name: "flaky", retry: { maxRetries: 2, backoffMs: 10, factor: 1 } });
    const dep = await faas.execute(hold, [base]);
    await waitFor(() => held === 1, "the dependency to run");
    const id = await faas.execute(flaky, [base], { after: [dep], argsFrom: "results", delayMs: 300 });
    const waiting = await faas.ops.task(id);
    expect(waiting).toMatchObject({ status: "QUEUED", after: [dep], waitingFor: 1, retries: 0, attempts: [] });
    expect(Date.parse(waiting.runAt) - Date.parse(waiting.createdAt)).toBeGreaterThanOrEqual(300);
    release();
    expect((await faas.wait([id], { timeoutS: 20 })).get(id)?.status).toBe("COMPLETED");
    const done = await faas.ops.task(id);
    expect(done).toMatchObject({ status: "COMPLETED", result: "released then 2", after: [dep], retries: 1 });
    expect(done.attempts.map((a) => [a.outcome, a.error])).toEqual([
      ["RETRIED", { name: "RangeError", message: "first try 1" }],
      ["COMPLETED", undefined],
    ]);
    // the first attempt no sooner than the delay; the retry moved run_at past it (its backoff), and the second attempt waited for that
    const [first, second] = done.attempts.map((a) => Date.parse(a.startedAt)) as [number, number];
    expect(first).toBeGreaterThanOrEqual(Date.parse(waiting.runAt));
    expect(Date.parse(done.runAt)).toBeGreaterThan(first);
    expect(second).toBeGreaterThanOrEqual(Date.parse(done.runAt));
  });
});
