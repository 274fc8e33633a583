/**
 * The process-wide crypto workers (curve-worker.ts): one seals, one opens, so a socket's
 * thread and both directions of its traffic each get a core. Started on first use and
 * `unref`ed so they never keep a process alive. Requests are answered in order. If a worker
 * cannot be started or fails, its waiting requests are answered with null and callers do the
 * work themselves.
 */
import type { OpenBatch, Opened, SealBatch } from "./curve-batches.ts";

type Reply = (result: { wire?: Uint8Array; opened?: Opened } | null) => void;

/**
 * The worker's client side.
 *
 * @example
 * ```ts
 * CryptoWorker.get("seal")?.seal(batch, (wire) => write(wire ?? sealBatch(batch)));
 * ```
 */
export class CryptoWorker {
  private static readonly instances = new Map<"seal" | "open", CryptoWorker | null>();
  private readonly replies = new Map<number, Reply>();
  private nextId = 0;

  private constructor(
    private readonly kind: "seal" | "open",
    private readonly worker: Worker,
  ) {
    worker.onmessage = (event: MessageEvent<{ id: number; wire?: Uint8Array; opened?: Opened }>) => {
      const reply = this.replies.get(event.data.id);
      this.replies.delete(event.data.id);
      reply?.(event.data);
    };
    worker.onerror = () => this.broken();
    worker.addEventListener("messageerror", () => this.broken());
  }

  /** The worker for sealing or for opening, or null when it cannot be had. */
  static get(kind: "seal" | "open"): CryptoWorker | null {
    let instance = CryptoWorker.instances.get(kind);
    if (instance === undefined) {
      try {
        const worker = new Worker(new URL("./curve-worker.ts", import.meta.url).href);
        worker.unref();
        instance = new CryptoWorker(kind, worker);
      } catch {
        instance = null;
      }
      CryptoWorker.instances.set(kind, instance);
    }
    return instance;
  }

  /** Seals a batch; `reply` gets the wire octets, or null if the worker failed. */
  seal(batch: SealBatch, reply: (wire: Uint8Array | null) => void): void {
    this.request({ kind: "seal", batch }, (r) => reply(r?.wire ?? null));
  }

  /** Opens a batch; `reply` gets the opened frames, or null if the worker failed. */
  open(batch: OpenBatch, reply: (opened: Opened | null) => void): void {
    this.request({ kind: "open", batch }, (r) => reply(r?.opened ?? null));
  }

  private request(message: { kind: string; batch: SealBatch | OpenBatch }, reply: Reply): void {
    const id = this.nextId++;
    this.replies.set(id, reply);
    this.worker.postMessage({ id, ...message });
  }

  /** Answers every waiting request with null (in order), and never starts again. */
  private broken(): void {
    CryptoWorker.instances.set(this.kind, null);
    this.worker.terminate();
    const replies = [...this.replies.values()];
    this.replies.clear();
    for (const reply of replies) reply(null);
  }
}
