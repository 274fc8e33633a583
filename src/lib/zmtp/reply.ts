import type { Connection } from "./connection.ts";
import { ZmtpError } from "./errors.ts";
import type { FrameData } from "./frame.ts";
import { toFrames } from "./message.ts";
import { SocketBase, type Message, type SocketOptions } from "./socket-base.ts";
import type { SocketType } from "./socket-type.ts";

interface PendingRequest {
  readonly conn: Connection;
  /** Routing frames up to and including the empty delimiter. */
  readonly envelope: Buffer[];
}

/**
 * REP: strict receive/send lockstep. `receive` fair-queues requests from all peers, strips
 * and keeps the envelope (everything up to the empty delimiter); `send` puts the envelope
 * back and answers the peer the request came from. Requests without a delimiter are dropped.
 * Receiving twice, or sending before receiving, rejects with `EFSM`. Talks to REQ and DEALER.
 *
 * @example
 * ```ts
 * const rep = new Reply();
 * await rep.bind("tcp://127.0.0.1:0");
 * for await (const [request] of rep) await rep.send(handle(request));
 * ```
 */
export class Reply extends SocketBase {
  readonly socketType: SocketType = "REP";
  private request: PendingRequest | null = null;

  constructor(options: SocketOptions = {}) {
    super(options);
  }

  /**
   * Sends the reply to the last received request. If that peer has gone away the reply is
   * dropped (as libzmq does). Rejects with `EFSM` when no request is waiting for a reply.
   */
  send(message: Message): Promise<void> {
    const request = this.request;
    if (request === null) {
      return Promise.reject(new ZmtpError("EFSM", "REP must receive a request before sending a reply"));
    }
    let body;
    try {
      body = toFrames(message);
    } catch (error) {
      return Promise.reject(error);
    }
    this.request = null;
    const frames: FrameData[] = [...request.envelope, ...body];
    const { conn } = request;
    return this.submit(() => {
      if (conn.phase === "closed") return true;
      if (!conn.canAccept(this.sendHighWaterMark)) return false;
      conn.send(frames);
      return true;
    });
  }

  protected override receiveStateError(): ZmtpError | null {
    return this.request === null ? null : new ZmtpError("EFSM", "REP must send the reply before receiving the next request");
  }

  protected acceptInbound(conn: Connection, frames: Buffer[]): Buffer[] | null {
    if (this.request !== null) return null;
    let delimiter = -1;
    for (let i = 0; i < frames.length - 1; i++) {
      if ((frames[i] as Buffer).length === 0) {
        delimiter = i;
        break;
      }
    }
    if (delimiter < 0) return null;
    this.request = { conn, envelope: frames.slice(0, delimiter + 1) };
    return frames.slice(delimiter + 1);
  }
}
