/**
 * Our deployments for the evaluation, each in its own processes: the embedded server, or a private
 * redis-server with the API and one dispatcher (local executors, or push/pull with worker processes,
 * over NULL or, for the `-curve` modes, over CURVE with fresh keys in a temp dir). Every stack started here is stopped by `stopAllStacks()`, which the entry calls on any exit.
 */
import { type Managed, eventValues, readLog, spawnEntry, spawnServer } from "../lib/processes.ts";
import { freePort } from "../lib/ports.ts";
import { type RedisServer, startRedisServer } from "../lib/redis-server.ts";
import { waitFor } from "../lib/wait-for.ts";
import type { RoleProcess } from "./cpu-cost.ts";
import { type CurveKeys, makeCurveKeys } from "./curve-keys.ts";
import type { ModeName, SeriesIsolation } from "./floors.ts";

export interface StackSpec {
  readonly mode: ModeName;
  readonly isolation: SeriesIsolation | "process";
  /** Executors of the embedded server or the local dispatcher (`--workers`). */
  readonly executors: number;
  /** Worker processes in push/pull mode, each with `--procs 1`. */
  readonly workerProcs: number;
  /** The redis-server's niceness (`--redis-nice`), when set. */
  readonly redisNice?: number;
}

export interface Stack {
  /** The API's base URL. */
  readonly url: string;
  /** The private redis-server's URL (Redis-backed modes only). */
  readonly redisUrl?: string;
  /** The process that serves HTTP: the embedded server, or the API. */
  readonly server?: Managed;
  readonly dispatcher?: Managed;
  readonly workers: readonly Managed[];
  /** Every process of the deployment by role (server; or redis, api, dispatcher, workers), for CPU per task. */
  readonly processes: readonly RoleProcess[];
  /** Human-readable setup, for the report. */
  readonly describe: string;
  stop(): Promise<void>;
}

const live = new Set<() => Promise<void>>();
const STOP_GRACE_MS = 10_000;

async function stopGently(m: Managed): Promise<void> {
  if (m.proc.exitCode !== null || m.proc.signalCode !== null) return;
  m.proc.kill("SIGTERM");
  const timer = setTimeout(() => m.proc.kill("SIGKILL"), STOP_GRACE_MS);
  await m.proc.exited;
  clearTimeout(timer);
}
/** How a mode's dispatcher reaches its workers: none (local), or push/pull over NULL or CURVE. */
function wireOf(mode: ModeName): { readonly wire: "push" | "pull"; readonly curve: boolean } | undefined {
  if (mode === "embedded" || mode === "redis-local") return undefined;
  return { wire: mode.startsWith("redis-push") ? "push" : "pull", curve: mode.endsWith("-curve") };
}

// info, not warn: servers announce their URL (api.listening) and workers their registration at info
const QUIET = { LOG_LEVEL: "info" };

/**
 * The redis-server a Redis-backed stack starts with: at the spec's niceness, `DEBUG` allowed from this
 * machine (the retained section waits on Redis's tables: table-doubling.ts).
 *
 * @example
 * const redis = await startStackRedis({ mode: "redis-local", isolation: "thread", executors: 2, workerProcs: 0 });
 * const stack = await startStack(spec, { redis }); // stack.stop() leaves it running
 */
export async function startStackRedis(spec: Pick<StackSpec, "redisNice">): Promise<RedisServer> {
  return startRedisServer({ args: ["--enable-debug-command", "local"], ...(spec.redisNice !== undefined && { nice: spec.redisNice }) });
}

/**
 * Starts one deployment and resolves once it can take tasks (remote workers registered). A Redis-backed
 * one starts its own redis-server, or uses `o.redis` (which its stop leaves running).
 *
 * @example
 * const stack = await startStack({ mode: "redis-push", isolation: "thread", executors: 2, workerProcs: 2 });
 * await fetch(`${stack.url}/healthz`);
 * await stack.stop();
 */
