/**
 * ZeroMQ wire protocol (ZMTP 3.1, RFC 37; NULL and CURVE mechanisms, RFC 25/26) over Bun TCP,
 * with an API shaped like zeromq.js v6: `Request`, `Reply`, `Dealer`, `Router`,
 * `curveKeyPair`. Interoperates with libzmq.
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
 *
 * // CURVE: the server holds its secret key, clients its public key (and their own pair).
 * const server = curveKeyPair(), client = curveKeyPair();
 * const router = new Router({ curveServer: true, curveSecretKey: server.secretKey, curveAllow: new Set([client.publicKey]) });
 * const dealer = new Dealer({ curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey });
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
export { curveKeyPair, curvePublicKey, type CurveKey } from "./curve-keys.ts";
export type { CurveAllow, CurveOptions } from "./security.ts";
export { SocketEvents, type HandshakeFailureFields, type SocketEvent, type SocketEventType } from "./socket-events.ts";
export { z85Decode, z85Encode } from "./z85.ts";
export type { SocketType } from "./socket-type.ts";
