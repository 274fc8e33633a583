/**
 * Graceful shutdown with real processes and signals: SIGTERM reaches the server when started with
 * `npm start`; the embedded server answers waiting long-polls and exits 0; a dispatcher lets running
 * tasks finish within --shutdown-grace and hands the rest back (QUEUED again, the attempt not counted);
 * a push worker does the same through its dispatcher; a second signal exits at once. The API process
 * (Redis mode) answers its long-polls and exits 0 too.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { call, register, submit } from "../../scripts/lib/http.ts";
import { processTree } from "../../src/adapters/executors/process-tree.ts";
import { countEvents, eventField, killAll, readLog, spawnEntry, spawnManaged, spawnServer } from "../../scripts/lib/processes.ts";
import { tempDir } from "../../scripts/lib/temp-dirs.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { spawnDispatcher, useRedisStack } from "../helpers/redis-stack.ts";
import { startApiHere, startDispatcherHere, startWorkerHere } from "../helpers/roots.ts";

const stack = useRedisStack("e2e-shutdown");
afterAll(() => killAll());

/** Waits for a gate file, then returns its argument. */
/** Waits for its gate file; says it started by writing `<gate>.started`. */
const GATED = `async (gate, x) => { const fs = process.getBuiltinModule("node:fs"); fs.writeFileSync(gate + ".started", ""); while (!fs.existsSync(gate)) await new Promise((r) => setTimeout(r, 10)); return x }`;
const SLEEP = `async (ms) => { await new Promise((r) => setTimeout(r, ms)); return ms }`;

/** A process is gone when /proc has no entry for it (a zombie still answers kill -0). */
function gone(pid: number): boolean {
  return !existsSync(`/proc/${pid}/status`);
}

async function record(id: string, prefix = stack.target.prefix): Promise<{ status: string; attempt: number; handbacks: number }> {
  return JSON.parse((await stack.admin.get(`${prefix}:task:${id}`)) as string);
}

describe("signals", () => {
  test("npm start: SIGTERM to npm reaches the server, which stops cleanly", async () => {
    const npm = spawnManaged(["npm", "start", "--", "--port", "0", "--workers", "1"], {}, "npm-start");
    const url = await waitFor(() => eventField(readLog(npm.log), "embedded.listening", "url"), "the server to listen", 20_000, 25);
    const [, server] = await waitFor(() => {
      const tree = processTree(npm.proc.pid); // npm, then its child first
      return tree.length > 1 ? tree : undefined;
    }, "npm's child");
    expect((await call(`${url}/healthz`)).status).toBe(200);
    npm.proc.kill("SIGTERM");
    await npm.proc.exited;
    await waitFor(() => gone(server as number), `the server (pid ${server}) to be gone`, 10_000);
    expect(countEvents(npm.log, "stopped")).toBe(1);
  }, 30_000);

  test("embedded: SIGTERM answers waiting long-polls with the current status and exits 0; a second signal exits at once", async () => {
    const dir = tempDir("shutdown");
    const server = await spawnServer("start", ["--workers", "1", "--shutdown-grace", "30s"]);
    const fid = await register(server.url, GATED);
    const [id] = await submit(server.url, fid, [JSON.stringify([join(dir, "never"), 1])]);
    await waitFor(async () => (await call(`${server.url}/status/${id}`)).body.status === "RUNNING", "the task to run");
    const longPoll = call(`${server.url}/result/${id}?wait=60`, undefined, { signal: AbortSignal.timeout(70_000) });
    await waitFor(async () => /^faas_waiting_requests 1$/m.test((await call(`${server.url}/metrics`)).body as string), "the long-poll to wait");
    server.proc.kill("SIGTERM");
    expect((await longPoll).body).toEqual({ task_id: id, status: "RUNNING", result: null }); // answered, not cut
    // the running task has a 30 s grace; a second signal does not wait for it
    await waitFor(() => countEvents(server.log, "stopping") === 1, "the first signal to be taken");
    server.proc.kill("SIGTERM");
    expect(await server.proc.exited).toBe(1);
    expect(countEvents(server.log, "stopping.forced")).toBe(1);
  }, 30_000);
});