export async function startStack(spec: StackSpec, o: { readonly redis?: RedisServer } = {}): Promise<Stack> {
  const iso = ["--isolation", spec.isolation];
  const own: Managed[] = [];
  let redis: RedisServer | undefined;
  let keys: CurveKeys | undefined;
  const stop = async (): Promise<void> => {
    live.delete(stop);
    // SIGTERM so each removes what it made (a sandbox pool's entry folder); SIGKILL after STOP_GRACE_MS
    await Promise.all(own.map(stopGently));
    if (redis !== o.redis) await redis?.[Symbol.asyncDispose]();
    keys?.remove();
  };
  live.add(stop);
  let stack: Stack = { url: "", workers: [], processes: [], describe: "", stop };
  try {
    if (spec.mode === "embedded") {
      const server = await spawnServer("start", ["--workers", String(spec.executors), ...iso], QUIET);
      own.push(server);
      stack = { ...stack, url: server.url, server, processes: [{ role: "server", pid: server.proc.pid }], describe: `bun run start --workers ${spec.executors} --isolation ${spec.isolation}` };
    } else {
      redis = o.redis ?? (await startStackRedis(spec));
      const env = { REDIS_URL: redis.url };
      const api = await spawnServer("api", [], { ...env, ...QUIET });
      own.push(api);
      const remote = wireOf(spec.mode);
      if (remote?.curve) keys = await makeCurveKeys(spec.workerProcs);
      const port = freePort();
      const args = remote !== undefined
        ? ["--mode", remote.wire, "--port", String(port), ...iso, ...(keys?.dispatcherArgs ?? [])]
        : ["--mode", "local", "--workers", String(spec.executors), ...iso];
      // the dispatcher's worker.registered and worker.gone events are read from its log
      const dispatcher = spawnEntry("dispatcher", args, { ...env, ...QUIET });
      own.push(dispatcher);
      await waitFor(() => {
        if (dispatcher.proc.exitCode !== null) throw new Error(`dispatcher exited with ${dispatcher.proc.exitCode}: ${readLog(dispatcher.log)}`);
        return readLog(dispatcher.log).includes('"dispatcher.started"');
      }, "the dispatcher to start", 20_000, 20);
      const workers: Managed[] = [];
      if (remote !== undefined) {
        for (let i = 0; i < spec.workerProcs; i++) {
          const curve = keys?.workerArgs[i] ?? [];
          const w = spawnEntry("worker", ["--mode", remote.wire, "--url", `tcp://127.0.0.1:${port}`, "--procs", "1", "--id", `w${i + 1}`, ...iso, ...curve], QUIET, `worker-${i + 1}`);
          workers.push(w);
          own.push(w);
        }
        await waitFor(() => {
          const dead = workers.find((w) => w.proc.exitCode !== null);
          if (dead !== undefined) throw new Error(`a worker exited with ${dead.proc.exitCode}: ${readLog(dead.log)}`);
          return eventValues(dispatcher.log, "worker.registered", "worker").size >= spec.workerProcs;
        }, `${spec.workerProcs} workers to register`, 30_000, 20);
      }
      const describe = remote !== undefined
        ? remote.curve
          ? `redis-server, bun run api, bun run dispatcher --mode ${remote.wire} --curve-secret-key-file dispatcher.key --authorized-workers authorized-workers.txt, ${spec.workerProcs} x bun run worker --procs 1 --curve-server-key-file dispatcher.pub --curve-secret-key-file worker-N.key (--isolation ${spec.isolation}; keys from faas keygen's code)`
          : `redis-server, bun run api, bun run dispatcher --mode ${remote.wire}, ${spec.workerProcs} x bun run worker --procs 1 (--isolation ${spec.isolation})`
        : `redis-server, bun run api, bun run dispatcher --mode local --workers ${spec.executors} --isolation ${spec.isolation}`;
      const processes: RoleProcess[] = [
        { role: "redis", pid: redis.pid() as number },
        { role: "api", pid: api.proc.pid },
        { role: "dispatcher", pid: dispatcher.proc.pid },
        ...workers.map((w) => ({ role: "workers", pid: w.proc.pid })),
      ];
      stack = { ...stack, url: api.url, redisUrl: redis.url, server: api, dispatcher, workers, processes, describe };
    }
    return stack;
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Stops every stack still running (after a failure or an interrupt).
 *
 * @example
 * process.on("SIGINT", () => void stopAllStacks().finally(() => process.exit(130)));
 */
export async function stopAllStacks(): Promise<void> {
  await Promise.all([...live].map((stop) => stop()));
}
