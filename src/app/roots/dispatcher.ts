/**
 * A dispatcher on Redis: takes tasks from the queue and runs them in local executors (mode local:
 * threads, child processes or sandboxes), or hands them to remote workers that connect over ZMTP
 * (pull: workers ask for work; push: the least-loaded worker gets it). Several may run at once; each
 * keeps a liveness key, and what a dead one left running is taken over by a live one. Redis outages
 * are ridden out with backoff.
 *
 * @example
 * const d = await startDispatcher({ ...dispatcherConfig(["--mode", "push", "--port", "0"], process.env, newId) });
 * startWorker({ ...workerConfig(["--url", d.endpoint!], {}, newId) });
 * await d.stop();
 */
import { describeLocation, openRedisBackend } from "../../adapters/redis/index.ts";
import { RemoteExecutor } from "../../adapters/remote/index.ts";
import { jsonLogger, systemClock } from "../../adapters/system/index.ts";
import { Dispatcher } from "../../domain/dispatcher.ts";
import { Scheduler } from "../../domain/scheduler.ts";
import { CachedFunctionStore } from "../../domain/function-cache.ts";
import type { Executor } from "../../domain/ports.ts";
import { checkIsolation, executorPool } from "../executors.ts";
import type { DispatcherConfig } from "../redis-config.ts";
import type { RootDeps } from "./embedded.ts";
import { every } from "../../domain/every.ts";
import type { Clock, Logger } from "../../domain/ports.ts";
import { curvePublicKey } from "../../lib/zmtp/index.ts";
import { readAuthorizedWorkers } from "../curve-config.ts";
import { statSync } from "node:fs";
import type { ExecutorPool } from "../../adapters/executors/index.ts";
import { HOST, publishReports } from "./reports.ts";

/**
 * Re-reads the authorized-workers file when it changes (checked every second): the allow-list is
 * replaced in place and workers no longer listed lose their live session (their jobs are retried).
 */
function watchAuthorizedWorkers(curve: NonNullable<DispatcherConfig["curve"]>, executor: RemoteExecutor, clock: Clock, logger: Logger): () => void {
  const mtime = (): number => {
    try {
      return statSync(curve.authorizedWorkersFile).mtimeMs;
    } catch {
      return -1;
    }
  };
  let seen = mtime();
  return every(clock, 1000, () => {
    const now = mtime();
    if (now === seen) return;
    seen = now;
    try {
      const next = readAuthorizedWorkers(curve.authorizedWorkersFile);
      curve.authorizedWorkers.clear();
      for (const k of next) curve.authorizedWorkers.add(k);
      const dropped = executor.recheckWorkers();
      logger.log("info", "authorized workers re-read", { event: "workers.authorized_reloaded", workers: next.size, dropped });
    } catch (e) {
      logger.log("error", "the authorized-workers file could not be read; keeping the previous list", { event: "workers.authorized_unreadable", error: (e as Error).message });
    }
  });
}

/**
 * A dispatcher's own GET /healthz (it has no API): 200 with `{status: "ok", claiming: true, ...}` while
 * it claims, 503 with `claiming: false` and the last claim error while it cannot (Redis unreachable,
 * a queue it cannot read). For supervisors and load balancers; everything else is 404.
 */
function serveDispatcherHealth(host: string, port: number, facts: () => { claiming: boolean; error?: string }): { server: ReturnType<typeof Bun.serve>; url: string } {
  const server = Bun.serve({
    hostname: host,
    port,
    fetch(req) {
      if (new URL(req.url).pathname !== "/healthz") return Response.json({ error: "NotFound", message: "Only GET /healthz is served here" }, { status: 404 });
      const f = facts();
      return Response.json({ status: f.claiming ? "ok" : "unavailable", ...f }, { status: f.claiming ? 200 : 503 });
    },
  });
  return { server, url: `http://${host.includes(":") ? `[${host}]` : host}:${server.port}/healthz` };
}

export interface DispatcherHandle {
  readonly id: string;
  /** With --health-port: where GET /healthz answers (the real port when 0 was asked). */
  readonly healthUrl: string | undefined;
  /** pull/push: where workers connect (the real port when --port 0). */
  readonly endpoint: string | undefined;
  readonly executor: Executor;
  /** Tasks handed to the executor and not yet settled. */
  inFlight(): number;
  /**
   * Stops gracefully: claims nothing more, lets running tasks finish for `graceMs` (default 0), hands the
   * rest back to the queue (not counted toward max_attempts), then disconnects.
   */
  stop(o?: { readonly graceMs?: number }): Promise<void>;
}

