/**
 * `--max-result-bytes` through REST in every mode: a result whose JSON text is longer than the limit
 * ends FAILED `ResultTooLarge` (not retried) and is counted in GET /metrics under that label, while a
 * result under the limit completes. Embedded; on Redis with a local dispatcher; with push and pull
 * workers, where the worker's executor finds the result too large and the `too-large` outcome crosses
 * ZMTP to the dispatcher, which fails the task.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { call, register } from "../../scripts/lib/http.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { parsePrometheus } from "../helpers/prometheus-text.ts";
import { startApiHere, startDispatcherHere, startEmbeddedHere, startWorkerHere, stopAllHere } from "../helpers/roots.ts";

setDefaultTimeout(20_000);
const LIMIT = ["--max-result-bytes", "1kb"];

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await stopAllHere();
  await redis?.[Symbol.asyncDispose]();
});

const modes: Record<string, () => Promise<string>> = {
  embedded: async () => startEmbeddedHere({ maxResultBytes: 1024 }).url,
  "redis, local dispatcher": async () => {
    const target = { url: redis.url, prefix: "too-large-local" };
    await startDispatcherHere(target, LIMIT);
    return (await startApiHere(target)).url;
  },
  "redis, push worker": async () => remote("push"),
  "redis, pull worker": async () => remote("pull"),
};

/** The limit is the worker's: its executor judges the result, the dispatcher only hears `too-large`. */
async function remote(mode: "push" | "pull"): Promise<string> {
  const target = { url: redis.url, prefix: `too-large-${mode}` };
  const d = await startDispatcherHere(target, ["--mode", mode]);
  startWorkerHere(["--mode", mode, "--url", d.endpoint as string, ...LIMIT]);
  await waitFor(() => d.log.count("worker.registered") > 0, "the worker to register");
  return (await startApiHere(target)).url;
}

for (const [mode, start] of Object.entries(modes)) {
  describe(`--max-result-bytes, ${mode}`, () => {
    test("a result over the limit ends FAILED ResultTooLarge, counted in /metrics; one under it completes", async () => {
      const url = await start();
      const fid = await register(url, "(n) => 'x'.repeat(n)", { max_attempts: 3 });
      const run = async (n: number) => {
        const { body } = await call(`${url}/execute_function`, { function_id: fid, payload: `[${n}]` });
        return (await call(`${url}/result/${body.task_id}?wait=15`)).body;
      };
      expect(await run(1000)).toMatchObject({ status: "COMPLETED", result: JSON.stringify("x".repeat(1000)) });
      const big = await run(4096);
      expect(big.status).toBe("FAILED");
      const error = JSON.parse(big.result);
      expect(error.name).toBe("ResultTooLarge");
      expect(error.message).toContain("1024 byte limit");
      const detail = (await call(`${url}/tasks/${big.task_id}`)).body;
      expect(detail).toMatchObject({ status: "FAILED", attempt: 1, error: { name: "ResultTooLarge" } }); // final: no attempt of the 3 retried
      expect(detail.attempts.length).toBe(1);
      const failures = async () => parsePrometheus((await call(`${url}/metrics`)).body as string).value("faas_task_failures_total", { error: "ResultTooLarge" });
      await waitFor(async () => (await failures()) === 1, "faas_task_failures_total{error=\"ResultTooLarge\"} to be 1");
    });
  });
}
