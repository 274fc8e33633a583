/**
 * Entry point of an executor child process (plain, in a pid namespace, or in a sandbox): applies its
 * own limits, maps the ticket table from the file named in argv, then serves jobs over Bun's IPC
 * channel. Bundled into one file for sandboxes (see entry-bundle.ts).
 *
 *   bun process-entry.ts <tickets-file> '<ExecutorSpec as JSON>' '<ProcessLimits as JSON>'
 */
import { serveJobs } from "./executor-core.ts";
import { applyProcessLimits, type ProcessLimits } from "./process-limits.ts";
import type { ExecutorSpec, ToExecutor } from "./protocol.ts";

// Taken before any user code runs (as in thread-entry.ts): a function that patches JSON changes its own results only.
const stringify = JSON.stringify;
const parse = JSON.parse;

const [ticketsPath, specJson, limitsJson] = process.argv.slice(2);
if (ticketsPath === undefined || specJson === undefined) {
  throw new Error(`usage: process-entry <tickets-file> <spec-json> [limits-json], got ${JSON.stringify(process.argv.slice(2))}`);
}
const spec = JSON.parse(specJson) as ExecutorSpec;
const note = applyProcessLimits(JSON.parse(limitsJson ?? "{}") as ProcessLimits);
const send = process.send?.bind(process);
if (send === undefined) throw new Error("process-entry must be spawned with an IPC channel");
const mapped = Bun.mmap(ticketsPath, { shared: true });
for (const name of Object.keys(process.env)) delete process.env[name]; // what Bun's IPC needed is read already

serveJobs(
  {
    post: (msg) => send(stringify(msg)),
    onMessage: (handler) => process.on("message", (m) => handler((typeof m === "string" ? parse(m) : m) as ToExecutor)),
  },
  new Int32Array(mapped.buffer, mapped.byteOffset, spec.slots),
  spec,
  note,
);
