/**
 * The flags each server command takes, declared once: name, environment variable, default and what
 * it does. From them come `--help` (usage with every flag) and the refusal of unknown flags (exit 2,
 * one line naming it). Config readers (config.ts, redis-config.ts, worker-config.ts) read the same names;
 * a test checks that every flag they read is declared here.
 *
 * @example
 * checkArgv(["--prot", "80"], API_FLAGS, "api") // throws: unknown flag --prot (did you mean --port?)
 * usage("api", "the REST API on Redis", API_FLAGS) // the --help text
 */
export interface FlagSpec {
  readonly name: string;
  readonly env?: string;
  /** Shown as the default; undefined: none. */
  readonly default?: string;
  readonly help: string;
  /** On/off: `--name` alone (or `--name=true|false`), takes no value. */
  readonly switch?: boolean;
}

const flag = (name: string, env: string | undefined, def: string | undefined, help: string): FlagSpec => ({ name, ...(env !== undefined && { env }), ...(def !== undefined && { default: def }), help });
const onOff = (name: string, env: string, help: string): FlagSpec => ({ name, env, default: "off", help, switch: true });

export const LOG_FLAGS: readonly FlagSpec[] = [flag("log-level", "LOG_LEVEL", "info", "debug, info, warn or error (JSON lines on stderr)")];

export const HTTP_FLAGS: readonly FlagSpec[] = [
  flag("port", "PORT", "8000", "HTTP port (0 picks a free one)"),
  flag("host", "HOST", "127.0.0.1", "interface to listen on"),
  flag("max-body", "MAX_BODY", "1mb", "largest request body (413 past it)"),
  flag("max-queue", "MAX_QUEUE", "100000", "queued tasks past which execute answers 429"),
  flag("api-keys", "FAAS_API_KEYS", "none (open)", "API keys, NAME:KEY for a tenant; or FAAS_API_KEYS_FILE"),
  flag("allowed-hosts", "ALLOWED_HOSTS", undefined, "Host names accepted besides localhost, 127.0.0.1, [::1]"),
  flag("allowed-origins", "ALLOWED_ORIGINS", undefined, "web origins accepted besides the server's own"),
  onOff("trust-proxy", "TRUST_PROXY", "believe X-Forwarded-Proto and X-Forwarded-For"),
  onOff("insecure-no-auth", "INSECURE_NO_AUTH", "allow no API keys on a non-loopback --host"),
];

export const RETENTION_FLAGS: readonly FlagSpec[] = [flag("retention", "RETENTION", "24h", "how long finished tasks stay readable (500ms, 30s, 24h)")];

export const REDIS_FLAGS: readonly FlagSpec[] = [
  flag("redis-url", "REDIS_URL", "redis://127.0.0.1:6379", "where Redis is; or REDIS_URL_FILE"),
  flag("redis-sentinels", "REDIS_SENTINELS", undefined, "host:port,... of Sentinels: the master is found (and followed after a failover) through them"),
  flag("redis-sentinel-name", "REDIS_SENTINEL_NAME", "mymaster", "the master's name in the Sentinels' configuration"),
  flag("redis-cluster", "REDIS_CLUSTER", undefined, "host:port,... of some Redis Cluster nodes: use the Cluster"),
  flag("redis-password", "REDIS_PASSWORD", "the URL's, if any", "Redis password (prefer REDIS_PASSWORD_FILE)"),
  flag("redis-sentinel-password", "REDIS_SENTINEL_PASSWORD", "none", "the Sentinels' password (prefer REDIS_SENTINEL_PASSWORD_FILE)"),
  flag("shards", "FAAS_SHARDS", "1", "queue shards (hash slots; spread over a Cluster's masters); the same for every process"),
  flag("prefix", "FAAS_PREFIX", "faas", "key prefix, so deployments can share one Redis"),
  flag("redis-lean", "REDIS_LEAN", "on", "on: a task's script calls, blocking reads and subscriptions use lean connections of our own (one server by redis:// or unix://); off: ioredis for everything"),
];

