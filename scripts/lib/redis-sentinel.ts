/**
 * A private Sentinel setup for tests and benchmarks: a master, `replicas` replicas and `sentinels`
 * Sentinels (quorum: a majority), every one a redis-server on a free port with its own temp dir
 * (redis-server.ts). A short `down-after-milliseconds` makes a failover happen within seconds of a
 * kill -9 of the master. Disposing stops everything and removes every dir, also after a failed start.
 *
 * @example
 * await using group = await startSentinelGroup({ replicas: 1, sentinels: 3 });
 * const client = new Redis({ sentinels: group.sentinelAddresses, name: group.name });
 * await group.master.stop({ kill: true });
 * await group.failedOver();
 */
import Redis from "ioredis";
import { startRedisServer, type RedisServer } from "./redis-server.ts";
import { waitFor } from "./wait-for.ts";

export interface SentinelGroup {
  /** The master as started (after a failover, see `masterPort`). */
  readonly master: RedisServer;
  readonly replicas: readonly RedisServer[];
  readonly sentinels: readonly RedisServer[];
  /** The monitored master's name. */
  readonly name: string;
  readonly sentinelAddresses: readonly { host: string; port: number }[];
  /** As REDIS_SENTINELS takes it: "127.0.0.1:26379,127.0.0.1:26380". */
  readonly addresses: string;
  /** The master's port as the Sentinels report it now. */
  masterPort(): Promise<number>;
  /** Resolves once the Sentinels report a master other than the one started, answering as master. */
  failedOver(timeoutMs?: number): Promise<RedisServer>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface SentinelGroupOptions {
  readonly replicas?: number;
  readonly sentinels?: number;
  readonly downAfterMs?: number;
  /** The monitored master's name (default "bunfaas"). */
  readonly name?: string;
  /** The master's and replicas' password (requirepass, masterauth; the Sentinels' auth-pass). */
  readonly password?: string;
  /** The Sentinels' own password (requirepass, and sentinel-pass between them). */
  readonly sentinelPassword?: string;
}

export async function startSentinelGroup(o: SentinelGroupOptions = {}): Promise<SentinelGroup> {
  const name = o.name ?? "bunfaas";
  const started: RedisServer[] = [];
  const dispose = async (): Promise<void> => {
    await Promise.all(started.map((s) => s[Symbol.asyncDispose]()));
  };
  try {
    const auth = o.password === undefined ? {} : { password: o.password, args: ["--masterauth", o.password] };
    const master = await startRedisServer(auth);
    started.push(master);
    const replicas: RedisServer[] = [];
    for (let i = 0; i < (o.replicas ?? 1); i++) {
      const r = await startRedisServer({ ...auth, args: [...(auth.args ?? []), "--replicaof", "127.0.0.1", String(master.port)] });
      started.push(r);
      replicas.push(r);
    }
    const count = o.sentinels ?? 3;
    const conf = [
      `sentinel monitor ${name} 127.0.0.1 ${master.port} ${Math.floor(count / 2) + 1}`,
      `sentinel down-after-milliseconds ${name} ${o.downAfterMs ?? 1000}`,
      `sentinel failover-timeout ${name} 10000`,
      `sentinel parallel-syncs ${name} 1`,
      ...(o.password === undefined ? [] : [`sentinel auth-pass ${name} ${o.password}`]),
      ...(o.sentinelPassword === undefined ? [] : [`requirepass ${o.sentinelPassword}`, `sentinel sentinel-pass ${o.sentinelPassword}`]),
      "",
    ].join("\n");
    const sentinels: RedisServer[] = [];
    for (let i = 0; i < count; i++) {
      const s = await startRedisServer({ sentinelConfig: conf, ...(o.sentinelPassword !== undefined && { password: o.sentinelPassword }) });
      started.push(s);
      sentinels.push(s);
    }
    const sentinelAddresses = sentinels.map((s) => ({ host: "127.0.0.1", port: s.port }));
    const masterPort = (): Promise<number> =>
      askSentinels(sentinels, async (c) => Number(((await c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)) as [string, string])[1]), o.sentinelPassword);
    // Ready once every replica is linked and every Sentinel knows the replicas and the other Sentinels.
    await waitFor(async () => {
      const info = await askNode(master.port, (c) => c.info("replication"), o.password);
      if (!info.includes(`connected_slaves:${replicas.length}`)) return false;
      const views = await Promise.all(sentinels.map((s) => askNode(s.port, (c) => c.call("SENTINEL", "MASTER", name) as Promise<string[]>, o.sentinelPassword).catch(() => [])));
      return views.every((v) => field(v, "num-slaves") === String(replicas.length) && field(v, "num-other-sentinels") === String(count - 1));
    }, "the replicas to sync and the Sentinels to find each other", 30_000, 50);
    return {
      master,
      replicas,
      sentinels,
      name,
      sentinelAddresses,
      addresses: sentinelAddresses.map((a) => `${a.host}:${a.port}`).join(","),
      masterPort,
      async failedOver(timeoutMs = 30_000) {
        return waitFor(async () => {
          const port = await masterPort().catch(() => master.port);
          if (port === master.port) return undefined;
          const role = await askNode(port, (c) => c.call("ROLE") as Promise<string[]>, o.password).catch(() => []);
          return role[0] === "master" ? replicas.find((r) => r.port === port) : undefined;
        }, "the Sentinels to promote a replica", timeoutMs, 50);
      },
      [Symbol.asyncDispose]: dispose,
    };
  } catch (e) {
    await dispose();
    throw e;
  }
}

function field(reply: readonly string[], name: string): string | undefined {
  const i = reply.indexOf(name);
  return i >= 0 && i % 2 === 0 ? reply[i + 1] : undefined;
}

async function askNode<T>(port: number, f: (c: Redis) => Promise<T>, password?: string): Promise<T> {
  const c = new Redis(port, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500, ...(password !== undefined && { password }) });
  c.on("error", () => undefined);
  try {
    await c.connect();
    return await f(c);
  } finally {
    c.disconnect();
  }
}

async function askSentinels<T>(sentinels: readonly RedisServer[], f: (c: Redis) => Promise<T>, password?: string): Promise<T> {
  let last: unknown;
  for (const s of sentinels) {
    try {
      return await askNode(s.port, f, password);
    } catch (e) {
      last = e;
    }
  }
  throw new Error(`no Sentinel answered: ${String(last)}`);
}
