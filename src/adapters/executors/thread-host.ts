/**
 * An executor on a Bun Worker thread, with an empty environment (user code cannot read the server's
 * secrets through process.env) and its start-time table in a SharedArrayBuffer.
 * Bun ignores Worker resourceLimits, so a thread cannot be memory-capped: memoryBytes() is undefined.
 */
import type { ExecutorHost, HostFactory } from "./executor-host.ts";
import type { FromExecutor } from "./protocol.ts";

const ENTRY = new URL("./thread-entry.ts", import.meta.url);

export const threadHost: HostFactory = (slots, concurrency, events) => {
  const sab = new SharedArrayBuffer(slots * Float64Array.BYTES_PER_ELEMENT);
  const worker = new Worker(ENTRY, { env: {} });
  let terminated = false;
  worker.onmessage = (e: MessageEvent<FromExecutor>) => events.message(e.data);
  worker.addEventListener("close", (e) => {
    if (!terminated) events.exit((e as CloseEvent).code ?? null);
  });
  worker.postMessage({ startedAt: sab, concurrency });
  const host: ExecutorHost = {
    startedAt: new Float64Array(sab),
    post: (msg) => worker.postMessage(msg),
    terminate() {
      terminated = true;
      worker.terminate();
    },
    memoryBytes: () => undefined,
  };
  return host;
};
