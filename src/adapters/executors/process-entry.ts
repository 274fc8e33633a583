/**
 * Entry point of an executor child process: maps the start-time table from the file named in argv,
 * then serves jobs over Bun's IPC channel.
 */
import { rmSync } from "node:fs";
import { serveJobs } from "./executor-core.ts";
import type { ToExecutor } from "./protocol.ts";

const tablePath = process.argv[2];
const slots = Number(process.argv[3]);
const concurrency = Number(process.argv[4]);
if (tablePath === undefined || !Number.isInteger(slots) || !Number.isInteger(concurrency)) {
  throw new Error("usage: process-entry.ts <start-table-path> <slots> <concurrency>");
}
const mapped = Bun.mmap(tablePath, { shared: true });
rmSync(tablePath, { force: true }); // both sides have it mapped now; nothing is left behind if the server dies
const send = process.send?.bind(process);
if (send === undefined) throw new Error("process-entry.ts must be spawned with an IPC channel");

serveJobs(
  {
    post: (msg) => send(msg),
    onMessage: (handler) => process.on("message", (m) => handler(m as ToExecutor)),
  },
  new Float64Array(mapped.buffer, mapped.byteOffset, slots),
  concurrency,
);
