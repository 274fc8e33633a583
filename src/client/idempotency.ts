/**
 * The idempotency keys the SDK sends with every execute and executeBatch (the `Idempotency-Key`
 * header): a fresh UUID per call unless the caller gives one, the same on every retry of that call, so
 * a retry after a lost reply answers the tasks the first attempt queued instead of queueing them again.
 * A batch sent in several chunks gives each chunk its own key, `<key>:<chunk index>`.
 */

/** The server's rule: 1 to 255 printable ASCII characters, no spaces. */
const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The key of one call: `given` (checked: a TypeError before anything is sent when it does not fit the
 * server's rule) or a fresh UUID.
 *
 * @example
 * ```ts
 * requestKey("order-42"); // "order-42"
 * requestKey();           // "3b241101-e2bb-4255-8caf-4136c566a962"
 * ```
 */
export function requestKey(given?: string): string {
  if (given === undefined) return globalThis.crypto.randomUUID();
  if (typeof given !== "string" || !KEY.test(given)) {
    throw new TypeError(`idempotencyKey must be 1 to 255 printable ASCII characters without spaces, got ${typeof given === "string" ? JSON.stringify(given.slice(0, 40)) : typeof given}`);
  }
  return given;
}

/**
 * The key of chunk `index` of a batch sent in `chunks` chunks: the batch's own key when it is sent
 * whole, else `<key>:<index>` (a TypeError when that passes 255 characters).
 *
 * @example
 * ```ts
 * chunkKey("order-42", 0, 1); // "order-42"
 * chunkKey("order-42", 1, 3); // "order-42:1"
 * ```
 */
export function chunkKey(key: string, index: number, chunks: number): string {
  if (chunks === 1) return key;
  const k = `${key}:${index}`;
  if (k.length > 255) throw new TypeError(`idempotencyKey is too long for a batch of ${chunks} chunks: "<key>:<chunk>" must fit in 255 characters, got ${k.length}`);
  return k;
}

/** The header that carries it. */
export function keyHeader(key: string): Record<string, string> {
  return { "idempotency-key": key };
}
