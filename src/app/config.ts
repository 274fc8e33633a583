/**
 * Command-line flags and environment variables, parsed once per process. Flags win over variables.
 * A bad value stops the process with a message naming the flag.
 */
import { readFileSync } from "node:fs";
import { isLoopback } from "../adapters/http/edge.ts";
import { parseTenantLimits, type LimitsTable } from "../domain/tenant-limits.ts";
import { DEFAULT_TENANT, TENANT_NAME } from "../domain/tenant.ts";
import { executorSettings, type ExecutorSettings } from "./executors.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

/** How the queue orders and shares tasks: --tenant-limits and --priority-aging. */
export interface QueuePolicy {
  /** Quotas per tenant (queued, running at once, started per second). */
  readonly limits: LimitsTable;
  /** A waiting task rises one priority level per this many ms. */
  readonly agingMs: number;
}

/** --tenant-limits and --priority-aging. */
export function queuePolicy(get: (name: string, envName: string) => string | undefined): QueuePolicy {
  const limits = parseTenantLimits(get("tenant-limits", "TENANT_LIMITS"));
  if (!limits.ok) throw new Error(`--tenant-limits: ${limits.error.kind === "InvalidRequest" ? limits.error.message : "invalid"}`);
  const agingMs = parseDuration(get("priority-aging", "PRIORITY_AGING") ?? "30s", "--priority-aging");
  if (agingMs < 1) throw new Error("--priority-aging must be at least 1ms");
  return { limits: limits.value, agingMs };
}

/** --schedule-catch-up: most missed ticks of a schedule fired at once after a gap (0: none). */
export function scheduleCatchUp(get: (name: string, envName: string) => string | undefined): number {
  return parseInteger(get("schedule-catch-up", "SCHEDULE_CATCH_UP") ?? "1", "--schedule-catch-up", 0, 1000);
}

export interface EmbeddedConfig extends ExecutorSettings {
  readonly queuePolicy: QueuePolicy;
  /** --schedule-catch-up (default 1). */
  readonly scheduleCatchUp: number;
  readonly port: number;
  readonly host: string;
  readonly maxBodyBytes: number;
  readonly maxQueue: number;
  readonly retentionMs: number;
  readonly logLevel: LogLevel;
  /** --api-keys / FAAS_API_KEYS / FAAS_API_KEYS_FILE: the accepted API keys and their tenants; empty means the API is open. */
  readonly apiKeys: readonly ApiKeyEntry[];
  /** Bytes of results one POST /wait reply carries at most (default 32 MiB; not a flag). */
  readonly waitReplyBytes?: number;
  readonly edge: HttpEdgeSettings;
  /** On SIGTERM/SIGINT, how long running tasks may finish before the rest are handed back. */
  readonly shutdownGraceMs: number;
}

/** The HTTP edge's checks (adapters/http/edge.ts) and the start-up rule about open, non-loopback servers. */
export interface HttpEdgeSettings {
  /** --allowed-hosts: Host names accepted besides localhost, 127.0.0.1 and [::1] on a loopback bind. */
  readonly allowedHosts: readonly string[];
  /** --allowed-origins: web origins accepted besides the server's own. */
  readonly allowedOrigins: readonly string[];
  /** --trust-proxy: believe X-Forwarded-Proto (Secure cookies) and X-Forwarded-For (sign-in limits). */
  readonly trustProxy: boolean;
  /** --insecure-no-auth: allow no API keys on a non-loopback address. */
  readonly insecureNoAuth: boolean;
}

/** Whether a boolean flag is set: `--name` alone, `--name=true|false`, or ENV=1|true|0|false. */
export function switchOn(argv: readonly string[], env: Record<string, string | undefined>, name: string, envName: string): boolean {
  flagsRead.add(name);
  const raw = argv.includes(`--${name}`) ? "true" : (flag(argv, name) ?? env[envName]);
  if (raw === undefined || raw === "") return false;
  const v = raw.toLowerCase();
  if (v === "1" || v === "true" || v === "yes") return true;
  if (v === "0" || v === "false" || v === "no") return false;
  throw new Error(`--${name} (${envName}) is on or off: give it alone, or true/false, got "${raw}"`);
}

/**
 * The start-up rule for servers: no API keys on an address other machines reach is refused, unless
 * --insecure-no-auth says so (anyone who reaches the server could run code on it).
 */
