/** `bun run start`: the embedded platform (API + local dispatcher + in-memory store) in one process. */
import { jsonLogger } from "../adapters/system/index.ts";
import { embeddedConfig } from "./config.ts";
import { startEmbedded } from "./embedded.ts";
import { configOrExit, stopOnSignals } from "./lifecycle.ts";

const config = configOrExit(() => embeddedConfig(Bun.argv.slice(2), process.env));
const logger = jsonLogger(config.logLevel);
const app = startEmbedded(config);
logger.log("info", "bunfaas embedded mode listening", { url: app.url, workers: config.workers, isolation: config.isolation, auth: config.apiKeys.length > 0 ? "api-keys" : "off" });
stopOnSignals(logger, () => app.stop());
