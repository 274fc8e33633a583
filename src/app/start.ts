/** `bun run start`: the embedded platform (API + local dispatcher + in-memory store) in one process. */
import { jsonLogger } from "../adapters/system/index.ts";
import { embeddedConfig } from "./config.ts";
import { EMBEDDED_FLAGS } from "./flags.ts";
import { configOrExit, noteRuntimeEnv, startOrExit, stopOnSignals } from "./lifecycle.ts";
import { startEmbedded } from "./roots/embedded.ts";

const argv = Bun.argv.slice(2);
const summary = "The embedded platform: the REST API, a dispatcher and an in-memory store in one process (no Redis).";
const config = configOrExit("bun run start", summary, EMBEDDED_FLAGS, argv, () => embeddedConfig(argv, process.env));
const logger = jsonLogger(config.logLevel);
noteRuntimeEnv(logger, "bun run start", process.env);
const app = await startOrExit(logger, "the embedded server", () => startEmbedded(config, { logger }));
stopOnSignals(logger, () => app.stop({ graceMs: config.shutdownGraceMs }));
