/**
 * Messages between an executor pool and its executors (threads or child processes). A `run` carries a
 * batch of jobs; a `done` carries a batch of results. Function code travels once per executor: an
 * executor caches what it has compiled by function id. Start times do not travel as messages: the
 * executor writes them into a table of shared memory the pool reads (see start-table.ts).
 */
import type { ErrorInfo } from "../../domain/outcome.ts";

export interface ExecutorJob {
  /** Index of the job's slot in the executor's start-time table. */
  readonly slot: number;
  readonly fid: string;
  /** Present the first time this executor sees this function. */
  readonly code?: string;
  readonly args: string;
}

export type ToExecutor = { readonly t: "run"; readonly jobs: readonly ExecutorJob[] };

export type ExecutorResult =
  | { readonly slot: number; readonly k: "ok"; readonly v: string }
  | { readonly slot: number; readonly k: "threw"; readonly e: ErrorInfo }
  | { readonly slot: number; readonly k: "unserializable"; readonly m: string };

export type FromExecutor =
  | { readonly t: "done"; readonly results: readonly ExecutorResult[] }
  /** An error user code raised after its task had finished: logged, never attributed to another task. */
  | { readonly t: "stray"; readonly message: string };

/** In the start-time table: 0 = handed out, not started; > 0 = started at (ms since epoch); -1 = finished. */
export const SLOT_FINISHED = -1;
