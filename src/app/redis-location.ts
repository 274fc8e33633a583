/**
 * Where the Redis-backed processes find Redis, from flags and variables: one server (`REDIS_URL`:
 * `redis://host:port[/db]`, or `unix:///path/to/redis.sock[?db=N]` for a server on this host), a
 * master watched by Sentinels (`REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`), or a Cluster
 * (`REDIS_CLUSTER`). Passwords come from `REDIS_PASSWORD` / `REDIS_SENTINEL_PASSWORD` (or their
 * `*_FILE`), or from the user:password of REDIS_URL; messages never echo them.
 *
 * @example
 * redisLocation(get, { REDIS_SENTINELS: "10.0.0.1:26379,10.0.0.2:26379", REDIS_SENTINEL_NAME: "mymaster" })
 * // { kind: "sentinel", sentinels: [{ host: "10.0.0.1", port: 26379 }, ...], name: "mymaster" }
 */
import type { HostPort, RedisLocation } from "../adapters/redis/index.ts";
import { urlCredentials } from "../adapters/redis/index.ts";
import { secret } from "./config.ts";

type Env = Record<string, string | undefined>;
type Get = (name: string, envName: string) => string | undefined;

/** The location, and the REDIS_URL as given (or its default). */
export function redisLocation(get: Get, env: Env): { location: RedisLocation; url: string } {
  const given = secret(get, env, "redis-url", "REDIS_URL");
  const url = given ?? "redis://127.0.0.1:6379";
  const sentinels = get("redis-sentinels", "REDIS_SENTINELS");
  const cluster = get("redis-cluster", "REDIS_CLUSTER");
  const sentinelName = get("redis-sentinel-name", "REDIS_SENTINEL_NAME");
  const password = secret(get, env, "redis-password", "REDIS_PASSWORD");
  const sentinelPassword = secret(get, env, "redis-sentinel-password", "REDIS_SENTINEL_PASSWORD");
  if (sentinels !== undefined && cluster !== undefined) throw new Error("Give REDIS_SENTINELS (--redis-sentinels) or REDIS_CLUSTER (--redis-cluster), not both");
  if (sentinels === undefined && sentinelName !== undefined) throw new Error("REDIS_SENTINEL_NAME (--redis-sentinel-name) needs REDIS_SENTINELS (--redis-sentinels), which is not set");
  if (url.startsWith("unix:")) {
    if (sentinels !== undefined || cluster !== undefined) throw new Error("REDIS_URL names a Unix socket, which REDIS_SENTINELS (--redis-sentinels) and REDIS_CLUSTER (--redis-cluster) do not use: give a redis:// URL with them");
    if (sentinelPassword !== undefined) throw new Error("REDIS_SENTINEL_PASSWORD needs REDIS_SENTINELS (--redis-sentinels), which is not set");
    return { url, location: { kind: "socket", ...socketOf(url), ...(password !== undefined && { password }) } };
  }
  const fromUrl = given === undefined ? {} : credentialsOf(url);
  const auth = {
    ...(fromUrl.username !== undefined && { username: fromUrl.username }),
    ...((password ?? fromUrl.password) !== undefined && { password: password ?? fromUrl.password }),
  };
  if (sentinels !== undefined) {
    return {
      url,
      location: {
        kind: "sentinel",
        sentinels: hostPorts(sentinels, "REDIS_SENTINELS (--redis-sentinels)"),
        name: sentinelName ?? "mymaster",
        ...auth,
        ...(sentinelPassword !== undefined && { sentinelPassword }),
        ...(fromUrl.db !== undefined && { db: fromUrl.db }),
      },
    };
  }
  if (sentinelPassword !== undefined) throw new Error("REDIS_SENTINEL_PASSWORD needs REDIS_SENTINELS (--redis-sentinels), which is not set");
  if (cluster !== undefined) {
    if (fromUrl.db !== undefined && fromUrl.db !== 0) throw new Error(`A Redis Cluster has only database 0; REDIS_URL names database ${fromUrl.db}`);
    return { url, location: { kind: "cluster", nodes: hostPorts(cluster, "REDIS_CLUSTER (--redis-cluster)"), ...auth } };
  }
  if (password === undefined) return { url, location: { kind: "url", url } };
  const u = new URL(url);
  u.password = password; // the setter percent-encodes it
  return { url, location: { kind: "url", url: u.toString() } };
}

/** Parses "host:port,host:port" ("[::1]:26379" for IPv6); `what` names the setting in messages. */
export function hostPorts(text: string, what: string): HostPort[] {
  const items = text.split(",").map((x) => x.trim()).filter((x) => x !== "");
  if (items.length === 0) throw new Error(`${what} must list host:port addresses separated by commas, got none`);
  return items.map((item) => {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(item);
    const port = Number(m?.[2]);
    if (m === null || port < 1 || port > 65535) throw new Error(`${what} must list host:port addresses separated by commas, got "${item}"`);
    return { host: (m[1] as string).replace(/^\[|\]$/g, ""), port };
  });
}

/**
 * The path and database of a `unix:///path/to/redis.sock[?db=N]` URL (its password comes from
 * REDIS_PASSWORD: a URL without a host carries none).
 */
function socketOf(url: string): { path: string; db?: number } {
  const shape = "REDIS_URL for a Unix socket must look like unix:///path/to/redis.sock[?db=N]";
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`${shape}, got one that does not parse`);
  }
  const path = decodeURIComponent(u.pathname);
  if (u.host !== "" || !path.startsWith("/") || path.length < 2 || path.endsWith("/")) throw new Error(`${shape} (an absolute path to the socket, no host), got "${url}"`);
  for (const key of u.searchParams.keys()) if (key !== "db") throw new Error(`${shape}: "${key}" is not an option there (only db; the password comes from REDIS_PASSWORD)`);
  const db = u.searchParams.get("db");
  if (db !== null && !/^\d+$/.test(db)) throw new Error(`REDIS_URL's db must be a database number, got "${db}"`);
  return { path, ...(db !== null && { db: Number(db) }) };
}

/** The username, password and database number a redis:// URL carries, if any. */
function credentialsOf(url: string): { username?: string; password?: string; db?: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error("REDIS_URL must be a URL like redis://[:password@]host:port[/db] or unix:///path/to/redis.sock, got one that does not parse");
  }
  const credentials = urlCredentials(u);
  if (credentials === undefined) throw new Error(`REDIS_URL's path must be a database number, got "${u.pathname}"`);
  return credentials;
}
