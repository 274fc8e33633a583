/**
 * Waiting for many tasks through `POST /wait`: ids go out in chunks (the server takes at most 10,000
 * ids and 1 MiB per call), a few calls are in flight at once, and ids still pending come back into
 * the pool until every task is terminal or the overall timeout passes. One client thus waits on
 * thousands of tasks with a handful of requests (Bun's fetch keeps at most 256 in flight).
 */
import { AbortError } from "./abort.ts";
import { parseResult } from "./serialize.ts";
import type { TaskOutcome, WireWait } from "./types.ts";

export interface WaitPlan {
  /** Overall limit in seconds (Infinity: until every task is terminal; 0: one look, no waiting). */
  readonly timeoutS: number;
  /** Ids per call (default 1,000). */
  readonly chunkSize: number;
  /** Calls in flight (default 4). */
  readonly concurrency: number;
  /** Longest one call may hold on the server, in seconds (the server caps it at 60). */
  readonly maxCallS: number;
  /** Milliseconds now; a parameter for tests. */
  readonly now?: () => number;
  /** Stops the wait: no new call starts and the wait rejects with an AbortError (pass it to `call` too). */
  readonly signal?: AbortSignal | undefined;
  /** Told each id's final outcome as soon as it is known (progress bars, `asCompleted`). */
  readonly onOutcome?: ((taskId: string, outcome: TaskOutcome) => void) | undefined;
}

/** One `POST /wait {task_ids, timeout_s}`. */
export type WaitCall = (ids: string[], timeoutS: number) => Promise<WireWait>;

/**
 * Waits for `ids` and returns every one of them in a Map: COMPLETED / FAILED / CANCELLED with the
 * parsed result, `UNKNOWN` for an id the server does not know (reported, not thrown), `PENDING` for a
 * task still QUEUED or RUNNING when `timeoutS` passed. Every id is looked at at least once, even when
 * the timeout is 0 or has passed. A call that fails (after the transport's retries) rejects the whole
 * wait, and so does `plan.signal` (with an AbortError). `plan.onOutcome` hears of each id once, as
 * soon as its outcome is final.
 *
 * @example
 * ```ts
 * const outcomes = await waitForTasks(ids, { timeoutS: 60, chunkSize: 1000, concurrency: 4, maxCallS: 20 },
 *   (task_ids, timeout_s) => transport.send({ method: "POST", path: "/wait", body: { task_ids, timeout_s }, idempotent: true }));
 * outcomes.get(ids[0]); // { status: "COMPLETED", result: 3 }
 * ```
 */
export async function waitForTasks(ids: readonly string[], plan: WaitPlan, call: WaitCall): Promise<Map<string, TaskOutcome>> {
  const now = plan.now ?? Date.now;
  const out = new Map<string, TaskOutcome>();
  const pool = [...new Set(ids)];
  if (pool.length === 0) return out;
  const deadline = now() + Math.max(0, plan.timeoutS) * 1000;
  let inFlight = 0;
  let failure: { error: unknown } | undefined;
  const record = (id: string, outcome: TaskOutcome): void => {
    out.set(id, outcome);
    plan.onOutcome?.(id, outcome);
  };
  let wake: () => void = () => {};
  let settled = new Promise<void>((r) => (wake = r));
  const signal = (): void => {
    wake();
    settled = new Promise<void>((r) => (wake = r));
  };

  const lane = async (): Promise<void> => {
    while (failure === undefined) {
      if (plan.signal?.aborted === true) {
        failure = { error: new AbortError(`wait for ${pool.length + out.size} task(s)`, plan.signal.reason) };
        return;
      }
      const batch = pool.splice(0, plan.chunkSize);
      if (batch.length === 0) {
        if (inFlight === 0) return;
        await settled; // another lane may put pending ids back
        continue;
      }
      inFlight++;
      try {
        const leftS = (deadline - now()) / 1000;
        const reply = await call(batch, Math.max(0, Math.min(plan.maxCallS, leftS)));
        for (const r of reply.results) record(r.task_id, { status: r.status as TaskOutcome["status"], result: parseResult(r.result) });
        for (const id of reply.unknown) record(id, { status: "UNKNOWN", result: null });
        if (now() >= deadline) for (const id of reply.pending) record(id, { status: "PENDING", result: null });
        else pool.push(...reply.pending);
      } catch (error) {
        failure ??= { error };
      } finally {
        inFlight--;
        signal();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, plan.concurrency) }, lane));
  if (failure !== undefined) throw failure.error;
  return out;
}
