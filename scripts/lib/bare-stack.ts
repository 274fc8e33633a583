/**
 * The bare hops of a mode (scripts/lib/bare-hops.ts) as running processes: `embedded` is one
 * process; `local` a private redis-server, the API role and the dispatcher role with its own thread;
 * `push` the same with the thread in one of 2 worker processes reached over ZMTP. Each answers
 * `POST /execute_function?wait=10` as ours does, so the evaluation's client drives it.
 *
 * @example
 * const bare = await startBare("local");
 * await oneAtATime(bare.url, "bare", 100);
 * await bare.stop();
 */
import { withRuntimeEnv } from "../../src/app/runtime-env.ts";
import type { HopsConfig } from "./bare-hops.ts";
import { freePort } from "./ports.ts";
import { type Managed, readLog, spawnManaged } from "./processes.ts";
import { startRedisServer } from "./redis-server.ts";
import { waitFor } from "./wait-for.ts";

export const BARE_MODES = ["embedded", "local", "push"] as const;
export type BareMode = (typeof BARE_MODES)[number];

export interface BareStack {
  readonly url: string;
  stop(): Promise<void>;
}

function role(name: string, config: HopsConfig): Managed {
  // the runtime settings our processes start with (src/app/runtime-env.ts): the same Bun under both
  return spawnManaged([process.execPath, "scripts/lib/bare-hops.ts", name, JSON.stringify(config)], withRuntimeEnv(process.env), `hops-${name}`);
}

/** The bare hops of `mode`, up and answering; `redisNice`: their redis-server at that niceness. */
export async function startBare(mode: BareMode, o: { readonly redisNice?: number } = {}): Promise<BareStack> {
  const httpPort = freePort();
  const url = `http://127.0.0.1:${httpPort}`;
  const procs: Managed[] = [];
  const redis = mode === "embedded" ? undefined : await startRedisServer(o.redisNice === undefined ? {} : { nice: o.redisNice });
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => p.kill("SIGKILL")));
    await redis?.[Symbol.asyncDispose]();
  };
  try {
    if (redis === undefined) procs.push(role("embedded", { httpPort }));
    else {
      const zmtp = `tcp://127.0.0.1:${freePort()}`;
      const workers = mode === "push" ? 2 : 0;
      const common = { redisPort: redis.port, stream: "hops" };
      procs.push(role("dispatcher", { ...common, zmtp, workers }));
      // a DEALER that comes before the dispatcher binds tries again until it can connect
      for (let i = 0; i < workers; i++) procs.push(role("worker", { zmtp }));
      procs.push(role("api", { ...common, httpPort }));
    }
    await waitFor(async () => {
      const dead = procs.find((p) => p.proc.exitCode !== null);
      if (dead !== undefined) throw new Error(`a bare-hops process exited with ${dead.proc.exitCode}: ${readLog(dead.log)}`);
      const init = { method: "POST", body: '{"payload":"[]"}', signal: AbortSignal.timeout(2000) };
      return fetch(`${url}/execute_function?wait=10`, init).then((r) => r.ok, () => false);
    }, "the bare hops to answer", 20_000, 20);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, stop };
}
