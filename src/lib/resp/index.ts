/**
 * RESP2, the Redis serialization protocol: a reader of replies that arrive in pieces, a command
 * encoder, and one lean connection over Bun's sockets for the calls on a task's way (see
 * connection.ts). The adapter's other connections are ioredis'.
 *
 * @example
 * import { RespConnection } from "./lib/resp/index.ts";
 * const conn = new RespConnection({ host: "127.0.0.1", port: 6379 }, { commandTimeoutMs: 1000 });
 * if (await conn.whenReady(1000)) await conn.call(["PING"]); // "PONG"
 *
 * @module
 */
export { RespConnection, RespDroppedError, RespNotConnectedError, RespTimeoutError, type RespConnectionOptions, type RespTarget } from "./connection.ts";
export { encodeCommand, encodeSized, RespProtocolError, RespReader, RespReplyError, type RespReply } from "./reader.ts";
