/**
 * `faas keygen --out NAME`: a CURVE key pair for a worker or a dispatcher (ZMTP CURVE, RFC 26), written
 * as `NAME.key` (the secret key, mode 0600) and `NAME.pub` (the public key), each one line of Z85
 * (RFC 32: 40 characters for 32 bytes). The keys come from node:crypto's X25519, so the client needs
 * nothing of the server's code; Z85 is encoded here.
 *
 * @example
 * const { publicKey } = await writeKeyPair("worker-1"); // worker-1.key, worker-1.pub
 */
import { generateKeyPairSync } from "node:crypto";
import { writeFile } from "node:fs/promises";

const Z85_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/** Z85 text of bytes whose length is a multiple of 4 (RFC 32). */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new Error(`Z85 encodes whole 4-byte groups, got ${bytes.length} bytes`);
  let out = "";
  for (let i = 0; i < bytes.length; i += 4) {
    let value = ((bytes[i] as number) * 2 ** 24 + ((bytes[i + 1] as number) << 16) + ((bytes[i + 2] as number) << 8) + (bytes[i + 3] as number)) >>> 0;
    let group = "";
    for (let j = 0; j < 5; j++) {
      group = (Z85_ALPHABET[value % 85] as string) + group;
      value = Math.floor(value / 85);
    }
    out += group;
  }
  return out;
}

/** A fresh X25519 key pair as Z85 text. */
export function curveKeyPairZ85(): { publicKey: string; secretKey: string } {
  const { privateKey } = generateKeyPairSync("x25519");
  const jwk = privateKey.export({ format: "jwk" }) as { x: string; d: string };
  return { publicKey: z85Encode(Buffer.from(jwk.x, "base64url")), secretKey: z85Encode(Buffer.from(jwk.d, "base64url")) };
}

/** Writes `<name>.key` (0600, refusing to overwrite) and `<name>.pub`; returns the paths and the public key. */
export async function writeKeyPair(name: string): Promise<{ secretFile: string; publicFile: string; publicKey: string }> {
  const pair = curveKeyPairZ85();
  const secretFile = `${name}.key`;
  const publicFile = `${name}.pub`;
  await writeFile(secretFile, `${pair.secretKey}\n`, { mode: 0o600, flag: "wx" });
  await writeFile(publicFile, `${pair.publicKey}\n`, { flag: "wx" });
  return { secretFile, publicFile, publicKey: pair.publicKey };
}
