/**
 * Pull and push modes with real processes: a private redis-server, `bun run api`, a dispatcher in
 * --mode push (then pull) and two `bun run worker` processes. Tasks complete with the right results;
 * a worker killed -9 mid-run has its tasks retried (attempt 2) on the other; a dispatcher killed -9 and
 * started again on the same port gets the workers back and completes new tasks.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { awaitAll, freePort, readLog, register, startRemoteDispatcher, startWorker, submit, tempDir, withLogs, type Managed } from "../helpers/processes.ts";
import { useRedisStack } from "../helpers/redis-stack.ts";
import { waitFor } from "../helpers/wait-for.ts";

const stack = useRedisStack("e2e-remote");
const FAST = ["--heartbeat", "200ms"];

/** How many "worker registered" lines the dispatcher has logged. */
function registrations(d: Managed): number {
  return readLog(d.log).split("\n").filter((l) => l.includes('"msg":"worker registered"')).length;
}

async function attempts(ids: readonly string[]): Promise<number[]> {
  const records = await stack.admin.mget(ids.map((id) => `${stack.target.prefix}:task:${id}`));
  return records.map((j) => (JSON.parse(j as string) as { attempt: number }).attempt);
}

// Each start is logged as "<worker pid> <i>"; the task then waits for the gate file.
const GATED = `async (gate, log, i) => {
  const fs = process.getBuiltinModule("node:fs");
  fs.appendFileSync(log, process.pid + " " + i + "\\n");
  while (!fs.existsSync(gate)) await new Promise((r) => setTimeout(r, 10));
  return i;
}`;

for (const mode of ["push", "pull"] as const) {
  describe(`--mode ${mode}`, () => {
    let port = 0;
    let dispatcher: Managed;
    let workers: Managed[] = [];

    beforeAll(async () => {
      port = freePort();
      dispatcher = startRemoteDispatcher(stack.target, mode, port, [...FAST, "--worker-timeout", "1s", "--liveness", "1s"]);
      const url = `tcp://127.0.0.1:${port}`;
      workers = [0, 1].map(() => startWorker(mode, url, ["--procs", "1", ...FAST, "--dispatcher-timeout", "1s"]));
      await waitFor(() => registrations(dispatcher) >= 2, "both workers to register", 15_000, 25);
    });

    afterAll(async () => {
      for (const p of [dispatcher, ...workers]) if (p.proc.exitCode === null) await p.kill("SIGKILL");
    });

    test("300 tasks all complete with the right results", async () => {
      await withLogs(async () => {
        const fid = await register(stack.api.url, "(i) => i * 2");
        const ids = await submit(stack.api.url, fid, Array.from({ length: 300 }, (_, i) => `[${i}]`));
        const done = await awaitAll(stack.api.url, ids, 30_000);
        expect(ids.map((id) => done.get(id)?.status)).toEqual(ids.map(() => "COMPLETED"));
        expect(ids.map((id) => done.get(id)?.result)).toEqual(ids.map((_, i) => String(i * 2)));
        expect(await attempts(ids)).toEqual(ids.map(() => 1));
      });
    }, 40_000);

    test("a worker killed -9 mid-run: its tasks are retried (attempt 2) and every task completes", async () => {
      await withLogs(async () => {
        const dir = tempDir(`remote-${mode}`);
        const gate = join(dir, "gate");
        const log = join(dir, "starts.log");
        writeFileSync(log, "");
        const fid = await register(stack.api.url, GATED);
        const ids = await submit(stack.api.url, fid, Array.from({ length: 40 }, (_, i) => JSON.stringify([gate, log, i])));
        const starts = (): [number, number][] => readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => l.split(" ").map(Number) as [number, number]);
        await waitFor(() => starts().length === 40, "all 40 tasks running (held at the gate)", 20_000, 25);
        const victim = workers[0]!;
        const onVictim = starts().filter(([pid]) => pid === victim.proc.pid).map(([, i]) => i);
        expect(onVictim.length).toBeGreaterThan(0); // both workers got work
        expect(onVictim.length).toBeLessThan(40);
        await victim.kill("SIGKILL");
        writeFileSync(gate, "open");
        const done = await awaitAll(stack.api.url, ids, 30_000);
        expect(ids.map((id) => done.get(id)?.status)).toEqual(ids.map(() => "COMPLETED"));
        expect(ids.map((id) => done.get(id)?.result)).toEqual(ids.map((_, i) => String(i)));
        const tries = await attempts(ids);
        expect(ids.flatMap((_, i) => (tries[i] === 2 ? [i] : [])).sort((a, b) => a - b)).toEqual(onVictim.sort((a, b) => a - b));
        expect(tries.every((t) => t === 1 || t === 2)).toBe(true);
      });
    }, 60_000);

    test("the dispatcher killed -9 and started again on the same port: workers register again, new tasks complete", async () => {
      await withLogs(async () => {
        const survivor = workers[1]!;
        expect(survivor.proc.exitCode).toBeNull();
        await dispatcher.kill("SIGKILL");
        dispatcher = startRemoteDispatcher(stack.target, mode, port, [...FAST, "--worker-timeout", "1s", "--liveness", "1s"]);
        await waitFor(() => registrations(dispatcher) >= 1, "the surviving worker to register with the new dispatcher", 15_000, 25);
        const fid = await register(stack.api.url, "(i) => i + 1");
        const ids = await submit(stack.api.url, fid, Array.from({ length: 100 }, (_, i) => `[${i}]`));
        const done = await awaitAll(stack.api.url, ids, 30_000);
        expect(ids.map((id) => done.get(id)?.result)).toEqual(ids.map((_, i) => String(i + 1)));
        expect(survivor.proc.exitCode).toBeNull();
        // and it stops cleanly: the worker says bye, both exit 0
        expect(await survivor.kill("SIGTERM")).toBe(0);
        await waitFor(() => readLog(dispatcher.log).includes("said bye"), "the dispatcher to hear the bye");
        expect(await dispatcher.kill("SIGINT")).toBe(0);
      });
    }, 60_000);
  });
}
