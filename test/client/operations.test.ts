/**
 * The SDK's operators' calls (`faas.ops`) against the embedded server: list (filters, every page with
 * allTasks), detail with parsed arguments and result, retry (a 409 FaasError the second time),
 * retryAll, workers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
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
});
