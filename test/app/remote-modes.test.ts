/**
 * Pull and push modes with every root in this process: a private redis-server, the API, a dispatcher
 * in --mode push (then pull) and two workers talking ZMTP on loopback. Tasks complete with the right
 * results, each on its first attempt, and both workers take part.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { awaitAll, register, submit } from "../../scripts/lib/http.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { useRedisStack } from "../helpers/redis-stack.ts";
import { startApiHere, startDispatcherHere, startWorkerHere, stopAllHere } from "../helpers/roots.ts";
import type { WorkerHandle } from "../../src/app/roots/worker.ts";

const stack = useRedisStack("app-remote");

for (const mode of ["push", "pull"] as const) {
  describe(`--mode ${mode}`, () => {
    const workers: WorkerHandle[] = [];
    beforeAll(async () => {
      const d = await startDispatcherHere({ ...stack.target, prefix: `app-remote-${mode}` }, ["--mode", mode]);
      for (let i = 0; i < 2; i++) workers.push(startWorkerHere(["--mode", mode, "--url", d.endpoint as string]));
      await waitFor(() => d.log.distinct("worker.registered", "worker").size === 2, "both workers to register", 15_000);
    });
    afterAll(() => stopAllHere());

    test("300 tasks all complete with the right results, on their first attempt", async () => {
      const target = { ...stack.target, prefix: `app-remote-${mode}` };
      const api = await startApiHere(target);
      const fid = await register(api.url, "(i) => i * 2");
      const ids = await submit(api.url, fid, Array.from({ length: 300 }, (_, i) => `[${i}]`));
      const done = await awaitAll(api.url, ids, 30_000);
      expect(ids.map((id) => done.get(id)?.status)).toEqual(ids.map(() => "COMPLETED"));
      expect(ids.map((id) => done.get(id)?.result)).toEqual(ids.map((_, i) => String(i * 2)));
      const records = await stack.admin.mget(ids.map((id) => `${target.prefix}:task:${id}`));
      expect(records.map((j) => (JSON.parse(j as string) as { attempt: number }).attempt)).toEqual(ids.map(() => 1));
      expect(workers.map((w) => w.agent.received > 0)).toEqual([true, true]);
      expect(workers[0]!.agent.received + workers[1]!.agent.received).toBe(300);
    }, 40_000);
  });
}
