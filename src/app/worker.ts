/** `bun run worker --mode pull|push --url tcp://host:5555 --procs N`: a remote worker (see roots/worker.ts). */
import { jsonLogger, uuidGen } from "../adapters/system/index.ts";
import { configOrExit, startOrExit, stopOnSignals } from "./lifecycle.ts";
import { startWorker } from "./roots/worker.ts";
import { workerConfig } from "./worker-config.ts";

const config = configOrExit(() => workerConfig(Bun.argv.slice(2), process.env, () => uuidGen.next()));
const logger = jsonLogger(config.logLevel);
const worker = await startOrExit(logger, "the worker", () => startWorker(config, { logger }));
stopOnSignals(logger, () => worker.stop());
