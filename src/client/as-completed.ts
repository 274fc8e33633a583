/**
 * `faas.asCompleted(handles)`: the handles back in the order their tasks finish, as Python's
 * `concurrent.futures.as_completed`. Every id is watched through `POST /wait` (many ids per call),
 * not one long-poll per task.
 */
import { AbortError } from "./abort.ts";
import { settleHandle, type TaskHandle } from "./handle.ts";
import type { TaskOutcome } from "./types.ts";

/** The client's many-task wait, told of each outcome as it comes. */
export type StreamingWait = (
  ids: readonly string[],
  o: { signal: AbortSignal; onOutcome: (taskId: string, outcome: TaskOutcome) => void },
) => Promise<unknown>;

/**
 * Yields each distinct handle once, as soon as its task is terminal (or unknown to the server):
 * handles already settled first, then in the order the server reports them. Leaving the loop early
 * stops the waiting (no request is left behind); `signal` makes it throw an AbortError.
 *
 * @example
 * ```ts
 * for await (const h of asCompleted(handles, (ids, o) => client.wait(ids, o))) console.log(h.taskId);
 * ```
 */
export async function* asCompleted<H extends TaskHandle<unknown>>(handles: Iterable<H>, wait: StreamingWait, signal?: AbortSignal): AsyncGenerator<H, void, undefined> {
  const byId = new Map<string, H>();
  for (const h of handles) if (!byId.has(h.taskId)) byId.set(h.taskId, h);
  if (signal?.aborted === true) throw new AbortError(`asCompleted over ${byId.size} task(s)`, signal.reason);
  const ready = [...byId.values()].filter((h) => h.done);
  const open = [...byId.values()].filter((h) => !h.done).map((h) => h.taskId);
  if (open.length === 0) {
    yield* ready;
    return;
  }

  const stop = new AbortController();
  const onAbort = (): void => stop.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  let wake: (() => void) | undefined;
  let ended = false;
  let failure: { error: unknown } | undefined;
  const waiting = wait(open, {
    signal: stop.signal,
    onOutcome: (id, outcome) => {
      const h = byId.get(id);
      if (h === undefined || outcome.status === "PENDING") return;
      settleHandle(h, outcome);
      ready.push(h);
      wake?.();
    },
  }).then(
    () => {
      ended = true;
      wake?.();
    },
    (error: unknown) => {
      failure = { error: signal?.aborted === true ? new AbortError(`asCompleted over ${byId.size} task(s)`, signal.reason) : error };
      ended = true;
      wake?.();
    },
  );
  try {
    for (;;) {
      while (ready.length > 0) yield ready.shift() as H;
      if (failure !== undefined) throw failure.error;
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    stop.abort();
    await waiting;
  }
}
