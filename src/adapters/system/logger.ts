import type { Logger } from "../../domain/ports.ts";

type Level = "debug" | "info" | "warn" | "error";
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** JSON lines on stderr, at or above `minLevel`. */
export function jsonLogger(minLevel: Level = "info", write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  return {
    log(level, msg, fields) {
      if (RANK[level] < RANK[minLevel]) return;
      write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
    },
  };
}
