/**
 * `bun run api`: the REST API on Redis. Tasks go to the queue stream; dispatchers (`bun run dispatcher`)
 * run them. Long-polls wake on Redis pub/sub and re-read every second, so a lost message only delays.
 * Cancels go to the store and, on the cancels channel, to the dispatchers.
 */
import { FunctionSourceChecker } from "../adapters/js-source/index.ts";
import { createHandler, startHttpServer, withApiKeys } from "../adapters/http/index.ts";
import { openRedisBackend } from "../adapters/redis/index.ts";
import { jsonLogger, systemClock, uuidGen } from "../adapters/system/index.ts";
import { CachedFunctionStore } from "../domain/function-cache.ts";
import { TaskService } from "../domain/task-service.ts";
import { configOrExit, stopOnSignals } from "./lifecycle.ts";
import { metricsReport } from "./metrics.ts";
import { apiConfig } from "./redis-config.ts";
import pkg from "../../package.json" with { type: "json" };

const c = configOrExit(() => apiConfig(Bun.argv.slice(2), process.env));
const logger = jsonLogger(c.logLevel);
const clock = systemClock;
const backend = openRedisBackend({ url: c.redisUrl, prefix: c.prefix, clock, retentionMs: c.retentionMs, logger });
const { tasks, events, cancels } = backend;
const functions = new CachedFunctionStore(backend.functions); // functions are immutable: read each once
const service = new TaskService({ functions, tasks, events, cancels, clock, ids: uuidGen, checker: new FunctionSourceChecker(), maxQueue: c.maxQueue, recheckMs: 1000 });
const metrics = metricsReport(tasks, backend.functions);
const fetch = withApiKeys(createHandler(service, { maxBodyBytes: c.maxBodyBytes, version: pkg.version, health: backend.health, metrics }), { keys: c.apiKeys });
if (!(await backend.ready(2000))) logger.log("warn", "redis not reachable yet; retrying in the background", { redis: c.redisUrl });
const server = startHttpServer({ port: c.port, host: c.host, maxBodyBytes: c.maxBodyBytes, fetch });
logger.log("info", "bunfaas api listening", { url: `http://${c.host}:${server.port}`, redis: c.redisUrl, prefix: c.prefix, auth: c.apiKeys.length > 0 ? "api-keys" : "off" });

stopOnSignals(logger, async () => {
  void server.stop(true);
  service.close();
  await backend.close();
});
