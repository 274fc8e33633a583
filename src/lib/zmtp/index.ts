/**
 * ZeroMQ wire protocol (ZMTP 3.1, RFC 37; NULL mechanism) over Bun TCP, with an API shaped
 * like zeromq.js v6: `Request`, `Reply`, `Dealer`, `Router`. Interoperates with libzmq.
 *
 * @example
 * ```ts
 * import { Reply, Request } from "./lib/zmtp/index.ts";
 * const rep = new Reply();
 * await rep.bind("tcp://127.0.0.1:0");
 * const req = new Request();
 * req.connect(rep.lastEndpoint!);
 * await req.send("ping");
 * const [request] = await rep.receive();
 * await rep.send(["pong", request]);
 * const [pong] = await req.receive();
 * ```
 *
 * @module
 */
export { Dealer } from "./dealer.ts";
export { Reply } from "./reply.ts";
export { Request } from "./request.ts";
export { Router } from "./router.ts";
export { SocketBase, type Message, type MessagePart, type SocketOptions } from "./socket-base.ts";
export { ZmtpError, type ZmtpErrorCode } from "./errors.ts";
export type { SocketType } from "./socket-type.ts";
