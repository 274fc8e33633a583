/**
 * XSalsa20-Poly1305 (NaCl `crypto_secretbox`, the cipher of `crypto_box_afternm`) for the
 * many boxes of one CURVE connection direction, arranged so a MESSAGE costs one Salsa20 pass
 * and one Poly1305 over memory we already own, with no per-message setup.
 *
 * Every MESSAGE nonce of a direction is `prefix (16) + short nonce (8)` with a fixed prefix
 * ("CurveZMQMESSAGEC" or "CurveZMQMESSAGES"). XSalsa20 with such a nonce is, by its
 * definition, Salsa20 keyed with `HSalsa20(key, prefix)` over the short nonce; so that subkey
 * is derived once, here, and each box is then `@noble/ciphers`' salsa20 and poly1305, used as
 * secretbox uses them: the first 32 keystream octets are the Poly1305 key, the rest encrypt.
 * The primitives are @noble/ciphers'; this file only fixes their inputs. test/zmtp/curve.test.ts
 * checks every box against @noble/ciphers' own xsalsa20poly1305.
 */
import { hsalsa, salsa20 } from "@noble/ciphers/salsa.js";
import { Poly1305 } from "@noble/ciphers/_poly1305.js";
import { equalBytes } from "@noble/ciphers/utils.js";

/** Octets before the plaintext in a box buffer: Poly1305 key scratch (16 + 16 tag). */
export const BOX_HEAD = 32;

const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

/**
 * Seals and opens the boxes of one direction of a CURVE connection.
 *
 * Buffers hold `[32 octets][plaintext or ciphertext]`; after sealing, octets 16-31 are the
 * tag (so octets 16.. are exactly the box on the wire).
 *
 * @example
 * ```ts
 * const box = new PrefixedBox(beforenmKey, "CurveZMQMESSAGEC");
 * buf.set(plaintext, BOX_HEAD);
 * box.seal(shortNonce, buf);          // buf[16..] = tag + ciphertext
 * box.open(shortNonce, buf, output);  // output[32..] = plaintext, or false
 * ```
 */
export class PrefixedBox {
  private readonly subkey: Uint8Array;
  private readonly tag = new Uint8Array(16);

  /**
   * @param key the 32-octet XSalsa20-Poly1305 key (the connection's `beforenm` key)
   * @param prefix the first 16 octets of every nonce, as ASCII
   */
  constructor(key: Uint8Array, prefix: string) {
    if (prefix.length !== 16) throw new RangeError(`Nonce prefix must be 16 characters, got ${prefix.length}`);
    const k = new Uint32Array(8);
    new Uint8Array(k.buffer).set(key.subarray(0, 32));
    const p = new Uint32Array(4);
    const pBytes = new Uint8Array(p.buffer);
    for (let i = 0; i < 16; i++) pBytes[i] = prefix.charCodeAt(i);
    const out = new Uint32Array(8);
    hsalsa(SIGMA, k, p, out);
    k.fill(0);
    this.subkey = new Uint8Array(out.buffer);
  }

  /**
   * Encrypts `buf[32..]` in place and authenticates it: afterwards `buf[0..16]` are zero,
   * `buf[16..32]` the tag, `buf[32..]` the ciphertext.
   * @param nonce the 8-octet short nonce
   */
  seal(nonce: Uint8Array, buf: Uint8Array): void {
    buf.fill(0, 0, BOX_HEAD);
    salsa20(this.subkey, nonce, buf, buf);
    const mac = new Poly1305(buf.subarray(0, BOX_HEAD));
    mac.update(buf.subarray(BOX_HEAD));
    mac.digestInto(this.tag);
    buf.fill(0, 0, 16);
    buf.set(this.tag, 16);
  }

  /**
   * Opens `input` = `[16 octets][tag (16)][ciphertext]` (left unchanged) into `output`, as
   * long as `input`: `output[32..]` gets the plaintext. Returns false, with `output` wiped,
   * when the tag does not match (wrong key or nonce, or altered octets).
   * @param nonce the 8-octet short nonce
   */
  open(nonce: Uint8Array, input: Uint8Array, output: Uint8Array): boolean {
    output.set(input);
    output.fill(0, 0, BOX_HEAD);
    salsa20(this.subkey, nonce, output, output);
    const mac = new Poly1305(output.subarray(0, BOX_HEAD));
    mac.update(input.subarray(BOX_HEAD));
    mac.digestInto(this.tag);
    if (!equalBytes(this.tag, input.subarray(16, BOX_HEAD))) {
      output.fill(0);
      return false;
    }
    output.fill(0, 0, BOX_HEAD);
    return true;
  }
}
