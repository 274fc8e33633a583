import { ZmtpError } from "./errors.ts";
import type { FrameData } from "./frame.ts";
import type { Message } from "./socket-base.ts";

/**
 * Normalises what `send` accepts (a part or an array of parts) into a fresh frame array,
 * checking each part is a string or bytes.
 *
 * @example
 * ```ts
 * toFrames("hi");              // ["hi"]
 * toFrames([id, "", payload]); // [id, "", payload]
 * ```
 */
export function toFrames(message: Message): FrameData[] {
  if (typeof message === "string" || message instanceof Uint8Array) return [message];
  if (!Array.isArray(message)) throw invalidPart(message);
  const frames: FrameData[] = new Array(message.length);
  for (let i = 0; i < message.length; i++) {
    const part: unknown = message[i];
    if (typeof part !== "string" && !(part instanceof Uint8Array)) throw invalidPart(part);
    frames[i] = part;
  }
  return frames;
}

function invalidPart(part: unknown): ZmtpError {
  const got = part === null ? "null" : typeof part === "object" ? (part.constructor?.name ?? "object") : typeof part;
  return new ZmtpError("EINVAL", `Message parts must be strings, Buffers or Uint8Arrays, got ${got}`);
}
