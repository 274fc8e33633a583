/**
 * Entry point of an executor thread: the ticket table (a SharedArrayBuffer) and the executor's spec
 * arrive first, then batches of jobs.
 */
import { serveJobs } from "./executor-core.ts";
import type { ExecutorSpec, ToExecutor } from "./protocol.ts";

declare const self: Worker;

self.onmessage = (first: MessageEvent<{ tickets: SharedArrayBuffer; spec: ExecutorSpec }>) => {
  serveJobs(
    {
      post: (msg) => self.postMessage(msg),
      onMessage: (handler) => {
        self.onmessage = (e: MessageEvent<ToExecutor>) => handler(e.data);
      },
    },
    new Int32Array(first.data.tickets),
    first.data.spec,
  );
};
