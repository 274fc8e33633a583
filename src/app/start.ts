/** `bun run start`: the embedded platform (API + local dispatcher + in-memory store) in one process. */
import { embeddedConfig } from "./config.ts";
import { startEmbedded } from "./embedded.ts";
import { jsonLogger } from "../adapters/system/index.ts";

let config;
try {
  config = embeddedConfig(Bun.argv.slice(2), process.env);
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(2);
}
const app = startEmbedded(config);
const logger = jsonLogger(config.logLevel);
logger.log("info", "bunfaas embedded mode listening", { url: app.url, workers: config.workers });

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.log("info", "stopping", { signal });
    void app.stop().then(() => process.exit(0));
  });
}
