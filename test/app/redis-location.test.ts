/** Where the api and dispatchers find Redis: one URL, Sentinels or a Cluster, with passwords; --shards and --redis-wait-replicas. */
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeLocation } from "../../src/adapters/redis/index.ts";
import { apiConfig, dispatcherConfig } from "../../src/app/redis-config.ts";
import { removeTempDirs, tempDir } from "../../scripts/lib/temp-dirs.ts";

afterAll(removeTempDirs);

describe("Redis location", () => {
  test("REDIS_URL alone: one server, as before", () => {
    expect(apiConfig([], {}).redis).toEqual({ kind: "url", url: "redis://127.0.0.1:6379" });
    expect(apiConfig(["--redis-url", "redis://10.0.0.5:6380/2"], {}).redis).toEqual({ kind: "url", url: "redis://10.0.0.5:6380/2" });
  });

  test("REDIS_SENTINELS with a name and passwords from *_FILE; the URL may give the database; logs show no password", () => {
    const dir = tempDir("redis-location");
    writeFileSync(join(dir, "pw"), "data-secret\n");
    writeFileSync(join(dir, "spw"), "sentinel-secret\n");
    const env = { REDIS_SENTINELS: "10.0.0.1:26379, 10.0.0.2:26380,[::1]:26381", REDIS_SENTINEL_NAME: "main", REDIS_PASSWORD_FILE: join(dir, "pw"), REDIS_SENTINEL_PASSWORD_FILE: join(dir, "spw"), REDIS_URL: "redis://ignored:6379/3" };
    const where = dispatcherConfig([], env, () => "d").redis;
    expect(where).toEqual({
      kind: "sentinel",
      sentinels: [
        { host: "10.0.0.1", port: 26379 },
        { host: "10.0.0.2", port: 26380 },
        { host: "::1", port: 26381 },
      ],
      name: "main",
      password: "data-secret",
      sentinelPassword: "sentinel-secret",
      db: 3,
    });
    expect(describeLocation(where)).toBe("sentinel 10.0.0.1:26379,10.0.0.2:26380,[::1]:26381 name main db 3");
    expect(apiConfig([], { REDIS_SENTINELS: "h:1" }).redis).toMatchObject({ kind: "sentinel", name: "mymaster" });
  });

  test("REDIS_CLUSTER lists some nodes; the password comes from the URL or REDIS_PASSWORD", () => {
    expect(apiConfig([], { REDIS_CLUSTER: "127.0.0.1:7000,127.0.0.1:7001", REDIS_URL: "redis://:from-url@x:1" }).redis).toEqual({
      kind: "cluster",
      nodes: [
        { host: "127.0.0.1", port: 7000 },
        { host: "127.0.0.1", port: 7001 },
      ],
      password: "from-url",
    });
    const plain = apiConfig([], { REDIS_URL: "redis://10.0.0.5:6380", REDIS_PASSWORD: "p@ss word" }).redis;
    expect(plain.kind === "url" && new URL(plain.url).password).toBe("p%40ss%20word");
    expect(describeLocation(plain)).toBe("redis://:***@10.0.0.5:6380");
  });

  test("contradictions and bad addresses are refused with a message naming the setting, never a password", () => {
    expect(() => apiConfig([], { REDIS_SENTINELS: "a:1", REDIS_CLUSTER: "b:2" })).toThrow("Give REDIS_SENTINELS (--redis-sentinels) or REDIS_CLUSTER (--redis-cluster), not both");
    expect(() => apiConfig([], { REDIS_SENTINEL_NAME: "m" })).toThrow("REDIS_SENTINEL_NAME (--redis-sentinel-name) needs REDIS_SENTINELS");
    expect(() => apiConfig([], { REDIS_CLUSTER: "10.0.0.1" })).toThrow('REDIS_CLUSTER (--redis-cluster) must list host:port addresses separated by commas, got "10.0.0.1"');
    expect(() => apiConfig([], { REDIS_SENTINELS: "h:99999" })).toThrow('got "h:99999"');
    expect(() => apiConfig([], { REDIS_CLUSTER: "h:1", REDIS_URL: "redis://:pw@h:1/2" })).toThrow("A Redis Cluster has only database 0; REDIS_URL names database 2");
    expect(() => apiConfig([], { REDIS_SENTINEL_PASSWORD: "s3cret-value" })).toThrow("REDIS_SENTINEL_PASSWORD needs REDIS_SENTINELS");
  });

  test("a Unix socket: unix:///path[?db=N], the password from REDIS_PASSWORD; bad ones refused, saying what was expected", () => {
    expect(apiConfig(["--redis-url", "unix:///run/redis/redis.sock"], {}).redis).toEqual({ kind: "socket", path: "/run/redis/redis.sock" });
    const where = dispatcherConfig([], { REDIS_URL: "unix:///var/run/my%20redis.sock?db=4", REDIS_PASSWORD: "s3cret-pw" }, () => "d").redis;
    expect(where).toEqual({ kind: "socket", path: "/var/run/my redis.sock", db: 4, password: "s3cret-pw" });
    expect(describeLocation(where)).toBe("unix:///var/run/my redis.sock?db=4");
    const shape = "REDIS_URL for a Unix socket must look like unix:///path/to/redis.sock[?db=N]";
    expect(() => apiConfig([], { REDIS_URL: "unix://host/redis.sock" })).toThrow(`${shape} (an absolute path to the socket, no host), got "unix://host/redis.sock"`);
    expect(() => apiConfig([], { REDIS_URL: "unix:///" })).toThrow(shape);
    expect(() => apiConfig([], { REDIS_URL: "unix:///tmp/redis.sock?password=x" })).toThrow(`${shape}: "password" is not an option there (only db; the password comes from REDIS_PASSWORD)`);
    expect(() => apiConfig([], { REDIS_URL: "unix:///tmp/redis.sock?db=two" })).toThrow(`REDIS_URL's db must be a database number, got "two"`);
    expect(() => apiConfig([], { REDIS_URL: "unix:///tmp/redis.sock", REDIS_CLUSTER: "h:1" })).toThrow("REDIS_URL names a Unix socket, which REDIS_SENTINELS (--redis-sentinels) and REDIS_CLUSTER (--redis-cluster) do not use");
    expect(() => apiConfig([], { REDIS_URL: "unix:///tmp/redis.sock", REDIS_SENTINEL_PASSWORD: "p" })).toThrow("REDIS_SENTINEL_PASSWORD needs REDIS_SENTINELS");
  });

  test("--shards (FAAS_SHARDS) and --redis-wait-replicas (REDIS_WAIT_REPLICAS)", () => {
    expect([apiConfig([], {}).shards, apiConfig([], {}).waitReplicas]).toEqual([1, 0]);
    expect(apiConfig(["--shards", "3", "--redis-wait-replicas", "1"], {})).toMatchObject({ shards: 3, waitReplicas: 1 });
    expect(dispatcherConfig([], { FAAS_SHARDS: "8" }, () => "d").shards).toBe(8);
    expect(() => apiConfig(["--shards", "0"], {})).toThrow('--shards must be an integer from 1 to 256, got "0"');
    expect(() => apiConfig(["--redis-wait-replicas", "-1"], {})).toThrow('--redis-wait-replicas must be an integer from 0 to 100, got "-1"');
  });
});
