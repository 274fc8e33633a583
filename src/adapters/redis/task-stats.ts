/**
 * The task counters as kept in Redis: one hash per tenant (`<prefix>:stats:<tenant>`, the tenants
 * listed in the set `<prefix>:tenants`) changed with HINCRBY by the scripts that change tasks (enqueue,
 * claim, apply, cancel, reclaim, adopt), one HINCRBY per tenant and field per call. Fields:
 *
 * - `submitted`: tasks enqueued
 * - `queued`: tasks QUEUED now
 * - `functions`: functions registered
 * - `finished:<COMPLETED|FAILED|CANCELLED>`: tasks that became terminal
 * - `failed:<label>`: FAILED tasks by error label (failureLabel in domain/metrics.ts)
 * - `retries`: lost attempts after which the task runs again (re-queued, or taken over from a dead dispatcher)
 * - `duration:<i>`: tasks whose submit-to-terminal time fell in bucket i (0-based, not cumulative; the
 *   last index is +Inf), `duration_sum_ms`: the sum of those times in ms
 *
 * The hash never expires; it lives and dies with the deployment's other keys.
 */
import { DURATION_BUCKETS_MS, FINISHED_STATUSES, emptyStats, type StatsSnapshot } from "../../domain/metrics.ts";

/** The snapshot held in an HGETALL reply of a stats hash (`[field, value, ...]`). */
export function decodeStats(fields: readonly string[]): StatsSnapshot {
  const base = emptyStats();
  const finished = { ...base.finished };
  const failures: Record<string, number> = {};
  const buckets = [...base.duration.buckets];
  let submitted = 0;
  let retries = 0;
  let sumMs = 0;
  let queued = 0;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const field = fields[i] as string;
    const n = Number(fields[i + 1]);
    if (field === "submitted") submitted = n;
    else if (field === "retries") retries = n;
    else if (field === "duration_sum_ms") sumMs = n;
    else if (field === "queued") queued = n;
    else if (field.startsWith("finished:")) {
      const status = field.slice("finished:".length);
      if ((FINISHED_STATUSES as readonly string[]).includes(status)) finished[status as keyof typeof finished] = n;
    } else if (field.startsWith("failed:")) failures[field.slice("failed:".length)] = n;
    else if (field.startsWith("duration:")) {
      const b = Number(field.slice("duration:".length));
      if (Number.isInteger(b) && b >= 0 && b <= DURATION_BUCKETS_MS.length) buckets[b] = n;
    }
  }
  return { submitted, finished, failures, retries, queued, duration: { buckets, sumMs } };
}
