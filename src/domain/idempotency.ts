/**
 * Idempotency keys: a client names a request (execute or a batch) with a key of its choosing, so that
 * sending it again (after a lost reply, say) answers the first request's task ids instead of queueing
 * new tasks. Keys belong to the caller's tenant and live for the retention period; the same key with
 * a different request is a conflict, never a silent replay.
 *
 * @example
 * checkIdempotencyKey("9b1d6c1e-order-42") // undefined: fine
 * checkIdempotencyKey("")                  // InvalidRequest naming idempotencyKey
 * idempotencyConflict("k")                 // { kind: "IdempotencyConflict", message: "Idempotency key \"k\" ..." }
 */
import { invalid, type DomainError } from "./errors.ts";

/** The longest key, in characters. */
export const MAX_IDEMPOTENCY_KEY = 255;

/** What a key looks like: 1 to 255 printable ASCII characters, no spaces. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The key and the digest of the request it came with (computed by the adapter that read the request). */
export interface IdempotentRequest {
  readonly key: string;
  readonly fingerprint: string;
}

/** What an execute under a key did: queued new tasks, or answered the first request's ids again. */
export interface IdempotentOutcome {
  readonly ids: string[];
  /** True when the key was known: nothing new was queued. */
  readonly replayed: boolean;
}

/** An InvalidRequest naming the key when it does not fit {@link IDEMPOTENCY_KEY}; undefined when it does. */
export function checkIdempotencyKey(key: string): DomainError | undefined {
  if (IDEMPOTENCY_KEY.test(key)) return undefined;
  const got = key.length === 0 ? "an empty one" : key.length > MAX_IDEMPOTENCY_KEY ? `one of ${key.length} characters` : "one with a space or a character outside printable ASCII";
  return invalid(`An idempotency key must be 1 to ${MAX_IDEMPOTENCY_KEY} printable ASCII characters without spaces, got ${got}`, { name: "idempotencyKey" });
}

/** The key came with another request than the one it was first used for. */
export function idempotencyConflict(key: string): DomainError {
  return {
    kind: "IdempotencyConflict",
    message: `Idempotency key "${key}" was used for a different request (another route, function, payload or option) within the retention period; a new request needs a new key`,
  };
}
