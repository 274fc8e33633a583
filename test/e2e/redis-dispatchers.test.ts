/**
 * Two dispatchers on one queue at the same time (real processes, private redis-server): every task
 * runs exactly once, and a task that runs for 20 s on a live dispatcher is never taken over by the
 * other, although the other looks for dead dispatchers' tasks every second.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { awaitAll, call, register, submit } from "../../scripts/lib/http.ts";
import { withLogs } from "../../scripts/lib/processes.ts";
import { tempDir } from "../../scripts/lib/temp-dirs.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { useRedisStack } from "../helpers/redis-stack.ts";

const stack = useRedisStack("e2e-two");

// Each run appends "<dispatcher pid> <i>" (executor threads share their dispatcher's pid).
const RECORDED = `async (log, i) => {
  process.getBuiltinModule("node:fs").appendFileSync(log, process.pid + " " + i + "\\n");
  await new Promise((r) => setTimeout(r, 5));
  return i;
}`;
const LONG = `async (log) => {
  process.getBuiltinModule("node:fs").appendFileSync(log, "long\\n");
  await new Promise((r) => setTimeout(r, 20000));
  return 1;
}`;

test("two live dispatchers: 2,000 tasks each run exactly once; a 20 s task is never run twice", async () => {
  await withLogs(async () => {
    const dir = tempDir("two");
    const log = join(dir, "runs.log");
    const longLog = join(dir, "long.log");
    writeFileSync(log, "");
    writeFileSync(longLog, "");
    const a = stack.dispatcherProcess(["--workers", "1", "--liveness", "1s"]);
    const b = stack.dispatcherProcess(["--workers", "1", "--liveness", "1s"]);

    const longFn = await register(stack.api.url, LONG, { timeout_ms: 60_000 });
    const long = await call(`${stack.api.url}/execute_function`, { function_id: longFn, payload: JSON.stringify([longLog]) });
    expect(long.status).toBe(201);
    const longId = long.body.task_id as string;
    await waitFor(() => readFileSync(longLog, "utf8").length > 0, "the long task to start");

    const fid = await register(stack.api.url, RECORDED);
    const ids = await submit(stack.api.url, fid, Array.from({ length: 2000 }, (_, i) => JSON.stringify([log, i])));
    const done = await awaitAll(stack.api.url, ids, 60_000);
    expect(ids.map((id) => done.get(id)?.result)).toEqual(ids.map((_, i) => String(i)));

    const lines = readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => l.split(" "));
    const perTask = new Map<string, number>();
    for (const [, i] of lines) perTask.set(i as string, (perTask.get(i as string) ?? 0) + 1);
    expect(perTask.size).toBe(2000);
    expect([...perTask.values()].every((n) => n === 1)).toBe(true);
    const pids = new Set(lines.map(([pid]) => Number(pid)));
    expect(pids).toEqual(new Set([a.proc.pid, b.proc.pid])); // both took part

    const [longDone] = [...(await awaitAll(stack.api.url, [longId], 45_000)).values()];
    expect(longDone?.status).toBe("COMPLETED");
    expect(readFileSync(longLog, "utf8")).toBe("long\n");
    const record = JSON.parse((await stack.admin.get(`${stack.target.prefix}:task:${longId}`)) as string) as { attempt: number };
    expect(record.attempt).toBe(1);
  });
}, 60_000);
