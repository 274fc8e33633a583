/**
 * What runs inside every executor, thread or child process. Runs each job of a `run` batch in order:
 * a synchronous function runs to completion before the next starts; an async one is awaited while
 * the next starts. Before calling user code it writes the start time into the shared table, so the
 * pool enforces deadlines without a timer per job. Results go back in batches, at most one message
 * per turn. Errors user code raises later (a throw in a setTimeout, a rejection nobody awaited) fail
 * the task they came from if it is still running; the executor itself keeps serving.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { ExecutorJob, ExecutorResult, FromExecutor, ToExecutor } from "./protocol.ts";
import { SLOT_FINISHED } from "./protocol.ts";
import { compile, serialize, toErrorInfo } from "./run-user-function.ts";
import { FifoQueue } from "../../lib/fifo-queue.ts";
import { TurnBatcher } from "../../lib/turn-batcher.ts";

interface Running {
  readonly slot: number;
  readonly run: number;
}

export interface ExecutorIo {
  post(msg: FromExecutor): void;
  onMessage(handler: (msg: ToExecutor) => void): void;
}

/**
 * Starts serving jobs over `io`, writing start times into `startedAt` (one entry per job slot). At most
 * `concurrency` jobs run at once; the pool may hand over more (up to one per slot), and those wait here
 * and start the moment a running one settles, without a round trip to the pool.
 */
export function serveJobs(io: ExecutorIo, startedAt: Float64Array<ArrayBufferLike>, concurrency: number): void {
  const compiled = new Map<string, (...args: unknown[]) => unknown>();
  const context = new AsyncLocalStorage<Running>();
  /** slot -> run number of the job now running in it (absent once settled). */
  const running = new Map<number, number>();
  let runs = 0;
  let lastStarted: Running | undefined;
  const results = new TurnBatcher<ExecutorResult>((batch) => io.post({ t: "done", results: batch }));
  /** Jobs handed over and not started yet (they start in order as running ones settle). */
  const waiting = new FifoQueue<ExecutorJob>();
  let pumping = false;

  const settle = (who: Running, r: ExecutorResult): void => {
    if (running.get(who.slot) !== who.run) return; // already settled (a late error after the result)
    running.delete(who.slot);
    startedAt[who.slot] = SLOT_FINISHED;
    results.add(r);
    if (waiting.length > 0) pump();
  };

  const lateError = (error: unknown, kind: string): void => {
    const who = context.getStore() ?? (lastStarted !== undefined && running.get(lastStarted.slot) === lastStarted.run ? lastStarted : undefined);
    if (who !== undefined && running.get(who.slot) === who.run) {
      settle(who, { slot: who.slot, k: "threw", e: toErrorInfo(error) });
    } else {
      io.post({ t: "stray", message: `${kind} after its task finished: ${toErrorInfo(error).message}` });
    }
  };
  process.on("uncaughtException", (e) => lateError(e, "uncaught exception"));
  process.on("unhandledRejection", (e) => lateError(e, "unhandled rejection"));

  const functionFor = (job: ExecutorJob): ((...args: unknown[]) => unknown) => {
    let fn = compiled.get(job.fid);
    if (fn === undefined) {
      if (job.code === undefined) throw new Error(`Executor has no code for function ${job.fid}`);
      fn = compile(job.code);
      compiled.set(job.fid, fn);
    }
    return fn;
  };

  const call = (who: Running, job: ExecutorJob): void => {
    let value: unknown;
    try {
      value = functionFor(job)(...(JSON.parse(job.args) as unknown[]));
    } catch (e) {
      settle(who, { slot: who.slot, k: "threw", e: toErrorInfo(e) });
      return;
    }
    if (value !== null && typeof value === "object" && typeof (value as PromiseLike<unknown>).then === "function") {
      (value as PromiseLike<unknown>).then(
        (v) => settle(who, serialize(who.slot, v)),
        (e) => settle(who, { slot: who.slot, k: "threw", e: toErrorInfo(e) }),
      );
      return;
    }
    settle(who, serialize(who.slot, value));
  };

  /** Starts waiting jobs while fewer than `concurrency` run; a synchronous job settles before the next. */
  const pump = (): void => {
    if (pumping) return; // a job settling synchronously inside the loop below: the loop carries on
    pumping = true;
    let lastFlush = Date.now();
    try {
      while (running.size < concurrency && waiting.length > 0) {
        const job = waiting.shift() as ExecutorJob;
        const who: Running = { slot: job.slot, run: ++runs };
        running.set(who.slot, who.run);
        lastStarted = who;
        startedAt[who.slot] = Date.now();
        context.run(who, call, who, job);
        const now = Date.now();
        if (now - lastFlush >= 5) {
          results.flush(); // long synchronous batches still report as they go
          lastFlush = now;
        }
      }
    } finally {
      pumping = false;
    }
  };

  io.onMessage((msg) => {
    for (const job of msg.jobs) waiting.push(job);
    pump();
    results.flush();
  });
}
