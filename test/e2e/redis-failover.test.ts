/**
 * Real processes on a private redis-server: a dispatcher is killed with SIGKILL while it runs tasks;
 * a new one takes over what it left (as new attempts) and every task completes.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { awaitAll, call, register, startDispatcher, submit, tempDir, withLogs } from "../helpers/processes.ts";
import { useRedisStack } from "../helpers/redis-stack.ts";
import { waitFor } from "../helpers/wait-for.ts";

const stack = useRedisStack("e2e-failover");

// Tasks 0-99 return at once; the others wait for the gate file, so the first dispatcher is certainly
// in the middle of them when it is killed. Every start of a task is logged to a file.
const GATED = `async (gate, log, i) => {
  const fs = process.getBuiltinModule("node:fs");
  fs.appendFileSync(log, i + "\\n");
  while (i >= 100 && !fs.existsSync(gate)) await new Promise((r) => setTimeout(r, 10));
  return i;
}`;

test("500 tasks: the dispatcher is killed -9 mid-run, a new one completes every task", async () => {
  await withLogs(async () => {
    const dir = tempDir("failover");
    const gate = join(dir, "gate");
    const log = join(dir, "runs.log");
    writeFileSync(log, "");
    const fid = await register(stack.api.url, GATED);
    const ids = await submit(stack.api.url, fid, Array.from({ length: 500 }, (_, i) => JSON.stringify([gate, log, i])));
    const first = startDispatcher(stack.target, ["--workers", "1", "--liveness", "1s"]);
    const starts = (): string[] => readFileSync(log, "utf8").split("\n").filter(Boolean);
    // The 100 quick tasks done, and every task it claimed since then started (held at the gate).
    await awaitAll(stack.api.url, ids.slice(0, 100));
    await waitFor(
      async () => {
        const queued = (await call(`${stack.api.url}/healthz`)).body.queued as number;
        const started = starts().length;
        return started > 100 && started === 500 - queued;
      },
      "the first dispatcher to be running gated tasks",
      30_000,
    );
    expect(existsSync(gate)).toBe(false);
    await first.kill("SIGKILL");
    const runningWhenKilled = starts().slice(100).map(Number);
    expect(runningWhenKilled.length).toBeGreaterThan(0);

    writeFileSync(gate, "open");
    startDispatcher(stack.target, ["--workers", "2", "--liveness", "1s"]);
    const done = await awaitAll(stack.api.url, ids, 60_000);
    expect(ids.map((id) => done.get(id)?.status)).toEqual(ids.map(() => "COMPLETED"));
    expect(ids.map((id) => done.get(id)?.result)).toEqual(ids.map((_, i) => String(i)));

    // The killed dispatcher's tasks were taken over as second attempts; nothing else ran twice.
    const records = (await stack.admin.mget(ids.map((id) => `${stack.target.prefix}:task:${id}`))).map((j) => JSON.parse(j as string) as { attempt: number });
    const secondAttempts = ids.flatMap((_, i) => (records[i]!.attempt === 2 ? [i] : []));
    expect(secondAttempts.sort((a, b) => a - b)).toEqual(runningWhenKilled.sort((a, b) => a - b));
    expect(records.every((r) => r.attempt === 1 || r.attempt === 2)).toBe(true);
    const runs = new Map<number, number>();
    for (const i of starts().map(Number)) runs.set(i, (runs.get(i) ?? 0) + 1);
    expect(runs.size).toBe(500);
    expect([...runs].filter(([, n]) => n > 1).map(([i]) => i).sort((a, b) => a - b)).toEqual(runningWhenKilled.sort((a, b) => a - b));
  });
}, 90_000);
