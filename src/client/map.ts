/**
 * `faas.map(fn, argsList)`: one task per args array, results yielded in input order (as Globus
 * Compute's `Executor.map`), with at most `concurrency` tasks unfinished on the server at once. Tasks
 * go out in batches (`POST /execute_batch`) and are watched in batches (`POST /wait`).
 */
import { throwIfAborted } from "./abort.ts";
import { outcomeValue } from "./outcome.ts";
import { parseResult } from "./serialize.ts";
import type { TaskOutcome, WireWait } from "./types.ts";

/** Most ids watched by one `POST /wait` call (the oldest unfinished tasks first). */
export const MAP_WATCH_IDS = 1000;

/** What `mapInOrder` needs from the client. */
export interface MapOps {
  /** Queues one task per args array; ids in the same order. */
  submit(argsList: unknown[][], signal: AbortSignal | undefined): Promise<string[]>;
  /** One `POST /wait`: answers once at least one listed task is terminal (or after the server's hold). */
  waitSome(ids: string[], signal: AbortSignal | undefined): Promise<WireWait>;
  /** Cancels tasks nobody will read (best effort; never throws). */
  cancelAll(ids: string[]): Promise<void>;
}

/**
 * Yields the result of each args array in input order. Throws, when the consumer reaches it, the
 * error of the first task (in input order) that did not complete: TaskFailedError,
 * TaskCancelledError, or a 404 FaasError for a task the server lost. When the loop ends early (a
 * `break`, an error, or `signal` with an AbortError), the tasks still unfinished are cancelled.
 *
 * @example
 * ```ts
 * for await (const v of mapInOrder([[1], [2]], 100, ops)) console.log(v);
 * ```
 */
export async function* mapInOrder(argsList: Iterable<unknown[]>, concurrency: number, ops: MapOps, signal?: AbortSignal): AsyncGenerator<unknown, void, undefined> {
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new RangeError(`concurrency must be an integer of at least 1, got ${concurrency}`);
  const source = argsList[Symbol.iterator]();
  let exhausted = false;
  const ids: string[] = []; // by input index, once submitted
  const unfinished = new Map<string, number>(); // id -> input index, oldest first
  const outcomes = new Map<number, TaskOutcome>(); // finished, not yet yielded
  let next = 0; // the input index to yield next
  try {
    for (;;) {
      throwIfAborted(signal, `map over ${ids.length} submitted task(s)`);
      if (!exhausted && unfinished.size < concurrency) {
        const take: unknown[][] = [];
        while (take.length < concurrency - unfinished.size) {
          const r = source.next();
          if (r.done === true) {
            exhausted = true;
            break;
          }
          take.push(r.value);
        }
        if (take.length > 0) {
          for (const id of await ops.submit(take, signal)) {
            unfinished.set(id, ids.length);
            ids.push(id);
          }
        }
      }
      while (outcomes.has(next)) {
        const outcome = outcomes.get(next) as TaskOutcome;
        outcomes.delete(next);
        const id = ids[next++] as string;
        yield outcomeValue(id, outcome);
      }
      if (exhausted && next === ids.length) return;
      if (unfinished.size === 0) continue; // room to submit more
      const reply = await ops.waitSome([...unfinished.keys()].slice(0, MAP_WATCH_IDS), signal);
      const finish = (id: string, outcome: TaskOutcome): void => {
        const index = unfinished.get(id);
        if (index === undefined) return;
        unfinished.delete(id);
        outcomes.set(index, outcome);
      };
      for (const r of reply.results) finish(r.task_id, { status: r.status as TaskOutcome["status"], result: parseResult(r.result) });
      for (const id of reply.unknown) finish(id, { status: "UNKNOWN", result: null });
    }
  } finally {
    if (unfinished.size > 0) await ops.cancelAll([...unfinished.keys()]);
  }
}
