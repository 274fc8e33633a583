/**
 * Progress of the evaluation on stderr: a redrawn bar on a terminal (steps done of planned, elapsed
 * time, the current step and its own count), plain lines otherwise (one per step, so CI logs and
 * redirected output stay readable).
 */

/** Where progress goes: a terminal gets a bar, anything else plain lines. */
export interface ProgressSink {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

/**
 * A progress display over a planned number of steps.
 *
 * @example
 * const p = new Progress(3);
 * p.step("embedded/thread: throughput");
 * p.update(5000, 20000);
 * p.note("embedded/thread: 95,000 tasks/s");
 * p.finish();
 */
export class Progress {
  private done = 0;
  private label = "";
  private detail = "";
  private lastDraw = 0;
  private readonly started = performance.now();
  private readonly tty: boolean;

  constructor(
    private total: number,
    private readonly sink: ProgressSink = process.stderr,
  ) {
    this.tty = sink.isTTY === true;
  }

  /** Adds steps to the plan (a section learns how many it has once it starts). */
  plan(more: number): void {
    this.total += more;
  }

  /** Ends the current step (if any) and starts one called `label`. */
  step(label: string): void {
    if (this.label !== "") this.done++;
    this.label = label;
    this.detail = "";
    if (this.tty) this.draw(true);
    else this.sink.write(`[${this.done + 1}/${this.total} ${this.elapsed()}] ${label}\n`);
  }

  /** How far the current step is, e.g. tasks completed of submitted. Redrawn at most 10 times a second. */
  update(current: number, of: number): void {
    this.detail = `${current.toLocaleString("en-US")}/${of.toLocaleString("en-US")}`;
    if (this.tty) this.draw(false);
  }

  /** A line kept above the bar (a finished figure). */
  note(text: string): void {
    if (this.tty) this.sink.write("\r\x1b[K");
    this.sink.write(`  ${text}\n`);
    if (this.tty) this.draw(true);
  }

  /** Ends the last step and the display. */
  finish(): void {
    if (this.label !== "") this.done++;
    this.label = "";
    if (this.tty) this.sink.write("\r\x1b[K");
    this.sink.write(`evaluation finished: ${this.done} steps in ${this.elapsed()}\n`);
  }

  private elapsed(): string {
    const s = Math.round((performance.now() - this.started) / 1000);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  private draw(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 24;
    const filled = Math.min(width, Math.round((width * this.done) / Math.max(1, this.total)));
    const bar = `${"#".repeat(filled)}${"-".repeat(width - filled)}`;
    const line = `[${bar}] ${this.done}/${this.total} ${this.elapsed()} ${this.label}${this.detail === "" ? "" : ` (${this.detail})`}`;
    this.sink.write(`\r\x1b[K${line.slice(0, Math.max(20, (this.sink.columns || 120) - 1))}`);
  }
}
