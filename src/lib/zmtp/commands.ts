/**
 * ZMTP command bodies: READY (with metadata), ERROR, PING and PONG (RFC 23, RFC 37).
 *
 * A command body is `name-size name data`. The frame flags (COMMAND) are added by the encoder.
 */

/** Metadata property names, compared case-insensitively (we store them lower-cased). */
export const PROPERTY_SOCKET_TYPE = "socket-type";
export const PROPERTY_IDENTITY = "identity";

/** Largest PING context a PONG echoes. */
const MAX_PING_CONTEXT = 16;
const PING_TTL_SIZE = 2;

/** A parsed command: its name and the data after the name. */
export interface Command {
  readonly name: string;
  readonly data: Buffer;
}

/**
 * Builds a command body.
 *
 * @example
 * ```ts
 * encodeCommand("PONG", context); // 0x04 "PONG" context
 * ```
 */
export function encodeCommand(name: string, data?: Uint8Array): Buffer {
  const nameSize = Buffer.byteLength(name, "latin1");
  const b = Buffer.allocUnsafe(1 + nameSize + (data?.length ?? 0));
  b[0] = nameSize;
  b.write(name, 1, "latin1");
  if (data !== undefined) b.set(data, 1 + nameSize);
  return b;
}

/** Splits a command body into name and data; `null` when the body is malformed. */
export function parseCommand(body: Buffer): Command | null {
  const nameSize = body[0];
  if (nameSize === undefined || nameSize === 0 || body.length < 1 + nameSize) return null;
  return { name: body.toString("latin1", 1, 1 + nameSize), data: body.subarray(1 + nameSize) };
}

/**
 * Builds a READY command body carrying the given properties in order.
 *
 * @example
 * ```ts
 * encodeReady([["Socket-Type", Buffer.from("DEALER")], ["Identity", Buffer.alloc(0)]]);
 * ```
 */
export function encodeReady(properties: Properties): Buffer {
  return encodeCommand("READY", encodeMetadata(properties));
}

/** Metadata properties in the order they are sent: name and value. */
export type Properties = ReadonlyArray<readonly [string, Uint8Array]>;

/**
 * Encodes metadata properties (`name-size name value-size(4) value`, RFC 23), the body of a
 * NULL READY and the plaintext a CURVE INITIATE or READY box carries.
 *
 * @example
 * ```ts
 * encodeMetadata([["Socket-Type", Buffer.from("REQ")]]); // 0x0b "Socket-Type" 0 0 0 3 "REQ"
 * ```
 */
export function encodeMetadata(properties: Properties): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of properties) {
    const head = Buffer.allocUnsafe(1 + name.length + 4);
    head[0] = name.length;
    head.write(name, 1, "latin1");
    head.writeUInt32BE(value.length, 1 + name.length);
    parts.push(head, Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return Buffer.concat(parts);
}

/**
 * Parses metadata (a READY body, or a CURVE box's plaintext) into a map keyed by lower-cased property name.
 * Returns an error string when a name or value runs past the end, or a name is empty.
 *
 * @example
 * ```ts
 * parseMetadata(encodeMetadata([["Socket-Type", Buffer.from("REQ")]])); // Map { "socket-type" => <REQ> }
 * ```
 */
export function parseMetadata(data: Buffer): Map<string, Buffer> | string {
  const props = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    const nameSize = data[pos] as number;
    if (nameSize === 0) return "Metadata property name must not be empty";
    if (pos + 1 + nameSize + 4 > data.length) return "Metadata property runs past the end of the metadata";
    const name = data.toString("latin1", pos + 1, pos + 1 + nameSize).toLowerCase();
    pos += 1 + nameSize;
    const valueSize = data.readUInt32BE(pos);
    pos += 4;
    if (valueSize > data.length - pos) return `Metadata value of "${name}" runs past the end of the metadata`;
    props.set(name, data.subarray(pos, pos + valueSize));
    pos += valueSize;
  }
  return props;
}

/** Builds an ERROR command body; the reason is cut to 255 octets. */
export function encodeError(reason: string): Buffer {
  const text = Buffer.from(reason, "latin1").subarray(0, 255);
  const data = Buffer.allocUnsafe(1 + text.length);
  data[0] = text.length;
  data.set(text, 1);
  return encodeCommand("ERROR", data);
}

/** Reads the reason of an ERROR command (lenient: a short body gives what is there). */
export function parseErrorReason(data: Buffer): string {
  const size = data[0] ?? 0;
  return data.toString("latin1", 1, Math.min(data.length, 1 + size));
}

/**
 * Builds the PONG answering a PING: echoes the ping context (at most 16 octets).
 * Returns `null` when the PING has no room for its 2-octet TTL.
 */
export function pongFor(pingData: Buffer): Buffer | null {
  if (pingData.length < PING_TTL_SIZE) return null;
  const context = pingData.subarray(PING_TTL_SIZE, PING_TTL_SIZE + MAX_PING_CONTEXT);
  return encodeCommand("PONG", context);
}

/** Builds a PING command body (used by tests and heartbeats). */
export function encodePing(ttlDeciseconds: number, context: Uint8Array): Buffer {
  const data = Buffer.allocUnsafe(PING_TTL_SIZE + context.length);
  data.writeUInt16BE(ttlDeciseconds, 0);
  data.set(context, PING_TTL_SIZE);
  return encodeCommand("PING", data);
}

/** What a command received after the handshake asks for: nothing, a reply, or dropping the peer. */
export type ReadyCommandAction = { readonly kind: "ignore" } | { readonly kind: "reply"; readonly body: Buffer } | { readonly kind: "fail"; readonly reason: string };

/**
 * Handles a command after the handshake: PING is answered with PONG, ERROR and malformed
 * commands drop the peer; PONG and commands meant for other socket types (SUBSCRIBE...) are
 * ignored, as libzmq does.
 *
 * @example
 * ```ts
 * readyCommand(encodePing(10, ctx)); // { kind: "reply", body: <PONG ctx> }
 * ```
 */
export function readyCommand(body: Buffer): ReadyCommandAction {
  const command = parseCommand(body);
  if (command === null) return { kind: "fail", reason: "Protocol error: malformed command" };
  if (command.name === "ERROR") return { kind: "fail", reason: `Peer sent ERROR: ${parseErrorReason(command.data)}` };
  if (command.name !== "PING") return { kind: "ignore" };
  const pong = pongFor(command.data);
  return pong === null ? { kind: "fail", reason: "Protocol error: PING without TTL" } : { kind: "reply", body: pong };
}
