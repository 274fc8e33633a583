/**
 * Where one task's time goes between the processes (not a test): starts its own redis-server, `bun run
 * api` and a dispatcher (local with 2 executor threads, or push/pull with 2 `bun run worker`
 * processes), or only `bun run start` with 2 executor threads (embedded: no Redis, so only the API's
 * and the executor pool's marks), all with FAAS_TRACE_FILE set (src/adapters/system/trace.ts), runs tasks one at a time
 * through `POST /execute_function?wait=10` as `npm run evaluate` does, and prints, per step, the
 * median time from the client's send and from the step before:
 *
 *   c.send     the client sends the request
 *   api.req    the API's route has the parsed request
 *   api.send   the API sends ENQUEUE to Redis
 *   d.wake     the dispatcher's blocking read returned (with the task handed out, or a wake)
 *   d.send     push/pull: the dispatcher's remote executor has the job (it goes to a worker)
 *   x.run      an executor pool has the job (the dispatcher's own, or, push/pull, the worker's)
 *   x.outcome  that pool reports the outcome
 *   d.heard    push/pull: the dispatcher has the worker's outcome
 *   d.apply    the dispatcher sends APPLY to Redis
 *   api.event  the API heard the task's end (the record published by APPLY)
 *   api.resp   the API's route answers
 *   c.recv     the client has the answer
 *
 *   bun scripts/trace-one-task.ts [--mode local|push|pull|embedded] [--tasks 1000] [--warmup 300]
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { flag } from "../src/app/config.ts";
import { postJson } from "./bench-lib.ts";
import { freePort } from "./lib/ports.ts";
import { killAll, spawnEntry, spawnServer } from "./lib/processes.ts";
import { startRedisServer } from "./lib/redis-server.ts";
import { removeTempDir, tempDir } from "./lib/temp-dirs.ts";
import { waitFor } from "./lib/wait-for.ts";

const argv = Bun.argv.slice(2);
const mode = flag(argv, "mode") ?? "local";
const tasks = Number(flag(argv, "tasks") ?? 1000);
const warmup = Number(flag(argv, "warmup") ?? 300);
if (!["local", "push", "pull", "embedded"].includes(mode)) throw new Error(`--mode must be local, push, pull or embedded, got "${mode}"`);

const STEPS = stepsOf(mode);
const LAST = mode === "embedded" ? "api.resp" : "d.apply";
const now = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

const dir = tempDir("trace");
const traceFile = join(dir, "trace.txt");
await using redis = await startRedisServer();
try {
  const env = { ...(mode === "embedded" ? {} : { REDIS_URL: redis.url }), FAAS_PREFIX: "trace", LOG_LEVEL: "warn", FAAS_TRACE_FILE: traceFile };
  const api = mode === "embedded" ? await spawnServer("start", ["--workers", "2", "--isolation", "thread"], { ...env, LOG_LEVEL: "info" }) : await spawnServer("api", [], { ...env, LOG_LEVEL: "info" });
  const port = freePort();
  if (mode !== "embedded") spawnEntry("dispatcher", ["--mode", mode, ...(mode === "local" ? ["--workers", "2", "--isolation", "thread"] : ["--port", String(port)])], env);
  if (mode === "push" || mode === "pull") for (let i = 0; i < 2; i++) spawnEntry("worker", ["--mode", mode, "--url", `tcp://127.0.0.1:${port}`, "--procs", "1", "--isolation", "thread"], env, `worker-${i}`);
  const { function_id } = await postJson(`${api.url}/register_function`, { name: "noop", payload: "() => null" });
  const one = (): Promise<unknown> => postJson(`${api.url}/execute_function?wait=10`, { function_id, payload: "[]" });
  for (let i = 0; i < warmup; i++) await one();
  const client: [string, number][] = [];
  const from = now();
  for (let i = 0; i < tasks; i++) {
    client.push(["c.send", now()]);
    await one();
    client.push(["c.recv", now()]);
  }
  // every process writes its marks within 50 ms: wait until the last task's last mark is there
  const marks = await waitFor(
    () => {
      const text = readFileSync(traceFile, "utf8");
      const all = text.split("\n").filter((l) => l !== "").map((l) => l.split(" ") as [string, string]).map(([n, t]) => [n, Number(t)] as [string, number]).filter(([, t]) => t >= from);
      return all.filter(([n]) => n === LAST).length >= tasks ? all : undefined;
    },
    "every process's trace marks",
    10_000,
  );
  const events = [...client, ...marks].sort((a, b) => a[1] - b[1]);
  // each task: the first mark of each step after its send, in the order of the steps
  const sends = client.filter(([n]) => n === "c.send").map(([, t]) => t);
  const since = new Map<string, number[]>(STEPS.map((s) => [s, []]));
  const gaps = new Map<string, number[]>(STEPS.map((s) => [s, []]));
  let first = 0;
  for (let i = 0; i < sends.length; i++) {
    const start = sends[i] as number;
    const end = sends[i + 1] ?? Number.POSITIVE_INFINITY;
    let at = start;
    let cursor = first;
    while (cursor < events.length && (events[cursor] as [string, number])[1] < start) cursor++;
    first = cursor;
    for (const step of STEPS) {
      let j = cursor;
      while (j < events.length && ((events[j] as [string, number])[0] !== step || (events[j] as [string, number])[1] < at)) {
        if ((events[j] as [string, number])[1] >= end) j = events.length;
        else j++;
      }
      if (j >= events.length) break;
      const t = (events[j] as [string, number])[1];
      since.get(step)?.push(t - start);
      gaps.get(step)?.push(t - at);
      at = t;
      cursor = j;
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  console.log(`one task at a time, --mode ${mode}${mode === "local" || mode === "embedded" ? " (2 executor threads)" : " (2 worker processes)"}: ${tasks} tasks after ${warmup} unmeasured; median µs`);
  console.log(`${"step".padEnd(10)} ${"from send".padStart(10)} ${"from the step before".padStart(21)}  tasks`);
  for (const step of STEPS) {
    const s = since.get(step) ?? [];
    console.log(`${step.padEnd(10)} ${median(s).toFixed(0).padStart(10)} ${median(gaps.get(step) ?? []).toFixed(0).padStart(21)}  ${s.length}`);
  }
} finally {
  await killAll();
  removeTempDir(dir);
}

/**
 * The marks a task passes in `mode`, in order. The executor pool writes the same marks (x.run,
 * x.outcome) wherever it runs: in the embedded server, in a local dispatcher, or in each worker process,
 * which in push and pull mode sit between the dispatcher's own marks (d.send, d.heard).
 */
function stepsOf(m: string): string[] {
  if (m === "embedded") return ["c.send", "api.req", "x.run", "x.outcome", "api.resp", "c.recv"];
  const executor = m === "local" ? ["x.run", "x.outcome"] : ["d.send", "x.run", "x.outcome", "d.heard"];
  return ["c.send", "api.req", "api.send", "d.wake", ...executor, "d.apply", "api.event", "api.resp", "c.recv"];
}
