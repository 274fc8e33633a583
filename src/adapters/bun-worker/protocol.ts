/**
 * Messages between the thread pool and its executor threads. A `run` carries a batch of jobs; a
 * `done` carries a batch of results. Function code travels once per thread: a thread caches what it
 * has compiled by function id.
 */
import type { ErrorInfo } from "../../domain/outcome.ts";

export interface ThreadJob {
  /** Index of the job's slot in the thread's shared start-time table. */
  readonly slot: number;
  readonly fid: string;
  /** Present the first time this thread sees this function. */
  readonly code?: string;
  readonly args: string;
}

export type ToThread =
  | { readonly t: "init"; readonly startedAt: SharedArrayBuffer }
  | { readonly t: "run"; readonly jobs: readonly ThreadJob[] };

export type ThreadResult =
  | { readonly slot: number; readonly k: "ok"; readonly v: string }
  | { readonly slot: number; readonly k: "threw"; readonly e: ErrorInfo }
  | { readonly slot: number; readonly k: "unserializable"; readonly m: string };

export type FromThread = { readonly t: "done"; readonly results: readonly ThreadResult[] };

/** Marks a slot whose job has finished in the shared start-time table (0 = handed out, not started). */
export const SLOT_FINISHED = -1;
