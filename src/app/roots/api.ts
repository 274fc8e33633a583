/**
 * The REST API on Redis: tasks go to the queue stream; dispatchers run them. Long-polls wake on Redis
 * pub/sub and re-read every second, so a lost message only delays. Cancels go to the store and, on the
 * cancels channel, to the dispatchers.
 *
 * @example
 * const api = await startApi({ ...apiConfig([], process.env), port: 0 });
 * await fetch(`${api.url}/healthz`);
 * await api.stop();
 */
import { describeLocation, openRedisBackend } from "../../adapters/redis/index.ts";
import { jsonLogger, systemClock } from "../../adapters/system/index.ts";
import { CachedFunctionStore } from "../../domain/function-cache.ts";
import type { ApiConfig } from "../redis-config.ts";
import type { RootDeps } from "./embedded.ts";
import { startHttpSide } from "./http.ts";

export interface ApiHandle {
  readonly url: string;
  readonly port: number;
  /** Stops accepting requests, answers waiting long-polls with the current status, disconnects. */
  stop(): Promise<void>;
}

/**
 * Connects to Redis (waiting up to `readyMs` for it; it keeps retrying after) and starts listening.
 * Refuses to start (throws) when the deployment's shard count is not `c.shards`.
 */
export async function startApi(c: ApiConfig, deps: RootDeps & { readonly readyMs?: number } = {}): Promise<ApiHandle> {
  const logger = deps.logger ?? jsonLogger(c.logLevel);
  const clock = deps.clock ?? systemClock;
  const backend = openRedisBackend({ location: c.redis, lean: c.redisLean, prefix: c.prefix, shards: c.shards, waitReplicas: c.waitReplicas, clock, retentionMs: c.retentionMs, agingMs: c.queuePolicy.agingMs, limits: c.queuePolicy.limits, logger });
  const redis = describeLocation(c.redis);
  const ready = await backend.ready(deps.readyMs ?? 2000).catch(async (e) => {
    await backend.close();
    throw e; // another shard count than the deployment's
  });
  if (!ready) logger.log("warn", "redis not reachable yet; retrying in the background", { event: "redis.unreachable", redis });
  const http = startHttpSide(c, {
    functions: new CachedFunctionStore(backend.functions, clock), // functions are immutable: read each once
    tasks: backend.tasks,
    operations: backend.operations,
    workers: backend.workers,
    events: backend.events,
    cancels: backend.cancels,
    health: backend.health,
    clock,
    ids: deps.ids ?? backend.taskIds,
    logger,
    recheckMs: 1000,
    idempotency: backend.idempotency,
    schedules: { store: backend.schedules, changes: backend.scheduleChanges },
  });
  logger.log("info", "bunfaas api listening", { event: "api.listening", mode: "api", url: http.url, backend: "redis", redis, prefix: c.prefix, shards: c.shards, waitReplicas: c.waitReplicas, auth: c.apiKeys.length > 0 ? "api-keys" : "off" });
  return {
    url: http.url,
    port: http.port,
    async stop() {
      await http.stop();
      await backend.close();
    },
  };
}
