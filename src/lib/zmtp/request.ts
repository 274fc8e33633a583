import type { Connection } from "./connection.ts";
import { ZmtpError } from "./errors.ts";
import type { FrameData } from "./frame.ts";
import { toFrames } from "./message.ts";
import { SocketBase, type Message, type SocketOptions } from "./socket-base.ts";
import type { SocketType } from "./socket-type.ts";

const DELIMITER = Buffer.alloc(0);

/**
 * REQ: strict send/receive lockstep. `send` prepends the empty delimiter frame and goes to
 * the next peer in turn; `receive` returns the reply from that same peer (replies from other
 * peers, or without the delimiter, are dropped, as libzmq does). Sending twice without
 * receiving, or receiving before sending, rejects with `EFSM`. Talks to REP and ROUTER.
 *
 * @example
 * ```ts
 * const req = new Request();
 * req.connect("tcp://127.0.0.1:5555");
 * await req.send("ping");
 * const [reply] = await req.receive();
 * ```
 */
export class Request extends SocketBase {
  readonly socketType: SocketType = "REQ";
  private awaitingReply = false;
  private replyPeer: Connection | null = null;

  constructor(options: SocketOptions = {}) {
    super(options);
  }

  /** Sends a request; rejects with `EFSM` while the previous reply has not been received. */
  send(message: Message): Promise<void> {
    if (this.awaitingReply) {
      return Promise.reject(new ZmtpError("EFSM", "REQ must receive the reply before sending the next request"));
    }
    let body;
    try {
      body = toFrames(message);
    } catch (error) {
      return Promise.reject(error);
    }
    const frames: FrameData[] = [DELIMITER, ...body];
    this.awaitingReply = true;
    this.replyPeer = null;
    return this.submit(() => this.routeRoundRobin(frames));
  }

  protected override receiveStateError(): ZmtpError | null {
    return this.awaitingReply ? null : new ZmtpError("EFSM", "REQ must send a request before receiving");
  }

  protected override routed(conn: Connection): void {
    this.replyPeer = conn;
  }

  protected acceptInbound(conn: Connection, frames: Buffer[]): Buffer[] | null {
    if (!this.awaitingReply || conn !== this.replyPeer) return null;
    if (frames.length < 2 || (frames[0] as Buffer).length !== 0) return null;
    this.awaitingReply = false;
    this.replyPeer = null;
    frames.shift();
    return frames;
  }
}