export const API_REDIS_FLAGS: readonly FlagSpec[] = [flag("redis-wait-replicas", "REDIS_WAIT_REPLICAS", "0", "replicas that must have an enqueue or a registration before it is answered 201 (else 504)")];

export const EXECUTOR_FLAGS: readonly FlagSpec[] = [
  flag("workers", "WORKERS", "CPU count", "executors (at most this many at once, shared by tenants)"),
  flag("isolation", "ISOLATION", "thread", "thread, process or sandbox (see Isolation modes in the README)"),
  flag("max-memory-mb", "MAX_MEMORY_MB", "512", "memory cap of each process or sandbox executor, its whole process tree"),
  flag("max-result-bytes", "MAX_RESULT_BYTES", "16mb", "a bigger result ends FAILED ResultTooLarge"),
  flag("executor-idle", "EXECUTOR_IDLE", "30s", "an executor idle this long is stopped"),
  flag("sandbox-network", "SANDBOX_NETWORK", "off", "on: sandboxes keep the host's network"),
];

export const QUEUE_FLAGS: readonly FlagSpec[] = [
  flag("tenant-limits", "TENANT_LIMITS", "none", "per tenant: tenant:queued=N,running=N,rate=N;... (* for every tenant without its own)"),
  flag("priority-aging", "PRIORITY_AGING", "30s", "a waiting task rises one priority level per this much waiting"),
];

export const SCHEDULE_FLAGS: readonly FlagSpec[] = [flag("schedule-catch-up", "SCHEDULE_CATCH_UP", "1", "after a gap (no dispatcher running), at most this many missed ticks of a schedule fire at once; 0 skips them")];
/** A dispatcher enqueues schedule ticks, so it needs the queue cap an API has. */
const DISPATCHER_SCHEDULE_FLAGS: readonly FlagSpec[] = [...SCHEDULE_FLAGS, flag("max-queue", "MAX_QUEUE", "100000", "queued tasks past which a schedule's tick is skipped (as execute answers 429)")];

export const SHUTDOWN_FLAGS: readonly FlagSpec[] = [flag("shutdown-grace", "SHUTDOWN_GRACE", "8s", "on SIGTERM/SIGINT, how long running tasks may finish before the rest are handed back")];

export const DISPATCHER_ONLY_FLAGS: readonly FlagSpec[] = [
  flag("mode", "MODE", "local", "local (its own executors), pull or push (remote workers)"),
  flag("id", "DISPATCHER_ID", "a UUID", "its consumer name in the queue group"),
  flag("liveness", "LIVENESS", "10s", "ttl of its liveness key"),
  flag("host", "DISPATCHER_HOST", "127.0.0.1", "pull/push: where workers connect"),
  flag("port", "DISPATCHER_PORT", "5555", "pull/push: the port workers connect to"),
  flag("heartbeat", "HEARTBEAT", "1s", "pull/push: how often workers are heartbeated"),
  flag("worker-timeout", "WORKER_TIMEOUT", "3s", "pull/push: a worker silent this long is dead"),
  flag("max-worker-capacity", "MAX_WORKER_CAPACITY", "1024", "pull/push: most capacity one worker may claim"),
  flag("curve-secret-key-file", "CURVE_SECRET_KEY_FILE", undefined, "pull/push: ZMTP CURVE with this secret key (faas keygen writes one)"),
  flag("authorized-workers", "AUTHORIZED_WORKERS", undefined, "pull/push: file of worker public keys allowed (one per line, re-read when it changes)"),
  onOff("insecure-transport", "INSECURE_TRANSPORT", "pull/push: allow NULL security (no CURVE) on a non-loopback --host"),
  flag("health-port", "HEALTH_PORT", undefined, "serve GET /healthz (200 claiming, 503 not) on this port"),
  flag("health-host", "HEALTH_HOST", "127.0.0.1", "interface of --health-port"),
];

