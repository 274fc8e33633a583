/**
 * Entry point of an executor thread: the ticket table (a SharedArrayBuffer) and the executor's spec
 * arrive first, then batches of jobs; later messages cross as JSON text both ways (thread-host.ts).
 */
import { serveJobs } from "./executor-core.ts";
import type { ExecutorSpec, ToExecutor } from "./protocol.ts";

declare const self: Worker;

// Taken before any user code runs: a function that patches JSON changes its own results (as it may),
// not how the executor's messages are written and read.
const stringify = JSON.stringify;
const parse = JSON.parse;

self.onmessage = (first: MessageEvent<{ tickets: SharedArrayBuffer; spec: ExecutorSpec }>) => {
  serveJobs(
    {
      post: (msg) => self.postMessage(stringify(msg)),
      onMessage: (handler) => {
        self.onmessage = (e: MessageEvent<string>) => handler(parse(e.data) as ToExecutor);
      },
    },
    new Int32Array(first.data.tickets),
    first.data.spec,
  );
};
