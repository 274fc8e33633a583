/**
 * Queueing many calls of one function: `POST /execute_batch` in chunks the server accepts (at most
 * 10,000 payloads and under its 1 MiB body limit), a few chunks in flight at once.
 */
import { chunk, mapBounded, PartialFailure } from "./chunks.ts";
import { BatchSubmitError } from "./errors.ts";
import { chunkKey } from "./idempotency.ts";
import { serializeArgs } from "./serialize.ts";

const MAX_BATCH = 10_000; // the server's limit of payloads per /execute_batch
const BATCH_BODY_BYTES = 1024 * 1024 - 4096; // the server's default --max-body, less room for the rest
const BATCH_CONCURRENCY = 4;
const utf8 = new TextEncoder();

/** One `POST /execute_batch` with these payloads under this idempotency key; answers the task ids in order. */
export type SendBatch = (payloads: string[], idempotencyKey: string) => Promise<{ task_ids: string[] }>;

/**
 * Serializes every args array (a TypeError naming `argsList[i]` before anything is sent), sends the
 * chunks, each under its own idempotency key (`key` when the batch goes whole, else `<key>:<i>`), and
 * returns the task ids in the order of `argsList`. If a chunk fails after another was queued, throws a
 * {@link BatchSubmitError} with the ids already queued; if none was, the chunk's own error.
 *
 * @example
 * ```ts
 * const ids = await submitBatch([[1], [2]], "order-42", (payloads, key) => send({ function_id, payloads }, key));
 * ```
 */
export async function submitBatch(argsList: readonly unknown[][], key: string, send: SendBatch): Promise<string[]> {
  if (!Array.isArray(argsList)) throw new TypeError(`argsList must be an array of args arrays, got ${typeof argsList}`);
  const payloads = argsList.map((args, i) => {
    try {
      return serializeArgs(args);
    } catch (e) {
      throw new TypeError(`argsList[${i}]: ${(e as Error).message}`);
    }
  });
  const indexed = payloads.map((payload, index) => ({ payload, index }));
  const chunks = chunk(indexed, MAX_BATCH, BATCH_BODY_BYTES, (p) => utf8.encode(JSON.stringify(p.payload)).length + 1);
  const keys = chunks.map((_, i) => chunkKey(key, i, chunks.length));
  try {
    const replies = await mapBounded(chunks, BATCH_CONCURRENCY, (c, i) => send(c.map((p) => p.payload), keys[i] as string));
    return replies.flatMap((r) => r.task_ids);
  } catch (e) {
    if (!(e instanceof PartialFailure)) throw e;
    if (!e.done.includes(true)) throw e.error; // no chunk queued: the plain FaasError / FaasNetworkError
    const ids = new Array<string | undefined>(payloads.length).fill(undefined);
    chunks.forEach((c, i) => {
      if (e.done[i]) c.forEach((p, j) => (ids[p.index] = (e.results[i] as { task_ids: string[] }).task_ids[j]));
    });
    throw new BatchSubmitError(ids, e.error);
  }
}
