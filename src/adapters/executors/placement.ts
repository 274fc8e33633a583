/**
 * Where a tenant's next job goes, decided over the pool's executor records: an executor of its own
 * tenant with a free slot (the least loaded), a new one while the global count allows (a tenant's load
 * spreads over executors as CPU-bound work needs), one started in place of the least recently used
 * idle executor at the count, or nowhere yet. And, when a tenant waits with no executor at all and
 * none is idle, which executor of another tenant stops taking jobs so that it soon is.
 */
import type { ExecutorRecord } from "./executor-record.ts";

export type Placement =
  /** Use this one: the record itself, not wrapped in an object (this is decided for every job). */
  | ExecutorRecord
  /** Start one (after stopping `evict`); `fallback` takes the job if the start fails. */
  | { readonly start: true; readonly evict?: ExecutorRecord; readonly fallback?: ExecutorRecord }
  | { readonly wait: true };

/**
 * @example
 * const p = place(records, 4, "alice", false);
 * if ("wait" in p) wait() else if ("start" in p) startOne(p.evict) else hand(p)
 */
export function place(records: ReadonlySet<ExecutorRecord>, max: number, tenant: string, alone: boolean): Placement {
  const full = records.size >= max;
  if (!alone) {
    let best: ExecutorRecord | undefined;
    for (const e of records) if (e.tenant === tenant && e.usable && (best === undefined || e.count < best.count)) best = e;
    if (best !== undefined && (best.count === 0 || full)) return best;
    if (!full) return best === undefined ? { start: true } : { start: true, fallback: best };
  } else if (!full) return { start: true };
  let lru: ExecutorRecord | undefined;
  for (const e of records) if (e.count === 0 && (lru === undefined || e.idleSince < lru.idleSince)) lru = e;
  return lru === undefined ? { wait: true } : { start: true, evict: lru };
}

/**
 * The executor to drain for `starving` tenants (work, no executor): none while one drains or idles
 * already; else one of the tenant holding the most executors, the least loaded of them.
 *
 * @example
 * const victim = drainVictim(records, ["carol"]); if (victim) victim.draining = true;
 */
export function drainVictim(records: ReadonlySet<ExecutorRecord>, starving: readonly string[]): ExecutorRecord | undefined {
  for (const e of records) if (e.draining || e.count === 0) return undefined;
  const perTenant = new Map<string, number>();
  for (const e of records) perTenant.set(e.tenant, (perTenant.get(e.tenant) ?? 0) + 1);
  let victim: ExecutorRecord | undefined;
  for (const e of records) {
    if (e.alone || starving.includes(e.tenant)) continue;
    if (victim === undefined) victim = e;
    else {
      const [mine, theirs] = [perTenant.get(e.tenant) ?? 0, perTenant.get(victim.tenant) ?? 0];
      if (mine > theirs || (mine === theirs && e.count < victim.count)) victim = e;
    }
  }
  return victim;
}
