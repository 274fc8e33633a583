/** `bun run start`: the embedded platform (API + local dispatcher + in-memory store) in one process. */
import { jsonLogger } from "../adapters/system/index.ts";
import { embeddedConfig } from "./config.ts";
import { configOrExit, startOrExit, stopOnSignals } from "./lifecycle.ts";
import { startEmbedded } from "./roots/embedded.ts";

const config = configOrExit(() => embeddedConfig(Bun.argv.slice(2), process.env));
const logger = jsonLogger(config.logLevel);
const app = await startOrExit(logger, "the embedded server", () => startEmbedded(config, { logger }));
stopOnSignals(logger, () => app.stop());
