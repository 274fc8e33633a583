/**
 * Start-up settings that carry secrets: API keys with their tenants (`NAME:KEY`, bare keys belong to
 * `default`, a key listed twice is refused, nothing echoes a key) and `*_FILE` variables that keep
 * secrets out of every process environment.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeTempDirs, tempDir } from "../../scripts/lib/temp-dirs.ts";
import { embeddedConfig, parseApiKeys, reader, secret } from "../../src/app/config.ts";
import { apiConfig, dispatcherConfig } from "../../src/app/redis-config.ts";

const KEY = "test-key-0123456789abcdef";
const OTHER = "second-key-0123456789";
afterAll(() => removeTempDirs());

function refusal(text: string): string {
  try {
    parseApiKeys(text);
  } catch (e) {
    return (e as Error).message;
  }
  return "accepted";
}

describe("parseApiKeys (--api-keys / FAAS_API_KEYS)", () => {
  test("unset or empty: no keys; bare keys belong to the tenant default", () => {
    expect(parseApiKeys(undefined)).toEqual([]);
    expect(parseApiKeys("  ")).toEqual([]);
    expect(parseApiKeys(` ${KEY} ,${OTHER}`)).toEqual([
      { tenant: "default", key: KEY },
      { tenant: "default", key: OTHER },
    ]);
  });

  test("NAME:KEY gives the key to the tenant NAME when NAME is a tenant name; otherwise the whole entry is a key", () => {
    expect(parseApiKeys(`alice:${KEY},bob_2-x:${OTHER}`)).toEqual([
      { tenant: "alice", key: KEY },
      { tenant: "bob_2-x", key: OTHER },
    ]);
    expect(parseApiKeys(`Alice:${KEY}`)).toEqual([{ tenant: "default", key: `Alice:${KEY}` }]);
    expect(parseApiKeys(`${"a".repeat(33)}:${KEY}`)).toEqual([{ tenant: "default", key: `${"a".repeat(33)}:${KEY}` }]);
    expect(parseApiKeys(`admin:${KEY}`)).toEqual([{ tenant: "admin", key: KEY }]);
    expect(parseApiKeys(`alice:${KEY}:more`)).toEqual([{ tenant: "alice", key: `${KEY}:more` }]);
  });

  test("a short key, an empty entry or a key with spaces is refused, naming the flag and not the key", () => {
    for (const text of ["short", `${KEY},`, `${KEY},tiny-but-secret`, "a key with spaces in it", `alice:tiny`]) {
      const message = refusal(text);
      expect(message).toContain("--api-keys");
      expect(message).not.toContain("tiny-but-secret");
      expect(message).not.toContain("a key with spaces");
      expect(message).not.toContain("tiny");
    }
  });

  test("a key listed twice refuses start-up, whichever tenants it is given to", () => {
    const message = refusal(`alice:${KEY},bob:${OTHER},mallory:${KEY}`);
    expect(message).toContain("listed twice (entries 1 and 3)");
    expect(message).not.toContain(KEY);
    expect(refusal(`${KEY},${KEY}`)).toContain("listed twice");
  });

  test("newlines separate entries too (a keys file)", () => {
    expect(parseApiKeys(`alice:${KEY}\nbob:${OTHER}\n`)).toEqual([
      { tenant: "alice", key: KEY },
      { tenant: "bob", key: OTHER },
    ]);
  });
});

describe("secrets from files", () => {
  test("FAAS_API_KEYS_FILE and REDIS_URL_FILE are read; the variables themselves need not be set", () => {
    const dir = tempDir("secrets");
    writeFileSync(join(dir, "keys"), `alice:${KEY}\nbob:${OTHER}\n`);
    writeFileSync(join(dir, "redis"), "redis://:s3cret@10.0.0.5:6380/2\n");
    const env = { FAAS_API_KEYS_FILE: join(dir, "keys"), REDIS_URL_FILE: join(dir, "redis") };
    expect(embeddedConfig([], env).apiKeys.map((k) => k.tenant)).toEqual(["alice", "bob"]);
    const api = apiConfig([], env);
    expect(api.apiKeys).toHaveLength(2);
    expect(api.redisUrl).toBe("redis://:s3cret@10.0.0.5:6380/2");
  });

  test("both the variable and its _FILE, or a missing file, are refused with a message naming them", () => {
    const get = reader([], { FAAS_API_KEYS: KEY });
    expect(() => secret(get, { FAAS_API_KEYS: KEY, FAAS_API_KEYS_FILE: "/x" }, "api-keys", "FAAS_API_KEYS")).toThrow("Give FAAS_API_KEYS (or --api-keys) or FAAS_API_KEYS_FILE, not both");
    const none = reader([], {});
    expect(() => secret(none, { REDIS_URL_FILE: "/no/such/file" }, "redis-url", "REDIS_URL")).toThrow('REDIS_URL_FILE must name a readable file, got "/no/such/file" (ENOENT)');
  });
});

describe("--redis-lean (REDIS_LEAN)", () => {
  test("on by default; off from the flag or the variable; anything else is refused, naming the setting", () => {
    expect(apiConfig([], {}).redisLean).toBe(true);
    expect(apiConfig(["--redis-lean", "off"], {}).redisLean).toBe(false);
    expect(dispatcherConfig(["--mode", "local"], { REDIS_LEAN: "off" }, () => "d-1").redisLean).toBe(false);
    expect(dispatcherConfig(["--mode", "local", "--redis-lean", "on"], { REDIS_LEAN: "off" }, () => "d-1").redisLean).toBe(true);
    expect(() => apiConfig([], { REDIS_LEAN: "yes" })).toThrow('--redis-lean (REDIS_LEAN) is on or off, got "yes"');
  });
});
