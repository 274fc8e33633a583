/**
 * The worker directory in memory (embedded mode, tests): reports kept in the process until they expire.
 *
 * @example
 * const directory = new MemoryWorkerDirectory(clock);
 * await directory.publish(report, 6000);
 * await directory.list(); // [report] for 6 s
 */
import type { Clock } from "../../domain/ports.ts";
import type { DispatcherReport, WorkerDirectory } from "../../domain/worker-directory.ts";

export class MemoryWorkerDirectory implements WorkerDirectory {
  private readonly reports = new Map<string, { report: DispatcherReport; until: number }>();

  constructor(private readonly clock: Clock) {}

  async publish(report: DispatcherReport, ttlMs: number): Promise<void> {
    this.reports.set(report.id, { report, until: this.clock.now() + ttlMs });
  }

  async withdraw(dispatcherId: string): Promise<void> {
    this.reports.delete(dispatcherId);
  }

  async list(): Promise<DispatcherReport[]> {
    const now = this.clock.now();
    const out: DispatcherReport[] = [];
    for (const [id, r] of this.reports) {
      if (r.until <= now) this.reports.delete(id);
      else out.push(r.report);
    }
    return out;
  }
}