describe("the API process (Redis mode)", () => {
  test("bun src/app/api.ts: SIGTERM answers waiting long-polls (GET /result?wait, POST /wait, execute?wait) with the current status and exits 0 well within the grace", async () => {
    const dir = tempDir("api-shutdown");
    const target = { ...stack.target, prefix: "e2e-shutdown-api" };
    const env = { REDIS_URL: target.url, FAAS_PREFIX: target.prefix };
    const api = await spawnServer("api", ["--shutdown-grace", "8s"], env);
    await startDispatcherHere(target, ["--workers", "1"]);
    const fid = await register(api.url, GATED);
    // RUNNING: held by its gate on the dispatcher; QUEUED: not due for an hour
    const [running] = await submit(api.url, fid, [JSON.stringify([join(dir, "never"), 1])]);
    await waitFor(() => existsSync(join(dir, "never.started")), "the gated task to run", 15_000);
    const queued = (await call(`${api.url}/execute_function`, { function_id: fid, payload: JSON.stringify([join(dir, "later"), 2]), delay_ms: 3_600_000 })).body.task_id as string;
    const long = { signal: AbortSignal.timeout(40_000) };
    const polls = [
      call(`${api.url}/result/${running}?wait=30`, undefined, long),
      call(`${api.url}/result/${queued}?wait=30`, undefined, long),
      call(`${api.url}/wait`, { task_ids: [running, queued], timeout_s: 30 }, long),
      call(`${api.url}/execute_function?wait=30`, { function_id: fid, payload: JSON.stringify([join(dir, "later-too"), 3]), delay_ms: 3_600_000 }, long),
    ] as const;
    await waitFor(async () => /^faas_waiting_requests 4$/m.test((await call(`${api.url}/metrics`)).body as string), "the 4 long-polls to wait", 15_000);
    const signalled = performance.now();
    api.proc.kill("SIGTERM");
    const [byRunning, byQueued, byWait, byExecute] = await Promise.all(polls);
    expect(byRunning).toMatchObject({ status: 200, body: { task_id: running, status: "RUNNING", result: null } });
    expect(byQueued).toMatchObject({ status: 200, body: { task_id: queued, status: "QUEUED", result: null } });
    expect(byWait.status).toBe(200);
    expect(byWait.body).toMatchObject({ results: [], unknown: [] });
    expect([...byWait.body.pending].sort()).toEqual([running, queued].sort());
    expect(byExecute).toMatchObject({ status: 201, body: { status: "QUEUED", result: null } });
    expect(await api.proc.exited).toBe(0);
    // the API holds no tasks: it does not wait out the 8 s grace (the HTTP server gets 1 s to drain)
    expect(performance.now() - signalled).toBeLessThan(8_000);
    expect([countEvents(api.log, "stopping"), countEvents(api.log, "stopped")]).toEqual([1, 1]);
    // the tasks are untouched: still there, as they were, for the next API process
    expect((await record(running as string, target.prefix)).status).toBe("RUNNING");
    expect((await record(queued, target.prefix)).status).toBe("QUEUED");
  }, 40_000);
});

describe("embedded: queued tasks live in memory", () => {
  test("SIGTERM with tasks that cannot all run logs embedded.tasks_lost with how many were lost, and exits 0", async () => {
    const dir = tempDir("tasks-lost");
    const server = await spawnServer("start", ["--workers", "1", "--shutdown-grace", "200ms"]);
    const start = JSON.parse(readLog(server.log).split("\n").find((l) => l.includes('"embedded.listening"')) as string);
    expect(start).toMatchObject({ event: "embedded.listening", mode: "embedded", backend: "memory", url: server.url, workers: 1 });
    const fid = await register(server.url, GATED);
    const [first] = await submit(server.url, fid, [JSON.stringify([join(dir, "never"), 0])]);
    await waitFor(() => existsSync(join(dir, "never.started")), "the first task to run on the one executor", 15_000);
    // the one executor is held: these wait in the queue (or, claimed, in the executor) and cannot run
    const held = await submit(server.url, fid, [1, 2, 3, 4, 5].map((i) => JSON.stringify([join(dir, `never-${i}`), i])));
    expect((await call(`${server.url}/status/${first}`)).body.status).toBe("RUNNING");
    server.proc.kill("SIGTERM");
    expect(await server.proc.exited).toBe(0);
    const lines = readLog(server.log).split("\n").filter((l) => l.includes('"embedded.tasks_lost"')).map((l) => JSON.parse(l));
    // the running task, not done within the grace, is handed back to the queue: 1 + 5 tasks are lost
    expect(lines).toEqual([expect.objectContaining({ level: "warn", event: "embedded.tasks_lost", queued: 6, unfinished: expect.any(Number) })]);
    expect(lines[0].unfinished).toBeGreaterThanOrEqual(1);
  }, 30_000);
});

