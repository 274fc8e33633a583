/**
 * Pull and push modes with real processes where something is killed: a private redis-server, the API
 * (in this process), a dispatcher process in --mode push (then pull) and two `bun run worker`
 * processes. A worker killed -9 mid-run has its tasks retried (attempt 2) on the other; a dispatcher
 * killed -9 and started again on the same port gets the workers back and completes new tasks. (Tasks
 * completing in both modes without kills: test/app/remote-modes.test.ts, in one process.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { awaitAll, register, submit } from "../../scripts/lib/http.ts";
import { countEvents, eventValues, spawnEntry, withLogs, type Managed } from "../../scripts/lib/processes.ts";
import { freePort } from "../../scripts/lib/ports.ts";
import { tempDir } from "../../scripts/lib/temp-dirs.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { spawnDispatcher, useRedisStack } from "../helpers/redis-stack.ts";

const stack = useRedisStack("e2e-remote");
const HEARTBEATS = ["--heartbeat", "250ms"];

function startRemoteDispatcher(mode: "push" | "pull", port: number): Managed {
  return spawnDispatcher(stack.target, ["--mode", mode, "--host", "127.0.0.1", "--port", String(port), ...HEARTBEATS, "--worker-timeout", "2s", "--liveness", "1s"]);
}

function startWorkerProcess(mode: "push" | "pull", url: string): Managed {
  return spawnEntry("worker", ["--mode", mode, "--url", url, "--procs", "1", "--isolation", "thread", ...HEARTBEATS, "--dispatcher-timeout", "2s"], {}, `worker-${mode}`);
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
      dispatcher = startRemoteDispatcher(mode, port);
      const url = `tcp://127.0.0.1:${port}`;
      workers = [0, 1].map(() => startWorkerProcess(mode, url));
      await waitFor(() => eventValues(dispatcher.log, "worker.registered", "worker").size === 2, "both workers to register", 15_000, 25);
    });

    afterAll(async () => {
      for (const p of [dispatcher, ...workers]) if (p.proc.exitCode === null) await p.kill("SIGKILL");
    });

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
        dispatcher = startRemoteDispatcher(mode, port);
        await waitFor(() => countEvents(dispatcher.log, "worker.registered") >= 1, "the surviving worker to register with the new dispatcher", 15_000, 25);
        const fid = await register(stack.api.url, "(i) => i + 1");
        const ids = await submit(stack.api.url, fid, Array.from({ length: 100 }, (_, i) => `[${i}]`));
        const done = await awaitAll(stack.api.url, ids, 30_000);
        expect(ids.map((id) => done.get(id)?.result)).toEqual(ids.map((_, i) => String(i + 1)));
        expect(survivor.proc.exitCode).toBeNull();
        // and it stops cleanly: the worker says bye, both exit 0
        expect(await survivor.kill("SIGTERM")).toBe(0);
        await waitFor(() => countEvents(dispatcher.log, "worker.gone") >= 1, "the dispatcher to hear the bye");
        expect(await dispatcher.kill("SIGINT")).toBe(0);
      });
    }, 60_000);
  });
}