/** Binds the worker port (pull/push) or starts the executors (local), connects to Redis and starts claiming. */
export async function startDispatcher(c: DispatcherConfig, deps: RootDeps & { readonly readyMs?: number } = {}): Promise<DispatcherHandle> {
  const logger = deps.logger ?? jsonLogger(c.logLevel);
  const clock = deps.clock ?? systemClock;
  const endpoint = `tcp://${c.host}:${c.port}`;
  if (c.mode === "local") checkIsolation(c, { secrets: true, why: "a local dispatcher runs the code users submit" }, logger);
  const executor: Executor =
    c.mode === "local"
      ? executorPool(c, logger, clock)
      : await RemoteExecutor.bind({
          policy: c.mode,
          endpoint,
          heartbeatMs: c.heartbeatMs,
          workerTimeoutMs: c.workerTimeoutMs,
          clock,
          logger,
          maxWorkerCapacity: c.maxWorkerCapacity,
          ...(c.curve !== undefined && { curve: { secretKey: c.curve.secretKey, allowedWorkers: c.curve.authorizedWorkers } }),
        });
  const stopWatching = executor instanceof RemoteExecutor && c.curve !== undefined ? watchAuthorizedWorkers(c.curve, executor, clock, logger) : () => {};
  const backend = openRedisBackend({ location: c.redis, lean: c.redisLean, prefix: c.prefix, shards: c.shards, clock, retentionMs: c.retentionMs, agingMs: c.queuePolicy.agingMs, limits: c.queuePolicy.limits, logger });
  const redis = describeLocation(c.redis);
  const queue = backend.dispatchQueue({ dispatcherId: c.dispatcherId, livenessMs: c.livenessMs });
  const functions = new CachedFunctionStore(backend.functions, clock);
  const dispatcher = new Dispatcher({ queue, functions, events: backend.events, cancels: backend.cancels, executor, logger, clock, random: Math.random, label: `dispatcher ${c.dispatcherId} on ${HOST}` });
  // Every dispatcher runs a scheduler; they race, and each tick still makes one task (see scheduler.ts).
  const scheduler = new Scheduler({ schedules: backend.schedules, changes: backend.scheduleChanges, tasks: backend.tasks, functions, clock, logger, maxQueue: c.maxQueue, limits: c.queuePolicy.limits, catchUp: c.scheduleCatchUp });
  const ready = await backend.ready(deps.readyMs ?? 5000).catch(async (e) => {
    await Promise.all([backend.close(), executor.close()]);
    throw e; // another shard count than the deployment's
  });
  if (!ready) logger.log("warn", "redis not reachable yet; retrying in the background", { event: "redis.unreachable", redis });
  dispatcher.start();
  scheduler.start();
  const local = c.mode === "local" ? { isolation: c.isolation, max: c.workers, live: () => (executor as ExecutorPool).size() } : undefined;
  const reports = publishReports({ directory: backend.workers, clock, logger, source: { id: c.dispatcherId, mode: c.mode, startedAt: clock.now(), dispatcher, executor, ...(local !== undefined && { local }) } });
  const health = c.healthPort === undefined ? undefined : serveDispatcherHealth(c.healthHost, c.healthPort, () => ({ ...dispatcher.health(), id: c.dispatcherId, mode: c.mode }));
  const bound = executor instanceof RemoteExecutor ? executor.endpoint : undefined;
  const where = c.mode === "local" ? { workers: c.workers, isolation: c.isolation } : { endpoint: bound, security: c.curve === undefined ? "null" : "curve", publicKey: c.curve === undefined ? undefined : curvePublicKey(c.curve.secretKey), authorizedWorkers: c.curve?.authorizedWorkers.size };
  logger.log("info", "bunfaas dispatcher started", { event: "dispatcher.started", id: c.dispatcherId, mode: c.mode, ...where, redis, prefix: c.prefix, shards: c.shards, health: health?.url });
  return {
    id: c.dispatcherId,
    healthUrl: health?.url,
    endpoint: bound,
    executor,
    inFlight: () => dispatcher.inFlightCount(),
    async stop(o = {}) {
      stopWatching();
      await scheduler.stop();
      await reports.stop();
      void health?.server.stop(true);
      const handedBack = await dispatcher.drain(o.graceMs ?? 0);
      if (handedBack > 0) logger.log("info", "unfinished tasks handed back to the queue", { event: "dispatcher.handed_back", tasks: handedBack });
      await executor.close();
      await backend.close(); // deletes the liveness key: other dispatchers take over at once
    },
  };
}