describe("dispatcher and worker hand back what they cannot finish", () => {
  test("a local dispatcher: a task that ends within --shutdown-grace completes; one that does not is handed back uncounted and runs again elsewhere", async () => {
    const dir = tempDir("drain");
    const gate = join(dir, "gate");
    const d = spawnDispatcher(stack.target, ["--workers", "1", "--shutdown-grace", "1500ms"]);
    const quick = await register(stack.api.url, SLEEP);
    const gated = await register(stack.api.url, GATED, { max_attempts: 1 });
    const [held] = await submit(stack.api.url, gated, [JSON.stringify([gate, "b"])]);
    await waitFor(async () => (await call(`${stack.api.url}/status/${held}`)).body.status === "RUNNING", "the gated task to run", 15_000);
    const [short] = await submit(stack.api.url, quick, ["[300]"]);
    await waitFor(async () => (await call(`${stack.api.url}/status/${short}`)).body.status === "RUNNING", "the short task to run", 15_000);
    d.proc.kill("SIGTERM");
    expect(await d.proc.exited).toBe(0);
    expect((await call(`${stack.api.url}/result/${short}`)).body).toMatchObject({ status: "COMPLETED", result: "300" });
    expect(await record(held as string)).toMatchObject({ status: "QUEUED", attempt: 1, handbacks: 1 });
    expect(countEvents(d.log, "dispatcher.handed_back")).toBe(1);
    // max_attempts is 1: a counted attempt would fail it; the hand-back did not count
    writeFileSync(gate, "");
    await startDispatcherHere(stack.target, ["--workers", "1"]);
    expect((await call(`${stack.api.url}/result/${held}?wait=20`, undefined, { signal: AbortSignal.timeout(30_000) })).body).toMatchObject({ status: "COMPLETED", result: '"b"' });
    expect(await record(held as string)).toMatchObject({ attempt: 2, handbacks: 1 });
  }, 40_000);

  test("a push worker: SIGTERM hands its unfinished job back through the dispatcher, and another worker completes it", async () => {
    const dir = tempDir("worker-drain");
    const gate = join(dir, "gate");
    const target = { ...stack.target, prefix: "e2e-shutdown-push" };
    const api = await startApiHere(target);
    const d = await startDispatcherHere(target, ["--mode", "push", "--heartbeat", "250ms"]);
    const w = spawnEntry("worker", ["--mode", "push", "--url", d.endpoint as string, "--procs", "1", "--isolation", "thread", "--shutdown-grace", "300ms"], {}, "worker-drain");
    await waitFor(() => d.log.count("worker.registered") === 1, "the worker to register", 15_000);
    const fid = await register(api.url, GATED, { max_attempts: 1 });
    const [id] = await submit(api.url, fid, [JSON.stringify([gate, "done"])]);
    // RUNNING means claimed; the job may still be on its way to the worker: wait until it runs there
    await waitFor(() => existsSync(`${gate}.started`), "the job to run on the worker", 15_000);
    w.proc.kill("SIGTERM");
    expect(await w.proc.exited).toBe(0);
    expect(countEvents(w.log, "worker.handed_back")).toBe(1);
    await waitFor(() => d.log.count("worker.draining") === 1, "the dispatcher to hear the drain");
    writeFileSync(gate, "");
    startWorkerHere(["--mode", "push", "--url", d.endpoint as string]);
    expect((await call(`${api.url}/result/${id}?wait=20`, undefined, { signal: AbortSignal.timeout(30_000) })).body).toMatchObject({ status: "COMPLETED", result: '"done"' });
    const rec = JSON.parse((await stack.admin.get(`${target.prefix}:task:${id}`)) as string);
    expect([rec.attempt, rec.handbacks]).toEqual([2, 1]);
  }, 40_000);
});