export function checkOpenBind(c: { readonly host: string; readonly apiKeys: readonly unknown[]; readonly edge: HttpEdgeSettings }): void {
  if (c.apiKeys.length === 0 && !isLoopback(c.host) && !c.edge.insecureNoAuth) {
    throw new Error(`Refusing to listen on ${c.host} without API keys: anyone who reaches it could run code here. Set FAAS_API_KEYS (or FAAS_API_KEYS_FILE), bind 127.0.0.1, or pass --insecure-no-auth`);
  }
}

/** Reads the HTTP edge settings. */
export function edgeSettings(argv: readonly string[], env: Record<string, string | undefined>): HttpEdgeSettings {
  const get = reader(argv, env);
  const list = (text: string | undefined): string[] => (text === undefined ? [] : text.split(",").map((x) => x.trim()).filter((x) => x !== ""));
  const allowedOrigins = list(get("allowed-origins", "ALLOWED_ORIGINS"));
  for (const o of allowedOrigins) if (!/^https?:\/\/[^/\s]+$/.test(o)) throw new Error(`--allowed-origins must list origins like https://app.example.com (scheme and host, no path), got "${o}"`);
  return {
    allowedHosts: list(get("allowed-hosts", "ALLOWED_HOSTS")),
    allowedOrigins,
    trustProxy: switchOn(argv, env, "trust-proxy", "TRUST_PROXY"),
    insecureNoAuth: switchOn(argv, env, "insecure-no-auth", "INSECURE_NO_AUTH"),
  };
}

/** One accepted API key and the tenant it belongs to. */
export interface ApiKeyEntry {
  readonly tenant: string;
  readonly key: string;
}

