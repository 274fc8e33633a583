/**
 * Time stamps of tasks on their way through the processes, for scripts/trace-one-task.ts (a measuring
 * aid, not for production): when FAAS_TRACE_FILE names a file at start, `traceMark(name)` appends a line
 * "<name> <µs since the epoch>" to it (buffered, written every 50 ms); otherwise it does nothing but
 * test one flag. Processes of one machine share the clock, so marks of the API, a dispatcher and a
 * worker line up.
 *
 * @example
 * traceMark("api.req"); // with FAAS_TRACE_FILE=/tmp/trace.txt: "api.req 1764160000123456"
 */
import { appendFileSync } from "node:fs";

const file = process.env.FAAS_TRACE_FILE;
const lines: string[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;

export function traceMark(name: string): void {
  if (file === undefined || file === "") return;
  lines.push(`${name} ${Math.round((performance.timeOrigin + performance.now()) * 1000)}\n`);
  timer ??= setTimeout(flush, 50);
}

function flush(): void {
  timer = undefined;
  if (lines.length === 0) return;
  appendFileSync(file as string, lines.join(""));
  lines.length = 0;
}
