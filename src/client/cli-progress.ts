/**
 * Progress of many tasks on stderr while `faas batch --wait` or `faas wait` runs: a bar redrawn in
 * place (only on a terminal, at most every 100 ms), and a summary line at the end.
 */
import type { WaitStatus } from "./types.ts";

/** How many tasks ended which way; `pending` are those not terminal (yet, or at the timeout). */
export interface Tally {
  done: number;
  failed: number;
  cancelled: number;
  unknown: number;
  pending: number;
}

const REDRAW_MS = 100;
const BAR_WIDTH = 30;

/**
 * Counts outcomes as they arrive and draws the bar.
 *
 * @example
 * ```ts
 * const p = new WaitProgress(ids.length, { write: io.err, tty: true });
 * await client.wait(ids, { onOutcome: (_id, o) => p.record(o.status) });
 * p.finish();
 * io.err(`faas: ${p.summary()}\n`); // "faas: 98 done, 2 failed, 0 pending"
 * ```
 */
export class WaitProgress {
  private readonly tally: Tally;
  private drawnAt = -Infinity;
  private drawn = false;

  constructor(
    private readonly total: number,
    private readonly o: { write: (text: string) => void; tty: boolean; now?: () => number },
  ) {
    this.tally = { done: 0, failed: 0, cancelled: 0, unknown: 0, pending: total };
    this.draw(true);
  }

  /** Counts one task's final status (PENDING: still running at the timeout, counted as pending). */
  record(status: WaitStatus): void {
    if (status === "PENDING") return;
    this.tally.pending--;
    if (status === "COMPLETED") this.tally.done++;
    else if (status === "FAILED") this.tally.failed++;
    else if (status === "CANCELLED") this.tally.cancelled++;
    else this.tally.unknown++;
    this.draw(this.tally.pending === 0);
  }

  /** Clears the bar, if one was drawn, and returns the counts. */
  finish(): Tally {
    if (this.drawn) this.o.write("\r\x1b[K");
    this.drawn = false;
    return { ...this.tally };
  }

  /** "N done, N failed, N pending", plus cancelled and unknown when there are any. */
  summary(): string {
    const t = this.tally;
    const extra = [t.cancelled > 0 ? `, ${t.cancelled} cancelled` : "", t.unknown > 0 ? `, ${t.unknown} unknown` : ""].join("");
    return `${t.done} done, ${t.failed} failed${extra}, ${t.pending} pending`;
  }

  private draw(force: boolean): void {
    if (!this.o.tty) return;
    const now = (this.o.now ?? Date.now)();
    if (!force && now - this.drawnAt < REDRAW_MS) return;
    this.drawnAt = now;
    this.drawn = true;
    const settled = this.total - this.tally.pending;
    const filled = this.total === 0 ? BAR_WIDTH : Math.floor((settled / this.total) * BAR_WIDTH);
    const bar = `${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}`;
    this.o.write(`\r[${bar}] ${settled}/${this.total}  ${this.tally.done} done, ${this.tally.failed} failed\x1b[K`);
  }
}
