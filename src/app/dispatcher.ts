/** `bun run dispatcher --mode local|pull|push`: takes tasks from Redis and runs them (see roots/dispatcher.ts). */
import { jsonLogger, uuidGen } from "../adapters/system/index.ts";
import { DISPATCHER_FLAGS } from "./flags.ts";
import { configOrExit, noteRuntimeEnv, startOrExit, stopOnSignals } from "./lifecycle.ts";
import { dispatcherConfig } from "./redis-config.ts";
import { startDispatcher } from "./roots/dispatcher.ts";

const argv = Bun.argv.slice(2);
const summary = "A dispatcher on Redis: runs queued tasks in its own executors (--mode local) or hands them to workers (pull, push).";
const config = configOrExit("bun run dispatcher", summary, DISPATCHER_FLAGS, argv, () => dispatcherConfig(argv, process.env, () => uuidGen.next()));
const logger = jsonLogger(config.logLevel);
noteRuntimeEnv(logger, "bun run dispatcher", process.env);
const dispatcher = await startOrExit(logger, "the dispatcher", () => startDispatcher(config, { logger }));
stopOnSignals(logger, () => dispatcher.stop({ graceMs: config.shutdownGraceMs }));
