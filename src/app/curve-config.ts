/**
 * CURVE settings of the dispatcher and workers: key files (Z85 text, as `faas keygen` writes them), the
 * dispatcher's list of authorized workers (one public key per line, `#` comment lines), and the start-up rule
 * that a dispatcher other machines can reach speaks CURVE to known workers only (unless
 * --insecure-transport).
 *
 * @example
 * const secret = readKeyFile("dispatcher.key", "--curve-secret-key-file"); // 40 Z85 characters
 * const allowed = readAuthorizedWorkers("workers.txt");                    // Set of Z85 public keys
 */
import { readFileSync } from "node:fs";
import { z85Decode } from "../lib/zmtp/index.ts";

/** A Z85 key (40 characters for 32 bytes), checked; `what` names where it came from in errors. */
export function checkKey(text: string, what: string): string {
  const key = text.trim();
  let bytes: Uint8Array | undefined;
  try {
    bytes = key.length === 40 ? z85Decode(key) : undefined;
  } catch {
    bytes = undefined;
  }
  if (bytes?.length !== 32) throw new Error(`${what} must hold a CURVE key: 40 characters of Z85 (as faas keygen writes), got ${key.length} characters`);
  return key;
}

function isKey(text: string): boolean {
  try {
    return text.length === 40 && z85Decode(text).length === 32;
  } catch {
    return false;
  }
}

/** The key in a key file (first non-empty line); errors name the flag, never the key. */
export function readKeyFile(path: string, flag: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`${flag} must name a readable file, got "${path}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const line = text.split("\n").map((l) => l.trim()).find((l) => l !== "" && !l.startsWith("#")) ?? "";
  return checkKey(line, `${flag} (${path})`);
}

/**
 * The public keys listed in an authorized-workers file: one per line; blank lines and lines starting
 * with `#` ignored (unless the line is a key: `#` is also a Z85 character).
 */
export function readAuthorizedWorkers(path: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`--authorized-workers must name a readable file, got "${path}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const keys = new Set<string>();
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || (line.startsWith("#") && !isKey(line))) return;
    keys.add(checkKey(line, `--authorized-workers (${path}, line ${i + 1})`));
  });
  return keys;
}
