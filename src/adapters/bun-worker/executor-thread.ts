/**
 * The code inside each executor thread. Runs every job of a `run` batch in order: a synchronous
 * function runs to completion before the next starts; an async one is awaited while the next starts.
 * Before calling user code it writes the start time into the shared table, so the pool can enforce
 * deadlines without a timer per job. Results go back in batches, at most one message per turn.
 */
import type { FromThread, ThreadJob, ThreadResult, ToThread } from "./protocol.ts";
import { SLOT_FINISHED } from "./protocol.ts";
import { compile, serialize, toErrorInfo } from "./run-user-function.ts";

declare const self: Worker;

const compiled = new Map<string, (...args: unknown[]) => unknown>();
let startedAt: Float64Array<ArrayBufferLike> = new Float64Array(0);
let pending: ThreadResult[] = [];
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  if (pending.length === 0) return;
  const msg: FromThread = { t: "done", results: pending };
  pending = [];
  self.postMessage(msg);
}

function settle(r: ThreadResult): void {
  startedAt[r.slot] = SLOT_FINISHED;
  pending.push(r);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

function functionFor(job: ThreadJob): (...args: unknown[]) => unknown {
  let fn = compiled.get(job.fid);
  if (fn === undefined) {
    if (job.code === undefined) throw new Error(`Executor thread has no code for function ${job.fid}`);
    fn = compile(job.code);
    compiled.set(job.fid, fn);
  }
  return fn;
}

function runJob(job: ThreadJob): void {
  const slot = job.slot;
  startedAt[slot] = Date.now();
  let value: unknown;
  try {
    const fn = functionFor(job);
    value = fn(...(JSON.parse(job.args) as unknown[]));
  } catch (e) {
    settle({ slot, k: "threw", e: toErrorInfo(e) });
    return;
  }
  if (value !== null && typeof value === "object" && typeof (value as PromiseLike<unknown>).then === "function") {
    (value as PromiseLike<unknown>).then(
      (v) => settle(serialize(slot, v)),
      (e) => settle({ slot, k: "threw", e: toErrorInfo(e) }),
    );
    return;
  }
  settle(serialize(slot, value));
}

self.onmessage = (event: MessageEvent<ToThread>) => {
  const msg = event.data;
  if (msg.t === "init") {
    startedAt = new Float64Array(msg.startedAt);
    return;
  }
  let last = Date.now();
  for (const job of msg.jobs) {
    runJob(job);
    const now = Date.now();
    if (now - last >= 5) {
      flush(); // long synchronous batches still report as they go
      last = now;
    }
  }
  flush();
};
