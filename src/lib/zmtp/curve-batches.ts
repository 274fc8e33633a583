/**
 * CURVE MESSAGE frames in batches: sealing many into finished wire octets (frame headers
 * included) with consecutive nonces, and opening many received ones. What the crypto worker
 * does (curve-worker.ts), and what a connection does itself for a few frames or when no
 * worker is at hand.
 */
import { MESSAGE_OVERHEAD, receiveBox, sealInto, sendBox } from "./curve-codec.ts";
import type { PrefixedBox } from "./curve-message-box.ts";
import { FLAG_LONG, SHORT_FRAME_MAX } from "./frame.ts";

/** Frames to seal: plaintexts back to back in `plain`, with each one's length and inner flags. */
export interface SealBatch {
  /** The connection's `beforenm` key and our role (which picks the nonce prefix). */
  readonly key: Uint8Array;
  readonly role: "client" | "server";
  /** Short nonce of the first frame; the others follow one by one. */
  readonly firstNonce: number;
  readonly plain: Uint8Array;
  readonly lens: Uint32Array;
  readonly inners: Uint8Array;
}

/**
 * Seals every frame of the batch into one buffer of wire octets, as the connection would
 * have written them one by one. `box` is the batch's send box when the caller has it already.
 *
 * @example
 * ```ts
 * const wire = sealBatch({ key, role: "client", firstNonce: 3, plain, lens, inners });
 * socket.write(wire);
 * ```
 */
export function sealBatch(batch: SealBatch, box: PrefixedBox = sendBox(batch.key, batch.role)): Uint8Array {
  const { lens, inners, plain } = batch;
  let total = 0;
  for (let i = 0; i < lens.length; i++) {
    const size = (lens[i] as number) + MESSAGE_OVERHEAD;
    total += (size > SHORT_FRAME_MAX ? 9 : 2) + size;
  }
  const wire = new Uint8Array(total);
  const view = new DataView(wire.buffer);
  const nonce = new Uint8Array(8);
  let at = 0;
  let from = 0;
  for (let i = 0; i < lens.length; i++) {
    const len = lens[i] as number;
    const size = len + MESSAGE_OVERHEAD;
    if (size > SHORT_FRAME_MAX) {
      wire[at] = FLAG_LONG;
      view.setUint32(at + 1, Math.floor(size / 0x1_0000_0000));
      view.setUint32(at + 5, size >>> 0);
      at += 9;
    } else {
      wire[at] = 0;
      wire[at + 1] = size;
      at += 2;
    }
    sealInto(wire.subarray(at, at + size), box, nonce, batch.firstNonce + i, inners[i] as number, plain.subarray(from, from + len));
    at += size;
    from += len;
  }
  return wire;
}

/** Received MESSAGE frame bodies back to back, with each one's length. */
export interface OpenBatch {
  readonly key: Uint8Array;
  readonly role: "client" | "server";
  readonly bodies: Uint8Array;
  readonly lens: Uint32Array;
}

/** Opened frames: region `i` starts at {@link regionOffsets}`(lens)[i]`, `lens[i]` long. */
export interface Opened {
  /** Each region is `[32 octets][inner flags][frame body]`. */
  readonly plain: Uint8Array;
  /** Index of the first frame whose box did not open; -1 when all opened (later ones are not tried). */
  readonly failedAt: number;
}

/**
 * Where each opened frame's region starts: lengths rounded up to 8 (aligned regions decrypt
 * faster), the total last.
 *
 * @example
 * ```ts
 * regionOffsets(Uint32Array.of(33, 40)); // [0, 40, 80]
 * ```
 */
export function regionOffsets(lens: Uint32Array): Uint32Array {
  const offsets = new Uint32Array(lens.length + 1);
  for (let i = 0; i < lens.length; i++) offsets[i + 1] = (offsets[i] as number) + (((lens[i] as number) + 7) & ~7);
  return offsets;
}

/**
 * Opens each MESSAGE body of the batch (their nonces are in the bodies, already checked in
 * order by the connection); stops at the first box that does not open.
 *
 * @example
 * ```ts
 * const { plain, failedAt } = openBatch({ key, role: "server", bodies, lens });
 * ```
 */
export function openBatch(batch: OpenBatch, box: PrefixedBox = receiveBox(batch.key, batch.role)): Opened {
  const { bodies, lens } = batch;
  const offsets = regionOffsets(lens);
  const plain = new Uint8Array(offsets[lens.length] as number);
  const nonce = new Uint8Array(8);
  let from = 0;
  for (let i = 0; i < lens.length; i++) {
    const len = lens[i] as number;
    const input = bodies.subarray(from, from + len);
    nonce.set(input.subarray(8, 16));
    const at = offsets[i] as number;
    if (!box.open(nonce, input, plain.subarray(at, at + len))) return { plain, failedAt: i };
    from += len;
  }
  return { plain, failedAt: -1 };
}
