/**
 * The crypto worker's thread: seals batches of outgoing CURVE MESSAGE frames and opens batches
 * of received ones (curve-batches.ts), so bursts encrypt and decrypt beside the sockets' own
 * thread, as libzmq's I/O thread does. See curve-worker-client.ts for the other end.
 */
import { openBatch, sealBatch, type OpenBatch, type SealBatch } from "./curve-batches.ts";

declare const self: Worker;

type Request = { id: number; kind: "seal"; batch: SealBatch } | { id: number; kind: "open"; batch: OpenBatch };

self.onmessage = (event: MessageEvent<Request>) => {
  const request = event.data;
  if (request.kind === "seal") {
    const wire = sealBatch(request.batch);
    self.postMessage({ id: request.id, wire }, [wire.buffer as ArrayBuffer]);
  } else {
    const opened = openBatch(request.batch);
    self.postMessage({ id: request.id, opened }, [opened.plain.buffer as ArrayBuffer]);
  }
};
