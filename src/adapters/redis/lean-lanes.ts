/**
 * Lean connections (lib/resp) beside a command connection to one Redis server: the calls a task makes
 * on its way (script calls, the dispatchers' blocking reads, the subscriptions to task events) go
 * through them, since ioredis spends several times their CPU on each call (measured on a lone FCALL:
 * about 40 us of the caller's CPU against 15, and 10-15 us more latency). Everything else stays on
 * ioredis.
 *
 * Only for one server reached by a `redis://` URL or a Unix socket: a Sentinel's master moves, a
 * Cluster's keys live on many nodes, and `rediss://` needs TLS; those keep ioredis for every call. A
 * command connection whose lean lane is not ready (opening, or reconnecting after Redis went away)
 * sends its scripts through ioredis meanwhile. The lane for scripts closes with its command connection;
 * the others are closed by their owners.
 *
 * @example
 * const client = openClient({ kind: "url", url: "redis://127.0.0.1:6379" });
 * const lane = laneOf(client); // opens on first use; undefined for Sentinel, Cluster, TLS, or lean off
 * if (lane?.ready) await lane.call(["FCALL", "lib", 0]);
 */
import { RespConnection, type RespConnectionOptions, type RespTarget } from "../../lib/resp/index.ts";
import type { Logger } from "../../domain/ports.ts";
import type { RedisClient } from "./client.ts";
import { urlCredentials } from "./url-credentials.ts";

/** Where each lean-capable command connection (and its copies) points. */
const targets = new WeakMap<RedisClient, { readonly target: RespTarget; readonly logger?: Logger }>();
const lanes = new WeakMap<RedisClient, RespConnection>();

/** Marks `client` as one whose calls on a task's way may go through lean connections to `target`. */
export function allowLean(client: RedisClient, target: RespTarget, logger?: Logger): void {
  targets.set(client, { target, ...(logger !== undefined && { logger }) });
  // The lane closes the moment its command connection is told to (no call may go out on it after),
  // not when the connection's end is heard.
  const disconnect = client.disconnect.bind(client);
  client.disconnect = (reconnect?: boolean): void => {
    lanes.get(client)?.close();
    disconnect(reconnect);
  };
}

/** Where `client`'s lean connections go, or undefined when it keeps ioredis for everything. */
export function leanTargetOf(client: RedisClient): RespTarget | undefined {
  return targets.get(client)?.target;
}

/**
 * A lean connection to `client`'s server with `o` (blocking reads, subscriptions), for the caller to
 * close; undefined when `client` is not lean-capable. Its name (CLIENT LIST) is `o.name` with "-lean"
 * after it; its state changes are logged.
 */
export function leanConnection(client: RedisClient, o: RespConnectionOptions): RespConnection | undefined {
  const at = targets.get(client);
  if (at === undefined) return undefined;
  const name = `${o.name ?? "bunfaas"}-lean`.replace(/[^\x21-\x7e]/g, "_"); // (CLIENT SETNAME takes no spaces)
  const onMessage = o.onMessage;
  const conn = new RespConnection(at.target, {
    ...o,
    name,
    // (a listener that throws must not leave the rest of what was read unhandled)
    ...(onMessage !== undefined && {
      onMessage: (channel: string, message: string) => {
        try {
          onMessage(channel, message);
        } catch (e) {
          at.logger?.log("error", "a subscription's listener failed", { connection: name, channel, error: String(e) });
        }
      },
    }),
    onState: (up, why) => at.logger?.log(up ? "debug" : "warn", up ? "lean redis connection ready" : "lean redis connection lost; reconnecting", { connection: name, ...(why !== undefined && { error: why }) }),
  });
  return conn;
}

/**
 * `client`'s lean lane for script calls (opened on first use, with its command deadline; closed when
 * `client` ends, and opened again on the first use after it connects again), or undefined.
 */
export function laneOf(client: RedisClient): RespConnection | undefined {
  let lane = lanes.get(client);
  if ((lane !== undefined && !lane.isClosed) || !targets.has(client)) return lane;
  if (lane !== undefined && client.status !== "ready") return lane; // ended: not again until it is back
  const options = (client as { options?: { commandTimeout?: number; connectionName?: string } }).options;
  lane = leanConnection(client, {
    commandTimeoutMs: options?.commandTimeout ?? 1000,
    name: options?.connectionName ?? "bunfaas",
  });
  if (lane !== undefined) {
    lanes.set(client, lane);
    const opened = lane;
    client.once("end", () => opened.close()); // (quit, or the server's own close)
  }
  return lane;
}

/**
 * `args` through `client`'s lean lane when it and `client` are both ready, else `viaIoredis()`: for
 * the plain reads on a task's way (a task's record read by `GET /result`). Replies have ioredis'
 * shapes (strings, numbers, null, arrays). On the lane, `lead` (when given) goes in the same write
 * just before `args`, its reply dropped (RespConnection.callAfter); `viaIoredis` sends no such thing.
 *
 * @example
 * const json = await viaLane(redis, ["GET", key], () => redis.get(key));
 */
export function viaLane<T>(client: RedisClient, args: readonly (string | number)[], viaIoredis: () => Promise<T>, lead?: readonly (string | number)[]): Promise<T> {
  const lane = laneOf(client);
  if (lane?.ready !== true || client.status !== "ready") return viaIoredis();
  return (lead === undefined ? lane.call(args) : lane.callAfter(lead, args)) as Promise<T>;
}

/**
 * Where a location's lean connections go: a `redis://` URL's host, port, credentials and database, or
 * a Unix socket; undefined for anything else.
 *
 * @example
 * leanTargetOfUrl("redis://:pw@10.0.0.5:6380/2") // { host: "10.0.0.5", port: 6380, password: "pw", db: 2 }
 */
export function leanTargetOfUrl(url: string): RespTarget | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== "redis:") return undefined;
  if (u.search !== "" || u.hash !== "") return undefined; // options ioredis reads from the URL: keep ioredis
  const credentials = urlCredentials(u);
  if (credentials === undefined) return undefined;
  return { host: u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1", port: u.port === "" ? 6379 : Number(u.port), ...credentials };
}
