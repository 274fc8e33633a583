/**
 * Helpers shared by the CURVE tests: key pairs and socket options, waiting for a socket event,
 * and echo servers that record what they received.
 */
import { curveKeyPair, Reply, Router, type SocketBase, type SocketEvent, type SocketEventType, type SocketOptions } from "../../src/lib/zmtp/index.ts";
import { within } from "./wait.ts";

export interface KeyPair {
  readonly publicKey: string;
  readonly secretKey: string;
}

/** Options for a CURVE server holding `server`'s secret key (and an optional allow-list). */
export function serverOptions(server: KeyPair, allow?: SocketOptions["curveAllow"]): SocketOptions {
  return allow === undefined
    ? { curveServer: true, curveSecretKey: server.secretKey }
    : { curveServer: true, curveSecretKey: server.secretKey, curveAllow: allow };
}

/** Options for a CURVE client with its own pair, expecting `serverPublicKey`. */
export function clientOptions(serverPublicKey: string, client: KeyPair = curveKeyPair()): SocketOptions {
  return { curveServerKey: serverPublicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey };
}

/** Resolves with the first event of `type` the socket emits from now on. */
export function nextEvent<T extends SocketEventType>(socket: SocketBase, type: T, what = type, timeoutMs = 10_000): Promise<Extract<SocketEvent, { type: T }>> {
  let off = (): void => {};
  const event = new Promise<Extract<SocketEvent, { type: T }>>((resolve) => {
    off = socket.events.on(type, (e) => {
      off();
      resolve(e);
    });
  });
  return within(event, `${what} event`, timeoutMs).finally(off);
}

/** An echo server that records every message it received (a Router echoes to the sender). */
export interface Recorder {
  readonly received: Buffer[][];
  /** Ends when the socket is closed. */
  readonly done: Promise<void>;
}

/** Echoes every message back; records it first. */
export function echo(socket: Router | Reply): Recorder {
  const received: Buffer[][] = [];
  const done = (async () => {
    for await (const message of socket) {
      received.push(message);
      await socket.send(message).catch(() => {});
    }
  })();
  return { received, done };
}

/** Deterministic bytes. */
export function pattern(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}
