/**
 * The pool's record of one executor: its tenant, the jobs it holds by slot with their tickets, which
 * functions it has the code of, the start model (start-model.ts) and what the pool has seen of it
 * (ready, last heard, stalled). Everything here is the host's own; the ticket table is read only to
 * take back jobs the executor has not started.
 */
import type { Job } from "../../domain/ports.ts";
import type { ExecutorHost } from "./executor-host.ts";
import type { ExecutorJob } from "./protocol.ts";
import { TICKET_RECALLED } from "./protocol.ts";
import { StartModel, type Modelled } from "./start-model.ts";
import type { Pending } from "./tenant-queues.ts";

export interface Held extends Modelled {
  readonly job: Job;
  readonly slot: number;
  readonly seq: number;
  readonly alone: boolean;
  readonly bounces: number;
  /** Its executor was silent while it and others ran: time it was charged may be another job's. */
  blurred: boolean;
  /** When it was handed to the executor (the prefetch counts quick jobs, domain/prefetch.ts). */
  readonly handedAt: number;
}

/**
 * @example
 * const e = new ExecutorRecord(1, "alice", 128, 64, Date.now());
 * e.host = hosts.start(spec, events, "e1");
 * const batch = [e.assign(pending, Date.now())];
 */
export class ExecutorRecord {
  host!: ExecutorHost;
  readonly model: StartModel<Held>;
  /** Function ids whose code this executor was sent. */
  readonly known = new Set<string>();
  private readonly held: (Held | undefined)[];
  private readonly free: number[];
  private seq = 0;
  count = 0;
  ready = false;
  alive = true;
  /** Takes no new jobs: another tenant waits for its place. */
  draining = false;
  /** Silent past the stall limit: takes no new jobs until it speaks again. */
  stalled = false;
  /** Runs one quarantined job and nothing else. */
  alone = false;
  lastHeard: number;
  idleSince: number;
  /** Where its jobs ran, as the pool names it in their attempt records (set by the pool). */
  place: string | undefined;

  constructor(
    readonly id: number,
    readonly tenant: string,
    slots: number,
    concurrency: number,
    readonly spawnedAt: number,
    onStart: (held: Held) => void = () => {},
  ) {
    this.held = new Array(slots).fill(undefined);
    this.free = Array.from({ length: slots }, (_, i) => slots - 1 - i);
    this.model = new StartModel(concurrency, onStart);
    this.lastHeard = spawnedAt;
    this.idleSince = spawnedAt;
  }

  get freeSlots(): number {
    return this.free.length;
  }

  /** Takes new jobs of its tenant. */
  get usable(): boolean {
    return this.alive && !this.draining && !this.stalled && !this.alone && this.free.length > 0;
  }

  /** Gives `p` a slot and a ticket; returns what to post (code only the first time per function). */
  assign(p: Pending, now: number): ExecutorJob {
    const slot = this.free.pop() as number;
    const seq = ++this.seq;
    Atomics.store(this.host.tickets, slot, seq);
    const h: Held = { job: p.job, slot, seq, alone: p.alone, bounces: p.bounces, blurred: false, startedAt: undefined, phase: "waiting", handedAt: now };
    this.held[slot] = h;
    if (this.count++ === 0) this.lastHeard = now; // silence counts from the first job, not from idle time
    this.model.handOut(h, now);
    if (this.known.has(p.job.functionId)) return { slot, seq, fid: p.job.functionId, args: p.job.args };
    this.known.add(p.job.functionId);
    return { slot, seq, fid: p.job.functionId, code: p.job.code, args: p.job.args };
  }

  /** The job in `slot` when its ticket is `seq`. */
  at(slot: number, seq: number): Held | undefined {
    const h = this.held[slot];
    return h !== undefined && h.seq === seq ? h : undefined;
  }

  find(taskId: string): Held | undefined {
    return this.held.find((h) => h?.job.taskId === taskId);
  }

  /** Held jobs in the order they were handed over. */
  jobs(): Held[] {
    return this.held.filter((h): h is Held => h !== undefined).sort((a, b) => a.seq - b.seq);
  }

  release(h: Held, now: number): void {
    if (this.held[h.slot] !== h) return;
    this.held[h.slot] = undefined;
    this.free.push(h.slot);
    this.model.remove(h, now);
    if (--this.count === 0) {
      this.idleSince = now;
      this.alone = false;
    }
  }

  /** The running job that started last (the one a memory overrun is charged to). */
  newestRunning(): Held | undefined {
    let newest: Held | undefined;
    for (const h of this.model.runningJobs()) {
      if (newest === undefined || (h.startedAt ?? 0) > (newest.startedAt ?? 0) || ((h.startedAt ?? 0) === (newest.startedAt ?? 0) && h.seq > newest.seq)) newest = h;
    }
    return newest;
  }

  /** Takes `h` back if the executor has not started it; after this it never will. */
  recall(h: Held): boolean {
    return Atomics.compareExchange(this.host.tickets, h.slot, h.seq, TICKET_RECALLED) === h.seq;
  }

  /** What the executor wrote: it started `h` (untrusted; used only to widen what counts as started). */
  startedPerTable(h: Held): boolean {
    return Atomics.load(this.host.tickets, h.slot) === -h.seq;
  }
}
