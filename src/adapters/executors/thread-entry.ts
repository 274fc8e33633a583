/**
 * Entry point of an executor thread: the start-time table (a SharedArrayBuffer) and how many jobs may
 * run at once arrive first, then batches of jobs.
 */
import { serveJobs } from "./executor-core.ts";
import type { ToExecutor } from "./protocol.ts";

declare const self: Worker;

self.onmessage = (first: MessageEvent<{ startedAt: SharedArrayBuffer; concurrency: number }>) => {
  serveJobs(
    {
      post: (msg) => self.postMessage(msg),
      onMessage: (handler) => {
        self.onmessage = (e: MessageEvent<ToExecutor>) => handler(e.data);
      },
    },
    new Float64Array(first.data.startedAt),
    first.data.concurrency,
  );
};
