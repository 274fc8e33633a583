/**
 * Settings of the Redis-backed processes (`bun run api`, `bun run dispatcher`) from argv and env,
 * parsed with the same helpers and flags as the embedded mode. Flags win over variables; a bad value
 * throws an Error naming the flag (the process prints it and exits with code 2).
 */
import { isLoopback } from "../adapters/http/edge.ts";
import type { RedisLocation } from "../adapters/redis/index.ts";
import { MAX_SHARDS } from "../adapters/redis/index.ts";
import { readAuthorizedWorkers, readKeyFile } from "./curve-config.ts";
import { checkOpenBind, queuePolicy, scheduleCatchUp, type QueuePolicy, edgeSettings, shutdownGrace, switchOn, parseApiKeys, parseBytes, parseDuration, parseInteger, parseLogLevel, reader, secret, type ApiKeyEntry, type HttpEdgeSettings, type LogLevel } from "./config.ts";
import { executorSettings, type ExecutorSettings } from "./executors.ts";
import { redisLocation } from "./redis-location.ts";

type Env = Record<string, string | undefined>;

export interface RedisSettings {
  /** REDIS_URL (or REDIS_URL_FILE, --redis-url), default redis://127.0.0.1:6379. */
  readonly redisUrl: string;
  /** Where Redis is: REDIS_URL, or REDIS_SENTINELS / REDIS_CLUSTER with passwords (redis-location.ts). */
  readonly redis: RedisLocation;
  /** --shards / FAAS_SHARDS, default 1: how many streams (hash slots) the queue is split into; the deployment's, stored in Redis. */
  readonly shards: number;
  /** FAAS_PREFIX, default "faas": the key prefix, so deployments can share one Redis. */
  readonly prefix: string;
  /** How long terminal tasks stay readable; applied where a task becomes terminal. */
  readonly retentionMs: number;
  readonly logLevel: LogLevel;
  /** On SIGTERM/SIGINT, how long running tasks may finish before the rest are handed back. */
  readonly shutdownGraceMs: number;
  /** --tenant-limits and --priority-aging (the same for every process of a deployment). */
  readonly queuePolicy: QueuePolicy;
  /** --redis-lean / REDIS_LEAN, default on: lean connections of our own for a task's calls on one server (adapters/redis/lean-lanes.ts). */
  readonly redisLean: boolean;
}

export interface ApiConfig extends RedisSettings {
  readonly port: number;
  readonly host: string;
  readonly maxBodyBytes: number;
  readonly maxQueue: number;
  /** --api-keys / FAAS_API_KEYS / FAAS_API_KEYS_FILE: the accepted API keys and their tenants; empty means the API is open. */
  readonly apiKeys: readonly ApiKeyEntry[];
  readonly edge: HttpEdgeSettings;
  /** --redis-wait-replicas / REDIS_WAIT_REPLICAS, default 0: replicas that must have an enqueue (or a registration) before it is answered 201. */
  readonly waitReplicas: number;
}

/** The modes this build's dispatcher runs: its own executors (local), or remote workers (pull, push). */
export const DISPATCHER_MODES = ["local", "pull", "push"] as const;

export interface DispatcherConfig extends RedisSettings, ExecutorSettings {
  readonly mode: (typeof DISPATCHER_MODES)[number];
  /** Consumer name in the queue's group and name of the liveness key; unique per process. */
  readonly dispatcherId: string;
  /** Liveness key ttl: a dispatcher silent this long is taken for dead and its tasks re-run. */
  readonly livenessMs: number;
  /** pull/push: where workers connect (--host, --port). */
  readonly host: string;
  readonly port: number;
  /** pull/push: how often workers are heartbeated and checked, and after how long silent one is dead. */
  readonly heartbeatMs: number;
  readonly workerTimeoutMs: number;
  /** pull/push: most capacity one worker may claim. */
  readonly maxWorkerCapacity: number;
  /** pull/push: ZMTP CURVE (--curve-secret-key-file, --authorized-workers), or none (NULL security). */
  readonly curve: { readonly secretKey: string; readonly authorizedWorkersFile: string; readonly authorizedWorkers: Set<string> } | undefined;
  /** --health-port: serve GET /healthz (200 claiming, 503 not) on 127.0.0.1 or --health-host; unset: none. */
  readonly healthPort: number | undefined;
  readonly healthHost: string;
  /** --schedule-catch-up (default 1): most missed ticks of a schedule its scheduler fires at once. */
  readonly scheduleCatchUp: number;
  /** --max-queue: queued tasks past which a schedule's tick is skipped. */
  readonly maxQueue: number;
}

function redisSettings(argv: readonly string[], env: Env): RedisSettings {
  const get = reader(argv, env);
  const prefix = get("prefix", "FAAS_PREFIX") ?? "faas";
  if (!/^[\w.:-]{1,64}$/.test(prefix)) throw new Error(`FAAS_PREFIX must be 1-64 letters, digits or _.:-, got "${prefix}"`);
  const retentionMs = parseDuration(get("retention", "RETENTION") ?? "24h", "--retention");
  if (retentionMs < 1) throw new Error(`--retention must be at least 1ms, got "${get("retention", "RETENTION")}"`);
  const { location, url } = redisLocation(get, env);
  return {
    redisUrl: url,
    redis: location,
    shards: parseInteger(get("shards", "FAAS_SHARDS") ?? "1", "--shards", 1, MAX_SHARDS),
    prefix,
    retentionMs,
    logLevel: parseLogLevel(get("log-level", "LOG_LEVEL")),
    shutdownGraceMs: shutdownGrace(get),
    queuePolicy: queuePolicy(get),
    redisLean: leanSetting(get("redis-lean", "REDIS_LEAN")),
  };
}

