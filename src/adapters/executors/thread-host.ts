/**
 * Executors on Bun Worker threads, each with an empty environment (user code cannot read the server's
 * secrets through process.env) and its ticket table in a SharedArrayBuffer. A thread shares the
 * server's process: it stops runaway time (deadlines) and nothing else. Bun ignores Worker
 * resourceLimits, so a thread cannot be memory-capped: memoryBytes() is undefined.
 *
 * After the first message (the ticket table and the spec), messages cross as JSON text both ways:
 * Bun's structured clone of a batch of job or result objects costs several times more (a batch of
 * 60 jobs: about 27-30 us to post as objects, 4-8 us as text). Text that is not JSON (user code can
 * post from the executor's thread) reaches the pool as the string, which its message check refuses.
 */
import type { ExecutorHost, HostFactory } from "./executor-host.ts";
import { fromText } from "./protocol.ts";

const ENTRY = new URL("./thread-entry.ts", import.meta.url);

/**
 * The thread kind.
 *
 * @example
 * new ExecutorPool({ executors: 4, logger, hosts: threadHosts() })
 */
export function threadHosts(): HostFactory {
  return {
    kind: "thread",
    close: async () => {},
    start(spec, events) {
      const sab = new SharedArrayBuffer(spec.slots * Int32Array.BYTES_PER_ELEMENT);
      const worker = new Worker(ENTRY, { env: {} });
      let terminated = false;
      let closed: () => void = () => {};
      const exited = new Promise<void>((resolve) => (closed = resolve));
      worker.onmessage = (e: MessageEvent) => events.message(fromText(e.data));
      worker.addEventListener("close", (e) => {
        closed();
        if (!terminated) events.exit((e as CloseEvent).code ?? null);
      });
      worker.postMessage({ tickets: sab, spec });
      const host: ExecutorHost = {
        tickets: new Int32Array(sab),
        post: (msg) => worker.postMessage(JSON.stringify(msg)),
        terminate() {
          terminated = true;
          worker.terminate();
        },
        exited,
        memoryBytes: () => undefined,
        killedForMemory: () => false,
        pids: () => [],
      };
      return host;
    },
  };
}
