/**
 * Messages between an executor pool and its executors (threads, child processes, sandboxes). A `run`
 * carries a batch of jobs; a `done` carries a batch of results. Function code travels once per
 * executor: an executor keeps the code it was sent by function id.
 *
 * Nothing an executor sends or writes decides a deadline or a memory cap: the pool keeps its own
 * records (see start-model.ts). The one table both sides write is the ticket table: the pool writes a
 * job's ticket (`seq`) into its slot when it hands the job over, and 0 when it takes the job back
 * (recall); the executor swaps `seq` for `-seq` the moment it starts the job, and skips a job whose
 * ticket is no longer `seq`. Whoever swaps first wins, so a recalled job never starts late.
 *
 * Messages cross as JSON text both ways, to threads (postMessage) and to child processes (Bun's IPC):
 * a string is copied as it is, where Bun's structured serialization of the same objects cost a child
 * process executor about 30% of its no-op throughput (scripts/bench-executors.ts, 2026-11-27: sandbox
 * pool 287,000-297,000 jobs/s with objects, 415,000-433,000 with text). An executor writes and reads
 * them with the JSON functions it took before any user code ran.
 */
import type { ErrorInfo } from "../../domain/outcome.ts";

export interface ExecutorJob {
  /** Index of the job's slot (and of its ticket). */
  readonly slot: number;
  /** The job's ticket: unique per executor, > 0. Results carry it back. */
  readonly seq: number;
  readonly fid: string;
  /** Present the first time this executor is sent this function. */
  readonly code?: string;
  readonly args: string;
}

export type ToExecutor = { readonly t: "run"; readonly jobs: readonly ExecutorJob[] };

export type ExecutorResult =
  | { readonly slot: number; readonly seq: number; readonly k: "ok"; readonly v: string }
  | { readonly slot: number; readonly seq: number; readonly k: "threw"; readonly e: ErrorInfo }
  | { readonly slot: number; readonly seq: number; readonly k: "unserializable"; readonly m: string }
  /** The result's JSON text (or the error's text) was `bytes` long, over the limit: it was not sent. */
  | { readonly slot: number; readonly seq: number; readonly k: "too-large"; readonly bytes: number };

export type FromExecutor =
  /** Sent once, before any job runs: the pool starts counting deadlines from here. */
  | { readonly t: "ready"; readonly note?: string }
  /** Sent every `beatMs` while jobs are held: silence means a blocked event loop (a stall). */
  | { readonly t: "beat" }
  | { readonly t: "done"; readonly results: readonly ExecutorResult[] }
  /** An error user code raised after its task had finished: logged, never attributed to another task. */
  | { readonly t: "stray"; readonly message: string };

/** What an executor is started with. */
export interface ExecutorSpec {
  /** Jobs it holds at once (ticket table size). */
  readonly slots: number;
  /** Jobs it runs at once; the others wait inside it. */
  readonly concurrency: number;
  readonly beatMs: number;
  /** Results (and errors) whose JSON text is longer are not sent: a `too-large` result instead. */
  readonly maxResultBytes: number;
}

/** A ticket the pool took back: the executor must not start that job. */
export const TICKET_RECALLED = 0;

/** A message sent as JSON text, parsed; anything else as it came (the pool's check refuses it). */
export function fromText(data: unknown): unknown {
  if (typeof data !== "string") return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}
