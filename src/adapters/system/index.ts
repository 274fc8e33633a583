export { systemClock } from "./clock.ts";
export { uuidGen } from "./ids.ts";
export { jsonLogger } from "./logger.ts";
export { processFacts } from "./process-facts.ts";
