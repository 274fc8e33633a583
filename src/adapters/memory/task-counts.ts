/**
 * The in-memory store's counters for the dashboard: per tenant, tasks finished per second with their
 * latency histograms (activity.ts; seconds older than ACTIVITY_KEEP_MS are dropped), and per function,
 * tasks submitted and finished (function-stats.ts). The store calls `submitted` and `finished` where it
 * changes tasks.
 *
 * @example
 * const counts = new MemoryTaskCounts();
 * counts.submitted(task.functionId, 1);
 * counts.finished(doneTask, now);
 * counts.activity("alice", from, to); counts.functionCounts(["f-1"]);
 */
import { ACTIVITY_KEEP_MS, latencyBucket, sumSeconds, type SecondCounts } from "../../domain/activity.ts";
import { emptyFunctionCounts, type FunctionCounts } from "../../domain/function-stats.ts";
import type { Task } from "../../domain/task.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends Readonly<Record<number, number>> ? Record<number, number> : T[K] };

export class MemoryTaskCounts {
  /** tenant -> second -> counts, seconds in arrival order. */
  private readonly seconds = new Map<string, Map<number, Mutable<SecondCounts>>>();
  private readonly functions = new Map<string, Mutable<FunctionCounts>>();

  submitted(functionId: string, n: number): void {
    this.fn(functionId).submitted += n;
  }

  /** A task became terminal at `now`. */
  finished(t: Task, now: number): void {
    const ms = Math.max(0, now - t.createdAt);
    const f = this.fn(t.functionId);
    const s = this.second(t.tenant, Math.floor(now / 1000), now);
    if (t.status === "CANCELLED") {
      f.cancelled++;
      s.cancelled++;
      return;
    }
    if (t.status === "COMPLETED") {
      f.completed++;
      s.completed++;
    } else {
      f.failed++;
      s.failed++;
    }
    const b = latencyBucket(ms);
    f.latency[b] = (f.latency[b] ?? 0) + 1;
    s.latency[b] = (s.latency[b] ?? 0) + 1;
  }

  activity(tenant: string | undefined, fromSecond: number, toSecond: number): SecondCounts[] {
    const out: SecondCounts[] = [];
    for (const [name, byTenant] of this.seconds) {
      if (tenant !== undefined && name !== tenant) continue;
      for (const s of byTenant.values()) if (s.second >= fromSecond && s.second <= toSecond) out.push(s);
    }
    return sumSeconds([out]);
  }

  functionCounts(ids: readonly string[]): Map<string, FunctionCounts> {
    return new Map(ids.map((id) => [id, structuredClone(this.functions.get(id) ?? emptyFunctionCounts())]));
  }

  private fn(id: string): Mutable<FunctionCounts> {
    let f = this.functions.get(id);
    if (f === undefined) this.functions.set(id, (f = { ...emptyFunctionCounts(), latency: {} }));
    return f;
  }

  private second(tenant: string, second: number, now: number): Mutable<SecondCounts> {
    let byTenant = this.seconds.get(tenant);
    if (byTenant === undefined) this.seconds.set(tenant, (byTenant = new Map()));
    let s = byTenant.get(second);
    if (s !== undefined) return s;
    // A second begins: the seconds past keeping go (looked for once a second, not for every task).
    const oldest = Math.floor((now - ACTIVITY_KEEP_MS) / 1000);
    for (const sec of byTenant.keys()) {
      if (sec >= oldest) break;
      byTenant.delete(sec);
    }
    byTenant.set(second, (s = { second, completed: 0, failed: 0, cancelled: 0, latency: {} }));
    return s;
  }
}
