/**
 * Real processes on a private redis-server: a dispatcher is killed with SIGKILL while it runs tasks;
 * a new one takes over what it left (as new attempts) and every task completes.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { awaitAll, register, submit } from "../../scripts/lib/http.ts";
import { withLogs } from "../../scripts/lib/processes.ts";
import { tempDir } from "../../scripts/lib/temp-dirs.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { useRedisStack } from "../helpers/redis-stack.ts";
import { startDispatcherHere } from "../helpers/roots.ts";

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
    const first = stack.dispatcherProcess(["--workers", "1", "--liveness", "1s"]);
    const starts = (): string[] => readFileSync(log, "utf8").split("\n").filter(Boolean);
    const records = async (): Promise<{ status: string; attempt: number }[]> =>
      (await stack.admin.mget(ids.map((id) => `${stack.target.prefix}:task:${id}`))).map((j) => JSON.parse(j as string));
    // The 100 quick tasks done, and some gated ones started: the dispatcher is in the middle of them.
    await awaitAll(stack.api.url, ids.slice(0, 100));
    await waitFor(() => starts().length > 100, "the first dispatcher to be running gated tasks", 30_000);
    expect(existsSync(gate)).toBe(false);
    await first.kill("SIGKILL");
    // Frozen from here: what it had claimed (RUNNING in Redis) and what it had started.
    const claimedWhenKilled = (await records()).flatMap((r, i) => (r.status === "RUNNING" ? [i] : []));
    const runningWhenKilled = starts().slice(100).map(Number);
    expect(runningWhenKilled.length).toBeGreaterThan(0);
    expect(runningWhenKilled.every((i) => claimedWhenKilled.includes(i))).toBe(true);

    writeFileSync(gate, "open");
    await startDispatcherHere(stack.target, ["--workers", "2", "--liveness", "1s"]);
    const done = await awaitAll(stack.api.url, ids, 60_000);
    expect(ids.map((id) => done.get(id)?.status)).toEqual(ids.map(() => "COMPLETED"));
    expect(ids.map((id) => done.get(id)?.result)).toEqual(ids.map((_, i) => String(i)));

    // Everything the killed dispatcher had claimed was taken over as a second attempt; nothing else was;
    // and only what it had started ran twice.
    const final = await records();
    const secondAttempts = ids.flatMap((_, i) => (final[i]!.attempt === 2 ? [i] : []));
    expect(secondAttempts.sort((a, b) => a - b)).toEqual(claimedWhenKilled.sort((a, b) => a - b));
    expect(final.every((r) => r.attempt === 1 || r.attempt === 2)).toBe(true);
    const runs = new Map<number, number>();
    for (const i of starts().map(Number)) runs.set(i, (runs.get(i) ?? 0) + 1);
    expect(runs.size).toBe(500);
    expect([...runs].filter(([, n]) => n > 1).map(([i]) => i).sort((a, b) => a - b)).toEqual(runningWhenKilled.sort((a, b) => a - b));
  });
}, 90_000);
