/** `bun run api`: the REST API on Redis (see roots/api.ts). */
import { jsonLogger } from "../adapters/system/index.ts";
import { API_FLAGS } from "./flags.ts";
import { configOrExit, noteRuntimeEnv, startOrExit, stopOnSignals } from "./lifecycle.ts";
import { apiConfig } from "./redis-config.ts";
import { startApi } from "./roots/api.ts";

const argv = Bun.argv.slice(2);
const summary = "The REST API on Redis: tasks go to the queue; dispatchers (bun run dispatcher) run them.";
const config = configOrExit("bun run api", summary, API_FLAGS, argv, () => apiConfig(argv, process.env));
const logger = jsonLogger(config.logLevel);
noteRuntimeEnv(logger, "bun run api", process.env);
const api = await startOrExit(logger, "the api", () => startApi(config, { logger }));
stopOnSignals(logger, () => api.stop());
