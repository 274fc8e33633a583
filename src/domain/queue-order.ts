/**
 * The order in which queued tasks are claimed, and how tenants share the dispatchers.
 *
 * Within a tenant: the most urgent first (priority 9 before 0), first-in first-out among equals, and a
 * waiting task rises one priority level per `agingMs` so none starves. Rising with age is continuous:
 * a task of priority p that became ready at t ranks by `t - p * agingMs` (lower first), which orders
 * tasks exactly as "p plus one level per agingMs waited" does at any moment, and never changes while
 * the task waits, so a queue can be kept sorted once.
 *
 * Across tenants: round-robin, so a tenant with 100,000 queued tasks holds back another tenant's single
 * task by at most one batch.
 *
 * @example
 * rank(5, 1_000, 30_000) < rank(5, 2_000, 30_000)  // FIFO among equals
 * rank(9, 60_000, 30_000) < rank(5, 0, 30_000)      // urgent later beats older less urgent...
 * rank(5, 0, 30_000) < rank(9, 130_000, 30_000)     // ...until the older one has waited long enough
 * shareOut(new Map([["a", 100], ["b", 1]]), 10)     // Map { a => 9, b => 1 }
 */

/** The claim order of a task (lower first): ready time less priority times the aging step. */
export function rank(priority: number, readyAt: number, agingMs: number): number {
  return readyAt - priority * agingMs;
}

/**
 * Splits `max` claims over tenants with work: round-robin, one at a time, never more than a tenant has
 * available. `available` maps tenant -> how many it can take now (queued, within its limits); the
 * iteration order is the round-robin order (callers rotate it between batches).
 */
export function shareOut(available: ReadonlyMap<string, number>, max: number): Map<string, number> {
  const out = new Map<string, number>();
  let left = max;
  let progress = true;
  while (left > 0 && progress) {
    progress = false;
    for (const [tenant, n] of available) {
      if (left === 0) break;
      const given = out.get(tenant) ?? 0;
      if (given >= n) continue;
      out.set(tenant, given + 1);
      left--;
      progress = true;
    }
  }
  return out;
}
