/**
 * A private `redis-server` for tests and benchmarks: a free port on 127.0.0.1, its own temp dir
 * (removed on dispose), no persistence by default (`--save "" --appendonly no`; pass e.g.
 * ["--appendonly", "yes", "--appendfsync", "always"]). It can be stopped (SIGTERM or SIGKILL) and
 * restarted on the same port and dir. Never the system Redis.
 *
 * `cluster` makes it a Redis Cluster node (its bus on another free port, kept across restarts; see
 * redis-cluster.ts); `sentinelConfig` makes it a Sentinel (`redis-server <conf> --sentinel`) with that
 * config text (see redis-sentinel.ts). `nice` runs it at that niceness (`nice -n`), checked once it answers.
 *
 * @example
 * await using redis = await startRedisServer();
 * const client = new Redis(redis.url);
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { parseStat } from "./cpu.ts";
import { freePort } from "./ports.ts";
import { removeTempDir, tempDir } from "./temp-dirs.ts";

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** The running server's process id (a restart changes it); undefined before the first start. */
  pid(): number | undefined;
  /** Stops the server (SIGTERM, or SIGKILL: no shutdown save) and waits for it to exit. */
  stop(o?: { kill?: boolean }): Promise<void>;
  /** Starts it again on the same port and dir (with `args` added, e.g. --replicaof); resolves once it answers PING. */
  restart(o?: { readonly args?: readonly string[] }): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open but nothing answers, as with a hung Redis. */
  freeze(): void;
  /** Lets a frozen server run again (SIGCONT). */
  thaw(): void;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface RedisServerOptions {
  readonly args?: string[];
  /** A cluster node: `--cluster-enabled yes`, nodes.conf in its dir, this node timeout. */
  readonly cluster?: { readonly nodeTimeoutMs: number };
  /** A Sentinel with this config (`sentinel monitor ...` lines), written to its dir before each start. */
  readonly sentinelConfig?: string;
  /** The server's password (`--requirepass`), so the start-up PING can authenticate. */
  readonly password?: string;
  /** Run it at this niceness (`nice -n`; below 0 needs root or CAP_SYS_NICE): checked once it answers. */
  readonly nice?: number;
}

/** The niceness of a running process (from /proc/<pid>/stat). */
export function nicenessOf(pid: number): number {
  return parseStat(readFileSync(`/proc/${pid}/stat`, "utf8")).nice;
}

export async function startRedisServer(o: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = tempDir(o.cluster ? "redis-node" : o.sentinelConfig !== undefined ? "sentinel" : "redis");
  let port = 0;
  let busPort = 0;
  let proc: Subprocess | undefined;
  const launch = async (extra: readonly string[] = []): Promise<string | undefined> => {
    const head = o.nice === undefined ? ["redis-server"] : ["nice", "-n", String(o.nice), "redis-server"];
    if (o.sentinelConfig !== undefined) {
      writeFileSync(join(dir, "sentinel.conf"), o.sentinelConfig);
      head.push(join(dir, "sentinel.conf"), "--sentinel");
    }
    const cluster = o.cluster ? ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", String(busPort), "--cluster-node-timeout", String(o.cluster.nodeTimeoutMs), "--cluster-require-full-coverage", "no"] : [];
    // A replica syncs at once (not after the default 5 s wait for more replicas to share the transfer).
    const replication = o.sentinelConfig === undefined ? ["--repl-diskless-sync-delay", "0"] : [];
    const auth = o.password === undefined ? [] : ["--requirepass", o.password];
    const argv = [...head, "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no", ...replication, ...cluster, ...auth, ...(o.args ?? []), ...extra];
    const p = Bun.spawn(argv, { cwd: dir, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    proc = p;
    const output: string[] = [];
    void drain(p.stdout as ReadableStream<Uint8Array>, output);
    void drain(p.stderr as ReadableStream<Uint8Array>, output);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (p.exitCode !== null) return output.join("");
      if (await ping(port, o.password)) {
        const nice = o.nice === undefined ? undefined : nicenessOf(p.pid);
        if (nice === o.nice) return undefined;
        p.kill("SIGKILL");
        await p.exited;
        return `asked to run at niceness ${o.nice}, it runs at ${nice}: a niceness below 0 needs root (or CAP_SYS_NICE)`;
      }
      if (Date.now() > deadline) {
        p.kill("SIGKILL");
        throw new Error(`redis-server on port ${port} did not answer PING within 10 s: ${output.join("")}`);
      }
      await Bun.sleep(10);
    }
  };
  try {
    for (let tries = 0; ; tries++) {
      port = freePort();
      busPort = 0;
      while (o.cluster && (busPort === 0 || busPort === port)) busPort = freePort();
      const failure = await launch();
      if (failure === undefined) break;
      if (tries >= 4 || !failure.includes("Address already in use")) throw new Error(`redis-server failed to start: ${failure}`);
    }
  } catch (e) {
    removeTempDir(dir);
    throw e;
  }
  const stop = async (s: { kill?: boolean } = {}): Promise<void> => {
    if (proc === undefined || proc.exitCode !== null) return;
    proc.kill(s.kill ? "SIGKILL" : "SIGTERM");
    await proc.exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    pid: () => proc?.pid,
    stop,
    async restart(r = {}) {
      await stop();
      for (let tries = 0; ; tries++) {
        const failure = await launch(r.args);
        if (failure === undefined) return;
        // the old socket may linger a moment after a kill
        if (tries >= 20 || !failure.includes("Address already in use")) throw new Error(`redis-server failed to restart: ${failure}`);
        await Bun.sleep(50);
      }
    },
    freeze: () => proc?.kill("SIGSTOP"),
    thaw: () => proc?.kill("SIGCONT"),
    [Symbol.asyncDispose]: async () => {
      proc?.kill("SIGCONT");
      await stop({ kill: true });
      removeTempDir(dir);
    },
  };
}

async function drain(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) if (into.length < 200) into.push(decoder.decode(chunk));
}

/** True when a server on `port` answers PING with PONG (not LOADING or an error), after AUTH with `password` if given. */
export async function ping(port: number, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    let reply = "";
    let settled = false;
    const finish = (ok: boolean, socket?: { end(): void }): void => {
      if (settled) return;
      settled = true;
      socket?.end();
      resolve(ok);
    };
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s) {
          s.write(password === undefined ? "PING\r\n" : `AUTH ${JSON.stringify(password)}\r\nPING\r\n`);
        },
        data(s, chunk) {
          reply += chunk.toString();
          const lines = reply.split("\r\n");
          const wanted = password === undefined ? 1 : 2;
          if (lines.length > wanted) finish(lines[wanted - 1] === "+PONG", s);
        },
        close: () => finish(false),
        error: () => finish(false),
        connectError: () => finish(false),
      },
    }).catch(() => finish(false));
  });
}
