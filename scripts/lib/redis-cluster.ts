/**
 * A private Redis Cluster for tests and benchmarks: `masters` masters with `replicas` replicas each,
 * every node a redis-server on free ports with its own temp dir (redis-server.ts), joined with
 * `redis-cli --cluster create ... --cluster-yes`. A short node timeout makes a replica take over a
 * killed master within seconds; `cluster-require-full-coverage no` keeps the other masters serving
 * meanwhile. Disposing stops every node and removes every dir, also when creation failed half-way.
 *
 * @example
 * await using cluster = await startRedisCluster({ masters: 3, replicas: 1 });
 * const client = new Redis.Cluster(cluster.startupNodes);
 * const { promoted, ms } = await cluster.killMasterOf("faas:{s1}:queue"); // kill -9, then a replica serves it
 */
import Redis from "ioredis";
import { startRedisServer, type RedisServer } from "./redis-server.ts";
import { waitFor } from "./wait-for.ts";

export interface RedisCluster {
  readonly nodes: readonly RedisServer[];
  /** `host:port` of every node. */
  readonly startupNodes: readonly { host: string; port: number }[];
  /** The same, as REDIS_CLUSTER takes it: "127.0.0.1:7000,127.0.0.1:7001,...". */
  readonly addresses: string;
  /** The node serving `key` as master now (asked of a live node). */
  masterOf(key: string): Promise<RedisServer>;
  /**
   * Kills (SIGKILL) the master serving `key` and resolves once a replica serves its slot, with the node
   * killed, the one promoted, when the killed process had exited (Date.now()) and the milliseconds from
   * then until the promotion was seen.
   */
  killMasterOf(key: string, timeoutMs?: number): Promise<{ killed: RedisServer; promoted: RedisServer; killedAt: number; ms: number }>;
  /**
   * Resolves once every live node says cluster_state:ok with every slot served and, with `replicas`,
   * every master has that many replicas online.
   */
  healthy(o?: { timeoutMs?: number; replicas?: number }): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startRedisCluster(o: { masters?: number; replicas?: number; nodeTimeoutMs?: number } = {}): Promise<RedisCluster> {
  const masters = o.masters ?? 3;
  const replicas = o.replicas ?? 1;
  const nodes: RedisServer[] = [];
  const dispose = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n[Symbol.asyncDispose]()));
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) nodes.push(await startRedisServer({ cluster: { nodeTimeoutMs: o.nodeTimeoutMs ?? 1000 } }));
    const addrs = nodes.map((n) => `127.0.0.1:${n.port}`);
    const create = Bun.spawn(["redis-cli", "--cluster", "create", ...addrs, "--cluster-replicas", String(replicas), "--cluster-yes"], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    const [out, err] = await Promise.all([new Response(create.stdout).text(), new Response(create.stderr).text()]);
    if ((await create.exited) !== 0) throw new Error(`redis-cli --cluster create failed (exit ${create.exitCode}): ${out}${err}`);
    const cluster: RedisCluster = {
      nodes,
      startupNodes: nodes.map((n) => ({ host: "127.0.0.1", port: n.port })),
      addresses: addrs.join(","),
      async masterOf(key) {
        const port = await ask(nodes, async (c) => {
          const slot = Number(await c.call("CLUSTER", "KEYSLOT", key));
          for (const [from, to, master] of (await c.call("CLUSTER", "SLOTS")) as [number, number, [string, number]][]) if (slot >= from && slot <= to) return master[1];
          throw new Error(`no node serves slot ${slot} of "${key}"`);
        });
        const node = nodes.find((n) => n.port === port);
        if (node === undefined) throw new Error(`slot of "${key}" is served by port ${port}, not one of this cluster's nodes`);
        return node;
      },
      async killMasterOf(key, timeoutMs = 60_000) {
        const killed = await cluster.masterOf(key);
        await killed.stop({ kill: true });
        const at = Date.now();
        const promoted = await waitFor(async () => {
          const now = await cluster.masterOf(key).catch(() => killed);
          return now === killed ? undefined : now;
        }, `a replica to take over the slot of "${key}"`, timeoutMs, 20);
        return { killed, promoted, killedAt: at, ms: Date.now() - at };
      },
      async healthy(h = {}) {
        const want = h.replicas ?? 0;
        await waitFor(async () => (await Promise.all(nodes.map((n) => nodeHealthy(n, want)))).every((ok) => ok !== false), `every live cluster node to report cluster_state:ok with all slots served${want > 0 ? ` and ${want} replica(s) online per master` : ""}`, h.timeoutMs ?? 30_000, 50);
      },
      [Symbol.asyncDispose]: dispose,
    };
    await cluster.healthy({ replicas });
    return cluster;
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** Runs `f` against the first live node that answers. */
async function ask<T>(nodes: readonly RedisServer[], f: (c: Redis) => Promise<T>): Promise<T> {
  let last: unknown;
  for (const n of nodes) {
    const c = new Redis(n.port, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
    c.on("error", () => undefined);
    try {
      await c.connect();
      return await f(c);
    } catch (e) {
      last = e;
    } finally {
      c.disconnect();
    }
  }
  throw new Error(`no cluster node answered: ${String(last)}`);
}

/** undefined for a node that is down (not asked), else whether it reports a healthy cluster (and, if a master, `replicas` online). */
async function nodeHealthy(n: RedisServer, replicas: number): Promise<boolean | undefined> {
  try {
    return await ask([n], async (c) => {
      const info = String(await c.call("CLUSTER", "INFO"));
      if (!info.includes("cluster_state:ok") || !info.includes("cluster_slots_ok:16384")) return false;
      const repl = await c.info("replication");
      if (!repl.includes("role:master") || replicas === 0) return true;
      return (repl.match(/^slave\d+:.*state=online/gm) ?? []).length >= replicas;
    });
  } catch {
    return undefined;
  }
}
