import type { Connection } from "./connection.ts";

/**
 * Fair queueing of received messages: each peer has its own inbox and `take` serves peers
 * in turn, so a chatty peer cannot starve a quiet one (libzmq's fq). A peer that left keeps
 * its place until its already-received messages are taken. Taking from a peer whose reading
 * was paused (inbox at the receive high-water mark) lets it read again.
 */
export class FairQueue {
  private readonly readers: Connection[] = [];
  private cursor = 0;

  /** @param highWaterMark per-peer inbox size at which reading pauses; 0 = no limit */
  constructor(private readonly highWaterMark: number) {}

  /** Messages waiting, summed over peers. */
  get length(): number {
    let n = 0;
    for (const conn of this.readers) n += conn.inbox.length;
    return n;
  }

  /** Adds a peer that completed its handshake. */
  add(conn: Connection): void {
    this.readers.push(conn);
  }

  /** A peer disconnected: forget it now, or once its inbox is drained. */
  departed(conn: Connection): void {
    if (conn.inbox.length === 0) this.remove(conn);
  }

  /** Whether a peer's inbox has room below the high-water mark. */
  hasRoom(conn: Connection): boolean {
    return this.highWaterMark <= 0 || conn.inbox.length < this.highWaterMark;
  }

  /** Takes the next message, round-robin across peers; `null` when all inboxes are empty. */
  take(): { conn: Connection; frames: Buffer[] } | null {
    const n = this.readers.length;
    for (let k = 0; k < n; k++) {
      const index = (this.cursor + k) % n;
      const conn = this.readers[index] as Connection;
      const frames = conn.inbox.shift();
      if (frames === undefined) continue;
      this.cursor = index + 1;
      if (conn.phase === "closed") {
        if (conn.inbox.length === 0) this.remove(conn);
      } else if (conn.isReadingPaused && this.hasRoom(conn)) {
        conn.scheduleResume();
      }
      return { conn, frames };
    }
    return null;
  }

  private remove(conn: Connection): void {
    const index = this.readers.indexOf(conn);
    if (index < 0) return;
    this.readers.splice(index, 1);
    if (this.cursor > index) this.cursor--;
  }
}
