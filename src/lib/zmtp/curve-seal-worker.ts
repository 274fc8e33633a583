/**
 * The seal worker's thread: seals batches of CURVE MESSAGE frames (see curve-sealer.ts) and
 * sends back the wire octets, so a burst of sends encrypts beside the socket's thread, as
 * libzmq's I/O thread does.
 */
import { sealBatch, type SealBatch } from "./curve-seal-batch.ts";

declare const self: Worker;

self.onmessage = (event: MessageEvent<{ id: number; batch: SealBatch }>) => {
  const { id, batch } = event.data;
  const wire = sealBatch(batch);
  self.postMessage({ id, wire }, [wire.buffer as ArrayBuffer]);
};
