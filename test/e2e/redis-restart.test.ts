/**
 * Redis with `--appendonly yes --appendfsync always` is killed with SIGKILL in the middle of a run
 * and restarted: while it is down the API answers 503 with the error shape (it neither hangs nor
 * crashes); once it is back the API and the dispatcher carry on, and every task that got a 201
 * completes, including those submitted while Redis was going down and those running at the time.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { awaitAll, call, register, submit } from "../../scripts/lib/http.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { removeTempDirs, tempDir } from "../../scripts/lib/temp-dirs.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { startApiHere, startDispatcherHere, stopAllHere } from "../helpers/roots.ts";

let redis: RedisServer;
let api: { url: string };
setDefaultTimeout(30_000); // processes start slowly on a busy machine
const target = { url: "", prefix: "e2e-restart" };

beforeAll(async () => {
  redis = await startRedisServer({ args: ["--appendonly", "yes", "--appendfsync", "always"] });
  target.url = redis.url;
  api = await startApiHere(target);
});

afterAll(async () => {
  await stopAllHere();
  await redis?.[Symbol.asyncDispose]();
  removeTempDirs();
});

const GATED = `async (gate, i) => {
  const fs = process.getBuiltinModule("node:fs");
  while (!fs.existsSync(gate)) await new Promise((r) => setTimeout(r, 10));
  return i;
}`;

test("Redis killed -9 and restarted mid-run: 503 while down, then every accepted task completes", async () => {
  {
    const gate = join(tempDir("restart"), "gate");
    const fid = await register(api.url, GATED);
    const accepted = await submit(api.url, fid, Array.from({ length: 200 }, (_, i) => JSON.stringify([gate, i])));
    await startDispatcherHere(target, ["--workers", "1", "--liveness", "1s"]);
    // Some tasks are running (held at the gate), the rest still queued.
    await waitFor(async () => {
      const queued = (await call(`${api.url}/healthz`)).body.queued as number;
      return queued > 0 && queued < 200;
    }, "the dispatcher to be running some of the tasks");

    // A client keeps submitting while Redis goes down and comes back; what got 201 must complete.
    let submitting = true;
    const statuses: number[] = [];
    let n = 200;
    const submitter = (async () => {
      while (submitting) {
        const r = await call(`${api.url}/execute_batch`, { function_id: fid, payloads: [JSON.stringify([gate, n]), JSON.stringify([gate, n + 1])] });
        statuses.push(r.status);
        if (r.status === 201) {
          accepted.push(...(r.body.task_ids as string[]));
          n += 2;
        } else {
          // 503: Redis unreachable, nothing done; 504: the connection dropped while this very call was
          // in flight, so it may or may not have been stored (either way the client gets no ids).
          expect([r.status, r.body.error]).toEqual(r.status === 504 ? [504, "BackendTimeout"] : [503, "BackendUnavailable"]);
          await new Promise((r) => setTimeout(r, 20)); // pace the retries of this client
        }
      }
    })();
    await waitFor(() => statuses.filter((s) => s === 201).length >= 5, "some submissions before the crash");
    await redis.stop({ kill: true });

    const health = await call(`${api.url}/healthz`);
    expect(health.status).toBe(503);
    expect(health.body.error).toBe("BackendUnavailable");
    const result = await call(`${api.url}/result/${accepted[0]}?wait=5`);
    expect(result.status).toBe(503);
    expect(Object.keys(result.body).sort()).toEqual(["error", "message"]);
    await waitFor(() => statuses.includes(503), "a submission refused with 503 while Redis is down");

    await redis.restart();
    await waitFor(async () => (await call(`${api.url}/healthz`)).status === 200, "the api to reach Redis again", 15_000);
    const before = statuses.length;
    await waitFor(() => statuses.slice(before).filter((s) => s === 201).length >= 5, "submissions accepted again");
    submitting = false;
    await submitter;

    writeFileSync(gate, "open");
    const done = await awaitAll(api.url, accepted, 60_000);
    const results = accepted.map((id) => done.get(id));
    expect(results.filter((t) => t?.status !== "COMPLETED")).toEqual([]);
    expect(new Set(results.map((t) => t?.result)).size).toBe(accepted.length);
  }
}, 90_000);

test("Redis restarted EMPTY under a running api and dispatcher: /healthz recovers, a vanished function is 404 at once, and new tasks complete without restarting anything", async () => {
  const t = { url: "", prefix: "e2e-empty" };
  await using empty = await startRedisServer(); // no persistence: a restart loses everything
  t.url = empty.url;
  const a = await startApiHere(t);
  const d = await startDispatcherHere(t, ["--workers", "1", "--liveness", "1s", "--health-port", "0"]);
  const health = async (): Promise<number> => (await fetch(d.healthUrl as string)).status;
  expect(await health()).toBe(200);
  await using _api = { [Symbol.asyncDispose]: () => a.stop() };
  const before = await register(a.url, "(x) => x + 1");
  const [first] = await submit(a.url, before, ["[1]"]);
  expect((await awaitAll(a.url, [first as string])).get(first as string)?.result).toBe("2");

  await empty.stop({ kill: true });
  await waitFor(async () => (await health()) === 503, "the dispatcher's /healthz to say it is not claiming", 15_000, 50);
  expect(((await (await fetch(d.healthUrl as string)).json()) as { claiming: boolean }).claiming).toBe(false);
  await empty.restart();
  await waitFor(async () => (await call(`${a.url}/healthz`)).status === 200, "the api to reach the new Redis", 15_000, 50);
  // The API still caches the function, but Redis lost it: execute is refused at once, nothing queued.
  const gone = await call(`${a.url}/execute_function`, { function_id: before, payload: "[1]" });
  expect([gone.status, gone.body.error]).toEqual([404, "UnknownFunction"]);
  expect((await call(`${a.url}/healthz`)).body.queued).toBe(0);

  const after = await register(a.url, "(x) => x * 10");
  const [next] = await submit(a.url, after, ["[4]"]);
  const done = await awaitAll(a.url, [next as string], 20_000);
  expect(done.get(next as string)).toMatchObject({ status: "COMPLETED", result: "40" });
  await waitFor(async () => (await health()) === 200, "the dispatcher's /healthz to say it claims again", 15_000, 50);
  await d.stop();
}, 60_000);