/** --redis-lean's value: on (the default) or off. */
function leanSetting(raw: string | undefined): boolean {
  if (raw === undefined || raw === "on") return true;
  if (raw === "off") return false;
  throw new Error(`--redis-lean (REDIS_LEAN) is on or off, got "${raw}"`);
}

/** `bun run api` settings. */
export function apiConfig(argv: readonly string[], env: Env): ApiConfig {
  const get = reader(argv, env);
  const c = {
    ...redisSettings(argv, env),
    port: parseInteger(get("port", "PORT") ?? "8000", "--port", 0, 65535),
    host: get("host", "HOST") ?? "127.0.0.1",
    maxBodyBytes: parseBytes(get("max-body", "MAX_BODY") ?? "1mb", "--max-body"),
    maxQueue: parseInteger(get("max-queue", "MAX_QUEUE") ?? "100000", "--max-queue", 1, 100_000_000),
    apiKeys: parseApiKeys(secret(get, env, "api-keys", "FAAS_API_KEYS")),
    edge: edgeSettings(argv, env),
    waitReplicas: parseInteger(get("redis-wait-replicas", "REDIS_WAIT_REPLICAS") ?? "0", "--redis-wait-replicas", 0, 100),
  };
  checkOpenBind(c);
  return c;
}

/** `bun run dispatcher` settings; `--mode` must be one of DISPATCHER_MODES. */
export function dispatcherConfig(argv: readonly string[], env: Env, newId: () => string): DispatcherConfig {
  const get = reader(argv, env);
  const mode = get("mode", "MODE") ?? "local";
  if (!(DISPATCHER_MODES as readonly string[]).includes(mode)) {
    throw new Error(`--mode must be one of the modes this build supports (${DISPATCHER_MODES.join(", ")}), got "${mode}"`);
  }
  const livenessMs = parseDuration(get("liveness", "LIVENESS") ?? "10s", "--liveness");
  if (livenessMs < 100) throw new Error(`--liveness must be at least 100ms, got "${get("liveness", "LIVENESS")}"`);
  const heartbeatMs = parseDuration(get("heartbeat", "HEARTBEAT") ?? "1s", "--heartbeat");
  const workerTimeoutMs = parseDuration(get("worker-timeout", "WORKER_TIMEOUT") ?? "3s", "--worker-timeout");
  const healthPort = get("health-port", "HEALTH_PORT");
  if (heartbeatMs < 10) throw new Error(`--heartbeat must be at least 10ms, got "${get("heartbeat", "HEARTBEAT")}"`);
  if (workerTimeoutMs <= heartbeatMs) throw new Error(`--worker-timeout must be longer than --heartbeat (${heartbeatMs} ms), got ${workerTimeoutMs} ms`);
  return {
    ...redisSettings(argv, env),
    ...executorSettings(get, parseInteger, "sandbox"), // a local dispatcher runs others' code: sandboxed by default
    mode: mode as DispatcherConfig["mode"],
    dispatcherId: get("id", "DISPATCHER_ID") ?? newId(),
    livenessMs,
    host: get("host", "DISPATCHER_HOST") ?? "127.0.0.1",
    port: parseInteger(get("port", "DISPATCHER_PORT") ?? "5555", "--port", 0, 65535),
    heartbeatMs,
    workerTimeoutMs,
    curve: dispatcherCurve(get, mode, get("host", "DISPATCHER_HOST") ?? "127.0.0.1", switchOn(argv, env, "insecure-transport", "INSECURE_TRANSPORT")),
    maxWorkerCapacity: parseInteger(get("max-worker-capacity", "MAX_WORKER_CAPACITY") ?? "1024", "--max-worker-capacity", 1, 1_000_000),
    healthPort: healthPort === undefined ? undefined : parseInteger(healthPort, "--health-port", 0, 65535),
    healthHost: get("health-host", "HEALTH_HOST") ?? "127.0.0.1",
    scheduleCatchUp: scheduleCatchUp(get),
    maxQueue: parseInteger(get("max-queue", "MAX_QUEUE") ?? "100000", "--max-queue", 1, 100_000_000),
  };
}

/**
 * The dispatcher's CURVE settings: both files or neither. A pull or push dispatcher bound to an address
 * other machines can reach refuses to start without them, unless --insecure-transport.
 */
function dispatcherCurve(get: (name: string, envName: string) => string | undefined, mode: string, host: string, insecure: boolean): DispatcherConfig["curve"] {
  const keyFile = get("curve-secret-key-file", "CURVE_SECRET_KEY_FILE");
  const workersFile = get("authorized-workers", "AUTHORIZED_WORKERS");
  if ((keyFile === undefined) !== (workersFile === undefined)) {
    throw new Error("--curve-secret-key-file and --authorized-workers go together: give both (CURVE with an allow-list of workers) or neither");
  }
  if (keyFile === undefined || workersFile === undefined) {
    if (mode !== "local" && !isLoopback(host) && !insecure) {
      throw new Error(`Refusing to listen for workers on ${host} without CURVE: any process that connects would get function source and arguments, and could report results. Give --curve-secret-key-file and --authorized-workers (keys from faas keygen), bind 127.0.0.1, or pass --insecure-transport`);
    }
    return undefined;
  }
  return { secretKey: readKeyFile(keyFile, "--curve-secret-key-file"), authorizedWorkersFile: workersFile, authorizedWorkers: readAuthorizedWorkers(workersFile) };
}