/** Reads `--name value` or `--name=value` from argv. */
export function flag(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === `--${name}`) return argv[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

/** Parses "500ms", "30s", "15m", "24h" or a bare number of ms. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (m === null) throw new Error(`${what} must be a duration like 500ms, 30s, 15m or 24h, got "${text}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? "ms") as "ms"];
  return Math.round(Number(m[1]) * unit);
}

/** Parses a whole number within bounds. */
export function parseInteger(text: string, what: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${what} must be an integer from ${min} to ${max}, got "${text}"`);
  return n;
}

/** Parses "1mb", "512kb", "1048576". */
export function parseBytes(text: string, what: string): number {
  const m = /^(\d+)(b|kb|kib|mb|mib)?$/i.exec(text.trim());
  if (m === null) throw new Error(`${what} must be a size like 1mb or 512kb, got "${text}"`);
  const unit = (m[2] ?? "b").toLowerCase();
  return Number(m[1]) * (unit.startsWith("k") ? 1024 : unit.startsWith("m") ? 1024 * 1024 : 1);
}

/** Every flag name a config reader was asked for (test/app/commands.test.ts checks each is declared in flags.ts). */
export const flagsRead = new Set<string>();

/** Reads `--name` from argv, else `ENV_NAME` from the environment. */
export function reader(argv: readonly string[], env: Record<string, string | undefined>): (name: string, envName: string) => string | undefined {
  return (name, envName) => {
    flagsRead.add(name);
    return flag(argv, name) ?? env[envName];
  };
}

/** --shutdown-grace / SHUTDOWN_GRACE (default 8 s, inside the 10 s most supervisors wait before SIGKILL). */
export function shutdownGrace(get: (name: string, envName: string) => string | undefined): number {
  return parseDuration(get("shutdown-grace", "SHUTDOWN_GRACE") ?? "8s", "--shutdown-grace");
}

/** --log-level / LOG_LEVEL, default info. */
export function parseLogLevel(text: string | undefined): LogLevel {
  const level = text ?? "info";
  if (!["debug", "info", "warn", "error"].includes(level)) throw new Error(`--log-level must be debug, info, warn or error, got "${level}"`);
  return level as LogLevel;
}

export const MIN_API_KEY_LENGTH = 16;

/**
 * Parses `--api-keys` / `FAAS_API_KEYS`: a list of entries separated by commas (or newlines, in a
 * file). An entry is `NAME:KEY` when the part before its first `:` is a tenant name ([a-z0-9_-]{1,32});
 * otherwise the whole entry is a key of the tenant `default`, so plain key lists keep working. A key is
 * at least 16 printable ASCII characters without spaces, and listed once. Unset or empty: no keys (the
 * API is open). Messages never echo a key.
 *
 * @example
 * parseApiKeys("alice:k1-0123456789abcdef,bob:k2-0123456789abcdef") // alice and bob
 * parseApiKeys("k1-0123456789abcdef")                              // one key of the tenant default
 * parseApiKeys(undefined)                                          // []
 */
export function parseApiKeys(text: string | undefined, source = "--api-keys (FAAS_API_KEYS)"): ApiKeyEntry[] {
  if (text === undefined || text.trim() === "") return [];
  const entries = text.split(/[,\n]/).map((k) => k.trim());
  if (text.includes("\n")) while (entries.length > 0 && entries.at(-1) === "") entries.pop(); // a final newline
  const seen = new Map<string, number>();
  return entries.map((entry, i) => {
    const which = entries.length > 1 ? ` (entry ${i + 1} of ${entries.length})` : "";
    const colon = entry.indexOf(":");
    const named = colon > 0 && TENANT_NAME.test(entry.slice(0, colon));
    const tenant = named ? entry.slice(0, colon) : DEFAULT_TENANT;
    const key = named ? entry.slice(colon + 1) : entry;
    if (key.length < MIN_API_KEY_LENGTH) {
      throw new Error(`${source} must be a comma-separated list of keys (or tenant:key) of at least ${MIN_API_KEY_LENGTH} characters each, got one of ${key.length} characters${which}`);
    }
    if (!/^[\x21-\x7e]+$/.test(key)) throw new Error(`${source}: a key must be printable ASCII without spaces, got one with other characters${which}`);
    const before = seen.get(key);
    if (before !== undefined) throw new Error(`${source}: the same key is listed twice (entries ${before + 1} and ${i + 1}); each key belongs to one tenant`);
    seen.set(key, i);
    return { tenant, key };
  });
}

/**
 * A secret from `--flag`, `ENV`, or the file named by `ENV_FILE` (so it need not sit in any process
 * environment). Giving both `ENV` and `ENV_FILE` is refused, as is an unreadable file.
 *
 * @example
 * secret(get, env, "api-keys", "FAAS_API_KEYS") // FAAS_API_KEYS_FILE=/run/secrets/keys works too
 */
export function secret(get: (name: string, envName: string) => string | undefined, env: Record<string, string | undefined>, name: string, envName: string): string | undefined {
  const direct = get(name, envName);
  const file = env[`${envName}_FILE`];
  if (file === undefined || file === "") return direct;
  if (direct !== undefined) throw new Error(`Give ${envName} (or --${name}) or ${envName}_FILE, not both`);
  try {
    return readFileSync(file, "utf8").trim();
  } catch (e) {
    throw new Error(`${envName}_FILE must name a readable file, got "${file}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** The embedded process's settings from argv and env. */
export function embeddedConfig(argv: readonly string[], env: Record<string, string | undefined>): EmbeddedConfig {
  const get = reader(argv, env);
  const host = get("host", "HOST") ?? "127.0.0.1";
  const apiKeys = parseApiKeys(secret(get, env, "api-keys", "FAAS_API_KEYS"));
  // Secure by default: with API keys (several users) or on an address others reach, code runs sandboxed.
  const c = {
    ...executorSettings(get, parseInteger, apiKeys.length > 0 || !isLoopback(host) ? "sandbox" : "thread"),
    port: parseInteger(get("port", "PORT") ?? "8000", "--port", 0, 65535),
    host,
    maxBodyBytes: parseBytes(get("max-body", "MAX_BODY") ?? "1mb", "--max-body"),
    maxQueue: parseInteger(get("max-queue", "MAX_QUEUE") ?? "100000", "--max-queue", 1, 100_000_000),
    retentionMs: parseDuration(get("retention", "RETENTION") ?? "24h", "--retention"),
    logLevel: parseLogLevel(get("log-level", "LOG_LEVEL")),
    apiKeys,
    edge: edgeSettings(argv, env),
    shutdownGraceMs: shutdownGrace(get),
    queuePolicy: queuePolicy(get),
    scheduleCatchUp: scheduleCatchUp(get),
  };
  checkOpenBind(c);
  return c;
}