export const WORKER_ONLY_FLAGS: readonly FlagSpec[] = [
  flag("mode", "MODE", "push", "pull or push: the dispatcher's mode"),
  flag("url", "DISPATCHER_URL", "tcp://127.0.0.1:5555", "the dispatcher"),
  flag("procs", "PROCS", "CPU count", "executors (capacity = procs x 128 slots)"),
  flag("id", "WORKER_ID", "a UUID", "its id and ZMTP routing id"),
  flag("heartbeat", "HEARTBEAT", "1s", "how often it heartbeats the dispatcher"),
  flag("dispatcher-timeout", "DISPATCHER_TIMEOUT", "3s", "the dispatcher silent this long: register again"),
  flag("curve-server-key", "CURVE_SERVER_KEY", undefined, "ZMTP CURVE: the dispatcher's public key (Z85)"),
  flag("curve-server-key-file", "CURVE_SERVER_KEY_FILE", undefined, "ZMTP CURVE: a file holding the dispatcher's public key"),
  flag("curve-secret-key-file", "CURVE_SECRET_KEY_FILE", undefined, "ZMTP CURVE: this worker's secret key (faas keygen writes one)"),
];

export const EMBEDDED_FLAGS: readonly FlagSpec[] = [...HTTP_FLAGS, ...EXECUTOR_FLAGS, ...QUEUE_FLAGS, ...SCHEDULE_FLAGS, ...RETENTION_FLAGS, ...SHUTDOWN_FLAGS, ...LOG_FLAGS];
export const API_FLAGS: readonly FlagSpec[] = [...HTTP_FLAGS, ...REDIS_FLAGS, ...API_REDIS_FLAGS, ...QUEUE_FLAGS, ...RETENTION_FLAGS, ...SHUTDOWN_FLAGS, ...LOG_FLAGS];
export const DISPATCHER_FLAGS: readonly FlagSpec[] = [...DISPATCHER_ONLY_FLAGS, ...EXECUTOR_FLAGS, ...REDIS_FLAGS, ...QUEUE_FLAGS, ...DISPATCHER_SCHEDULE_FLAGS, ...RETENTION_FLAGS, ...SHUTDOWN_FLAGS, ...LOG_FLAGS];
export const WORKER_FLAGS: readonly FlagSpec[] = [...WORKER_ONLY_FLAGS, ...EXECUTOR_FLAGS.filter((f) => f.name !== "workers"), ...SHUTDOWN_FLAGS, ...LOG_FLAGS];

/** Whether argv asks for help. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}

/**
 * Refuses an argv with an unknown flag, a value flag without its value, or a stray argument: throws an
 * Error with one line naming it.
 */
export function checkArgv(argv: readonly string[], specs: readonly FlagSpec[], command: string): void {
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith("--")) throw new Error(`${command}: unexpected argument "${a}" (flags start with --; see --help)`);
    const eq = a.indexOf("=");
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (spec === undefined) throw new Error(`${command}: unknown flag --${name}${nearest(name, specs)} (see --help)`);
    if (eq >= 0 || spec.switch === true) continue;
    const value = argv[i + 1];
    if (value === undefined || value.startsWith("--")) throw new Error(`${command}: --${name} needs a value (see --help)`);
    i++;
  }
}

/** The --help text: what the command is, then every flag with its variable and default. */
export function usage(command: string, summary: string, specs: readonly FlagSpec[]): string {
  const seen = new Set<string>();
  const rows = specs.filter((s) => !seen.has(s.name) && seen.add(s.name)).map((s) => {
    const left = `  --${s.name}${s.switch === true ? "" : " <value>"}`;
    const env = s.env === undefined ? "" : `  [${s.env}]`;
    const def = s.default === undefined ? "" : ` (default ${s.default})`;
    return `${left.padEnd(30)} ${s.help}${def}${env}`;
  });
  return `Usage: ${command} [flags]\n\n${summary}\n\nFlags (each also read from the environment variable in brackets; flags win):\n${rows.join("\n")}\n  --help, -h                   this text\n`;
}

function nearest(name: string, specs: readonly FlagSpec[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const s of specs) {
    const d = distance(name, s.name);
    if (d < bestDistance) {
      best = s.name;
      bestDistance = d;
    }
  }
  return best === undefined ? "" : ` (did you mean --${best}?)`;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}
