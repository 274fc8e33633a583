import type { Connection } from "./connection.ts";
import { toFrames } from "./message.ts";
import { SocketBase, type Message, type SocketOptions } from "./socket-base.ts";
import type { SocketType } from "./socket-type.ts";

/**
 * DEALER: sends round-robin over connected peers, receives fair-queued from all of them.
 * Messages pass unchanged (no envelope). Talks to REP, DEALER and ROUTER.
 * Messages sent before any peer is connected are queued (up to `sendHighWaterMark`) and go
 * out once a handshake completes.
 *
 * @example
 * ```ts
 * const dealer = new Dealer({ routingId: "worker-1" });
 * dealer.connect("tcp://127.0.0.1:5555");
 * await dealer.send(["job", payload]);
 * const [kind, body] = await dealer.receive();
 * ```
 */
export class Dealer extends SocketBase {
  readonly socketType: SocketType = "DEALER";

  constructor(options: SocketOptions = {}) {
    super(options);
  }

  /** Queues the message for the next peer in turn; waits while every peer is at its HWM. */
  send(message: Message): Promise<void> {
    let frames;
    try {
      frames = toFrames(message);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.submit(() => this.routeRoundRobin(frames));
  }

  protected acceptInbound(_conn: Connection, frames: Buffer[]): Buffer[] {
    return frames;
  }
}
