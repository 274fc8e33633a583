/**
 * Where Redis is and how to reach it: one server (a URL, or a Unix socket on this host), a master
 * found through Sentinel, or a Redis Cluster. Every connection the adapter opens (commands, blocking
 * claims, subscribers, replicated writes) comes from here with the same settings (connection.ts), so
 * all of them follow a Sentinel failover (they ask the Sentinels again on reconnect) or a Cluster's
 * new slot owners (MOVED).
 *
 * `RedisClient` is what the adapter calls: `Redis` and `Cluster` both answer every command it uses.
 *
 * @example
 * const client = openClient({ kind: "sentinel", sentinels: [{ host: "10.0.0.1", port: 26379 }], name: "mymaster" });
 * describeLocation({ kind: "cluster", nodes: [{ host: "10.0.0.1", port: 7000 }], password: "x" }) // "cluster 10.0.0.1:7000" (no password)
 * describeLocation({ kind: "socket", path: "/run/redis/redis.sock", db: 2 }) // "unix:///run/redis/redis.sock?db=2"
 */
import Redis, { Cluster, type RedisOptions } from "ioredis";
import type { Logger } from "../../domain/ports.ts";
import { connectionOptions, watchErrors, type RedisConnectionOptions } from "./connection.ts";
import { allowLean, leanTargetOf, leanTargetOfUrl } from "./lean-lanes.ts";

export type RedisClient = Redis | Cluster;

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type RedisLocation =
  | { readonly kind: "url"; readonly url: string }
  | {
      /** A server on this host, through its Unix socket (`unixsocket` in redis.conf). */
      readonly kind: "socket";
      readonly path: string;
      readonly db?: number;
      readonly password?: string;
    }
  | {
      readonly kind: "sentinel";
      readonly sentinels: readonly HostPort[];
      /** The master's name in the Sentinels' configuration. */
      readonly name: string;
      readonly username?: string;
      readonly password?: string;
      readonly sentinelUsername?: string;
      readonly sentinelPassword?: string;
      readonly db?: number;
    }
  | { readonly kind: "cluster"; readonly nodes: readonly HostPort[]; readonly username?: string; readonly password?: string };

/** True for a Redis Cluster client. */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/** Opens the command connection; it connects in the background (see `whenReady`). */
export function openClient(where: RedisLocation, o: RedisConnectionOptions = {}): RedisClient {
  const options = connectionOptions(o);
  let client: RedisClient;
  if (where.kind === "url") client = new Redis(where.url, options);
  else if (where.kind === "socket") {
    client = new Redis({
      ...options,
      path: where.path,
      ...(where.db !== undefined && { db: where.db }),
      ...(where.password !== undefined && { password: where.password }),
    });
  } else if (where.kind === "sentinel") {
    client = new Redis({
      ...options,
      sentinels: where.sentinels.map((s) => ({ host: s.host, port: s.port })),
      name: where.name,
      ...(where.username !== undefined && { username: where.username }),
      ...(where.password !== undefined && { password: where.password }),
      ...(where.sentinelUsername !== undefined && { sentinelUsername: where.sentinelUsername }),
      ...(where.sentinelPassword !== undefined && { sentinelPassword: where.sentinelPassword }),
      ...(where.db !== undefined && { db: where.db }),
      // Leaves a master that was demoted under it (writes answered READONLY: not run, so sent again)
      // and asks the Sentinels again. (ioredis' failoverDetector is left off: a +switch-master that
      // arrives while it reconnects ends the connection for good.)
      reconnectOnError: (e: Error) => (e.message.startsWith("READONLY") ? 2 : false),
    });
  } else {
    const { retryStrategy, enableOfflineQueue, ...perNode } = options;
    client = new Cluster(
      where.nodes.map((n) => ({ host: n.host, port: n.port })),
      {
        enableOfflineQueue,
        enableAutoPipelining: false, // as on one server (connection.ts)
        clusterRetryStrategy: (times) => retryStrategy?.(times) ?? 1000,
        // A command whose node connection closed is not sent again (it may have run: 504), as on a
        // single Redis; the next commands find the promoted replica through MOVED. CLUSTERDOWN means
        // nothing ran: those are tried again.
        retryDelayOnFailover: 0,
        retryDelayOnClusterDown: 200,
        slotsRefreshTimeout: 1000,
        slotsRefreshInterval: 5000,
        redisOptions: {
          ...perNode,
          ...(where.username !== undefined && { username: where.username }),
          ...(where.password !== undefined && { password: where.password }),
        },
      },
    );
  }
  watchErrors(client, o.logger);
  if (o.lean !== false) {
    const lean = where.kind === "url" ? leanTargetOfUrl(where.url) : where.kind === "socket" ? { path: where.path, ...(where.db !== undefined && { db: where.db }), ...(where.password !== undefined && { password: where.password }) } : undefined;
    if (lean !== undefined) allowLean(client, lean, o.logger);
  }
  return client;
}

/** What a second connection changes from the first (blocking reads, subscriptions, replicated writes). */
export interface DuplicateOptions {
  /** Queue commands while not connected (blocking reads and subscriptions wait for the connection). */
  readonly offlineQueue: boolean;
  /** Per-command deadline in ms; undefined: none (a subscriber). */
  readonly commandTimeoutMs: number | undefined;
  /** null: retry a command across reconnects (subscriptions); default 0 (never resend). */
  readonly maxRetriesPerRequest?: number | null;
  /** Shown in CLIENT LIST. */
  readonly name?: string;
}

/** A second connection to the same place with the same settings and `o`'s overrides. */
export function duplicateClient(client: RedisClient, o: DuplicateOptions, logger?: Logger): RedisClient {
  const overrides: RedisOptions = {
    commandTimeout: o.commandTimeoutMs,
    ...(o.maxRetriesPerRequest !== undefined && { maxRetriesPerRequest: o.maxRetriesPerRequest }),
    ...(o.name !== undefined && { connectionName: o.name }),
  };
  let copy: RedisClient;
  if (isCluster(client)) {
    copy = client.duplicate([], {
      enableOfflineQueue: o.offlineQueue,
      redisOptions: { ...client.options.redisOptions, ...overrides },
    });
  } else {
    copy = client.duplicate({ ...overrides, enableOfflineQueue: o.offlineQueue });
  }
  watchErrors(copy, logger);
  const lean = leanTargetOf(client);
  if (lean !== undefined) allowLean(copy, lean, logger);
  return copy;
}

/** Where Redis is, fit for logs: no password. */
export function describeLocation(where: RedisLocation): string {
  if (where.kind === "url") return redactUrl(where.url);
  if (where.kind === "socket") return `unix://${where.path}${where.db === undefined ? "" : `?db=${where.db}`}`;
  const list = (hosts: readonly HostPort[]): string => hosts.map((h) => `${h.host.includes(":") ? `[${h.host}]` : h.host}:${h.port}`).join(",");
  if (where.kind === "sentinel") return `sentinel ${list(where.sentinels)} name ${where.name}${where.db === undefined ? "" : ` db ${where.db}`}`;
  return `cluster ${list(where.nodes)}`;
}

/** A Redis URL fit for logs: the password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}
