/**
 * ZMTP frame flags (RFC 23 §"Framing"). A frame is `flags size body`; `size` is one octet
 * (short frame) or eight octets in network order (long frame, flag LONG).
 */

/** More frames of this message follow. Never set on commands. */
export const FLAG_MORE = 0x01;
/** Size field is 8 octets. */
export const FLAG_LONG = 0x02;
/** The frame is a command (READY, ERROR, PING, PONG...), not message data. */
export const FLAG_COMMAND = 0x04;
/** Bits 7-3 are reserved and must be zero. */
export const FLAGS_RESERVED = 0xf8;

/** Largest body a short frame can carry. */
export const SHORT_FRAME_MAX = 255;

/** One frame of an outgoing message: bytes, or a string sent as UTF-8. */
export type FrameData = Uint8Array | string;
