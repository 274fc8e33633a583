/** `bun run worker --mode pull|push --url tcp://host:5555 --procs N`: a remote worker (see roots/worker.ts). */
import { jsonLogger, uuidGen } from "../adapters/system/index.ts";
import { WORKER_FLAGS } from "./flags.ts";
import { configOrExit, noteRuntimeEnv, startOrExit, stopOnSignals } from "./lifecycle.ts";
import { startWorker } from "./roots/worker.ts";
import { workerConfig } from "./worker-config.ts";

const argv = Bun.argv.slice(2);
const summary = "A worker for a pull or push dispatcher: runs jobs in its own executors; speaks only ZMTP, never Redis.";
const config = configOrExit("bun run worker", summary, WORKER_FLAGS, argv, () => workerConfig(argv, process.env, () => uuidGen.next()));
const logger = jsonLogger(config.logLevel);
noteRuntimeEnv(logger, "bun run worker", process.env);
const worker = await startOrExit(logger, "the worker", () => startWorker(config, { logger }));
stopOnSignals(logger, () => worker.stop({ graceMs: config.shutdownGraceMs }));
