/**
 * Z85 (ZeroMQ RFC 32): binary to printable text, 4 octets to 5 characters, the encoding
 * libzmq and zeromq.js use for CURVE keys (32 octets <-> 40 characters).
 */

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/** Character code -> digit value, -1 for characters outside the alphabet. */
const DIGITS = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGITS[ALPHABET.charCodeAt(i)] = i;

const MAX_GROUP = 0xffff_ffff;

/**
 * Encodes octets as Z85. The length must be a multiple of 4.
 *
 * @example
 * ```ts
 * z85Encode(new Uint8Array([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b])); // "HelloWorld"
 * ```
 */
export function z85Encode(data: Uint8Array): string {
  if (data.length % 4 !== 0) {
    throw new RangeError(`Z85 encodes a multiple of 4 octets, got ${data.length}`);
  }
  let text = "";
  for (let i = 0; i < data.length; i += 4) {
    let value = (data[i] as number) * 0x100_0000 + ((data[i + 1] as number) << 16) + ((data[i + 2] as number) << 8) + (data[i + 3] as number);
    const group = new Array<string>(5);
    for (let k = 4; k >= 0; k--) {
      group[k] = ALPHABET[value % 85] as string;
      value = Math.floor(value / 85);
    }
    text += group.join("");
  }
  return text;
}

/**
 * Decodes Z85 text. The length must be a multiple of 5 and every character in the Z85
 * alphabet; a group worth more than 2^32 - 1 is refused.
 *
 * @example
 * ```ts
 * z85Decode("HelloWorld"); // Uint8Array [0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]
 * ```
 */
export function z85Decode(text: string): Uint8Array {
  if (text.length % 5 !== 0) {
    throw new RangeError(`Z85 text must be a multiple of 5 characters long, got ${text.length}`);
  }
  const out = new Uint8Array((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let value = 0;
    for (let k = 0; k < 5; k++) {
      const code = text.charCodeAt(i + k);
      const digit = code < 128 ? (DIGITS[code] as number) : -1;
      if (digit < 0) {
        throw new RangeError(`Z85 text has a character outside the alphabet at ${i + k}: ${JSON.stringify(text[i + k])}`);
      }
      value = value * 85 + digit;
    }
    if (value > MAX_GROUP) {
      throw new RangeError(`Z85 group at ${i} ("${text.slice(i, i + 5)}") is worth more than 2^32 - 1`);
    }
    out[o] = value >>> 24;
    out[o + 1] = (value >>> 16) & 0xff;
    out[o + 2] = (value >>> 8) & 0xff;
    out[o + 3] = value & 0xff;
  }
  return out;
}
