import { randomInt } from "node:crypto";
import type { Connection } from "./connection.ts";
import { ZmtpError } from "./errors.ts";
import { toFrames } from "./message.ts";
import { SocketBase, type Message, type SocketOptions } from "./socket-base.ts";
import type { SocketType } from "./socket-type.ts";

/**
 * ROUTER: receives `[routingId, ...frames]` fair-queued from all peers and sends
 * `[routingId, ...frames]` to the peer with that id. A peer's id is the Identity it
 * announced, else a generated 5-octet id (0x00 + 32-bit counter, as libzmq). A second peer
 * announcing an identity already in use is refused, as libzmq does without ROUTER_HANDOVER.
 *
 * Unlike libzmq's default, sending to an unknown id rejects with `EHOSTUNREACH` and a peer at
 * its high-water mark makes `send` wait (zeromq.js `mandatory: true` behaviour).
 *
 * @example
 * ```ts
 * const router = new Router();
 * await router.bind("tcp://127.0.0.1:0");
 * for await (const [id, ...body] of router) await router.send([id, ...body]);
 * ```
 */
export class Router extends SocketBase {
  readonly socketType: SocketType = "ROUTER";
  private readonly byId = new Map<string, Connection>();
  private nextId = randomInt(0, 0xffff_ffff);

  constructor(options: SocketOptions = {}) {
    super(options);
  }

  /** Routing ids of the connected peers. */
  get routingIds(): Buffer[] {
    return this.peers.map((p) => p.routingId);
  }

  /**
   * The CURVE public key the peer with this routing id authenticated with (on a CURVE server:
   * the client's long-term key), or `undefined` when no such peer is connected or the socket
   * uses NULL security.
   *
   * @example
   * ```ts
   * const [id, ...request] = await router.receive();
   * const worker = z85Encode(router.peerPublicKey(id)!);
   * ```
   */
  peerPublicKey(routingId: Uint8Array | string): Uint8Array | undefined {
    const key = typeof routingId === "string" ? Buffer.from(routingId).toString("latin1") : Buffer.from(routingId.buffer, routingId.byteOffset, routingId.byteLength).toString("latin1");
    const publicKey = this.byId.get(key)?.peerPublicKey;
    return publicKey === null || publicKey === undefined ? undefined : Uint8Array.from(publicKey);
  }

  /**
   * Sends `frames[1..]` to the peer whose routing id is `frames[0]`.
   * Rejects with `EHOSTUNREACH` when no such peer is connected.
   */
  send(message: Message): Promise<void> {
    let frames;
    try {
      frames = toFrames(message);
    } catch (error) {
      return Promise.reject(error);
    }
    if (frames.length < 2) {
      return Promise.reject(new ZmtpError("EINVAL", `A ROUTER message needs a routing id and at least one part, got ${frames.length} part(s)`));
    }
    const id = frames[0] as string | Uint8Array;
    const key = typeof id === "string" ? Buffer.from(id).toString("latin1") : Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString("latin1");
    return this.submit(() => {
      const conn = this.byId.get(key);
      if (conn === undefined) {
        return new ZmtpError("EHOSTUNREACH", `No connected peer has routing id 0x${Buffer.from(key, "latin1").toString("hex")}`);
      }
      if (!conn.canAccept(this.sendHighWaterMark)) return false;
      conn.send(frames, 1);
      return true;
    }, key);
  }

  protected acceptInbound(conn: Connection, frames: Buffer[]): Buffer[] {
    frames.unshift(conn.routingId);
    return frames;
  }

  protected override peerAttached(conn: Connection): boolean {
    let id = conn.peerIdentity;
    if (id.length === 0) {
      id = Buffer.allocUnsafe(5);
      id[0] = 0;
      id.writeUInt32BE(this.nextId, 1);
      this.nextId = (this.nextId + 1) >>> 0;
    }
    const key = id.toString("latin1");
    if (this.byId.has(key)) return false;
    conn.routingId = id;
    this.byId.set(key, conn);
    return true;
  }

  protected override peerDetached(conn: Connection): void {
    const key = conn.routingId.toString("latin1");
    if (this.byId.get(key) === conn) this.byId.delete(key);
  }
}
