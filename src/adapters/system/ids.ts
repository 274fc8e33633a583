import type { IdGen } from "../../domain/ports.ts";

/** Random UUIDs (v4) from the platform's crypto. */
export const uuidGen: IdGen = { next: () => crypto.randomUUID() };
