/**
 * `bun run worker` settings from argv and env (flags win over variables). A bad value throws an Error
 * naming the flag; the process prints it and exits with code 2.
 */
import { curvePublicKey } from "../lib/zmtp/index.ts";
import { checkKey, readKeyFile } from "./curve-config.ts";
import { parseDuration, parseInteger, parseLogLevel, reader, shutdownGrace, type LogLevel } from "./config.ts";
import { executorSettings, type ExecutorSettings } from "./executors.ts";

/** The modes a worker runs in; the dispatcher it connects to must run the same one. */
export const WORKER_MODES = ["pull", "push"] as const;

export interface WorkerConfig extends ExecutorSettings {
  readonly mode: (typeof WORKER_MODES)[number];
  /** The dispatcher's endpoint, tcp://host:port. */
  readonly url: string;
  /** Its id and ZMTP routing id; a UUID unless --id is given. */
  readonly workerId: string;
  readonly heartbeatMs: number;
  /** The dispatcher silent this long: register again (it may have restarted). */
  readonly dispatcherTimeoutMs: number;
  readonly logLevel: LogLevel;
  /** On SIGTERM/SIGINT, how long running jobs may finish before the rest are handed back. */
  readonly shutdownGraceMs: number;
  /** ZMTP CURVE: the dispatcher's public key and this worker's key pair; undefined: NULL security. */
  readonly curve: { readonly serverKey: string; readonly publicKey: string; readonly secretKey: string } | undefined;
}

/** Reads --mode, --url, --procs (executors: `workers` of ExecutorSettings), --isolation, --max-memory-mb, --heartbeat, --dispatcher-timeout, --id, --log-level. */
export function workerConfig(argv: readonly string[], env: Record<string, string | undefined>, newId: () => string): WorkerConfig {
  const get = reader(argv, env);
  const mode = get("mode", "MODE") ?? "push";
  if (!(WORKER_MODES as readonly string[]).includes(mode)) throw new Error(`--mode must be one of ${WORKER_MODES.join(", ")}, got "${mode}"`);
  const url = get("url", "DISPATCHER_URL") ?? "tcp://127.0.0.1:5555";
  if (!/^tcp:\/\/[^:/\s]+:\d{1,5}$/.test(url)) throw new Error(`--url must look like tcp://host:5555, got "${url}"`);
  const procsAsWorkers = (name: string, envName: string): string | undefined => (name === "workers" ? get("procs", "PROCS") : get(name, envName));
  const heartbeatMs = parseDuration(get("heartbeat", "HEARTBEAT") ?? "1s", "--heartbeat");
  const dispatcherTimeoutMs = parseDuration(get("dispatcher-timeout", "DISPATCHER_TIMEOUT") ?? "3s", "--dispatcher-timeout");
  if (heartbeatMs < 10) throw new Error(`--heartbeat must be at least 10ms, got ${heartbeatMs} ms`);
  if (dispatcherTimeoutMs <= heartbeatMs) throw new Error(`--dispatcher-timeout must be longer than --heartbeat (${heartbeatMs} ms), got ${dispatcherTimeoutMs} ms`);
  const id = get("id", "WORKER_ID") ?? newId();
  if (!/^[\x21-\x7e]{1,255}$/.test(id)) throw new Error(`--id must be 1-255 printable characters, got "${id}"`);
  return {
    ...executorSettings(procsAsWorkers, (text, what, min, max) => parseInteger(text, what === "--workers" ? "--procs" : what, min, max), "sandbox"), // others' code: sandboxed by default
    mode: mode as WorkerConfig["mode"],
    url,
    workerId: id,
    heartbeatMs,
    dispatcherTimeoutMs,
    logLevel: parseLogLevel(get("log-level", "LOG_LEVEL")),
    shutdownGraceMs: shutdownGrace(get),
    curve: workerCurve(get),
  };
}

/** The worker's CURVE settings: the dispatcher's public key and its own secret key file, both or neither. */
function workerCurve(get: (name: string, envName: string) => string | undefined): WorkerConfig["curve"] {
  const direct = get("curve-server-key", "CURVE_SERVER_KEY");
  const serverFile = get("curve-server-key-file", "CURVE_SERVER_KEY_FILE");
  const secretFile = get("curve-secret-key-file", "CURVE_SECRET_KEY_FILE");
  if (direct !== undefined && serverFile !== undefined) throw new Error("Give --curve-server-key or --curve-server-key-file, not both");
  const server = direct !== undefined ? checkKey(direct, "--curve-server-key") : serverFile !== undefined ? readKeyFile(serverFile, "--curve-server-key-file") : undefined;
  if ((server === undefined) !== (secretFile === undefined)) {
    throw new Error("--curve-server-key (or -file) and --curve-secret-key-file go together: give both, or neither for NULL security");
  }
  if (server === undefined || secretFile === undefined) return undefined;
  const secretKey = readKeyFile(secretFile, "--curve-secret-key-file");
  return { serverKey: server, publicKey: curvePublicKey(secretKey), secretKey };
}
