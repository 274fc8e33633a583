/** `bun run dispatcher --mode local|pull|push`: takes tasks from Redis and runs them (see roots/dispatcher.ts). */
import { jsonLogger, uuidGen } from "../adapters/system/index.ts";
import { configOrExit, startOrExit, stopOnSignals } from "./lifecycle.ts";
import { dispatcherConfig } from "./redis-config.ts";
import { startDispatcher } from "./roots/dispatcher.ts";

const config = configOrExit(() => dispatcherConfig(Bun.argv.slice(2), process.env, () => uuidGen.next()));
const logger = jsonLogger(config.logLevel);
const dispatcher = await startOrExit(logger, "the dispatcher", () => startDispatcher(config, { logger }));
stopOnSignals(logger, () => dispatcher.stop());
