/** `bun run api`: the REST API on Redis (see roots/api.ts). */
import { jsonLogger } from "../adapters/system/index.ts";
import { configOrExit, startOrExit, stopOnSignals } from "./lifecycle.ts";
import { apiConfig } from "./redis-config.ts";
import { startApi } from "./roots/api.ts";

const config = configOrExit(() => apiConfig(Bun.argv.slice(2), process.env));
const logger = jsonLogger(config.logLevel);
const api = await startOrExit(logger, "the api", () => startApi(config, { logger }));
stopOnSignals(logger, () => api.stop());
