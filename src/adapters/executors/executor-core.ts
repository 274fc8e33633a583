/**
 * What runs inside every executor (thread, child process or sandbox). Runs each job of a `run` batch
 * in order: a synchronous function runs to completion before the next starts; an async one is awaited
 * while the next starts. A job starts only if its ticket is still the one the pool wrote (the pool may
 * have recalled it to run elsewhere, see protocol.ts). Results go back in batches, at most one message
 * per turn; while it holds jobs the executor also sends a heartbeat every `beatMs`, so the pool sees a
 * blocked event loop. Errors user code raises later (a throw in a setTimeout, a rejection nobody
 * awaited) fail the task they came from if it is still running; the executor itself keeps serving.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { ExecutorJob, ExecutorResult, ExecutorSpec, FromExecutor, ToExecutor } from "./protocol.ts";
import { compile, serialize, thrownResult, toErrorInfo } from "./run-user-function.ts";
import { FifoQueue } from "../../lib/fifo-queue.ts";
import { TurnBatcher } from "../../lib/turn-batcher.ts";

interface Running {
  readonly slot: number;
  readonly seq: number;
}

export interface ExecutorIo {
  post(msg: FromExecutor): void;
  onMessage(handler: (msg: ToExecutor) => void): void;
}

/**
 * Starts serving jobs over `io`. At most `spec.concurrency` jobs run at once; the pool may hand over
 * more (up to one per slot), and those wait here and start the moment a running one settles, without
 * a round trip to the pool. `note` goes back in the `ready` message (for the pool's log).
 *
 * @example
 * serveJobs({ post: (m) => process.send!(m), onMessage: (h) => process.on("message", h) }, tickets, { concurrency: 64, beatMs: 25, maxResultBytes: 16 << 20 });
 */
export function serveJobs(io: ExecutorIo, tickets: Int32Array<ArrayBufferLike>, spec: Omit<ExecutorSpec, "slots">, note?: string): void {
  const sources = new Map<string, string>();
  const compiled = new Map<string, (...args: unknown[]) => unknown>();
  const context = new AsyncLocalStorage<Running>();
  /** slot -> ticket of the job now running in it (absent once settled). */
  const running = new Map<number, number>();
  let lastStarted: Running | undefined;
  let lastPost = Date.now();
  const post = (msg: FromExecutor): void => {
    lastPost = Date.now();
    io.post(msg);
  };
  const results = new TurnBatcher<ExecutorResult>((batch) => post({ t: "done", results: batch }));
  /** Jobs handed over and not started yet (they start in order as running ones settle). */
  const waiting = new FifoQueue<ExecutorJob>();
  let pumping = false;
  let beat: ReturnType<typeof setInterval> | undefined;

  /** Heartbeats run while jobs are held, and stop when none are. */
  const beatWhileBusy = (): void => {
    const busy = running.size > 0 || waiting.length > 0;
    if (busy && beat === undefined) beat = setInterval(() => post({ t: "beat" }), spec.beatMs);
    else if (!busy && beat !== undefined) {
      clearInterval(beat);
      beat = undefined;
    }
  };

  /** Handling a message from the pool: what settles now goes out with the flush at its end. */
  let handling = false;

  const settle = (who: Running, r: ExecutorResult): void => {
    if (running.get(who.slot) !== who.seq) return; // already settled (a late error after the result)
    running.delete(who.slot);
    if (handling) results.addBeforeFlush(r);
    else results.add(r);
    if (waiting.length > 0) pump();
    beatWhileBusy();
  };

  const lateError = (error: unknown, kind: string): void => {
    const who = context.getStore() ?? (lastStarted !== undefined && running.get(lastStarted.slot) === lastStarted.seq ? lastStarted : undefined);
    if (who !== undefined && running.get(who.slot) === who.seq) {
      settle(who, thrownResult(who.slot, who.seq, error, spec.maxResultBytes));
    } else {
      post({ t: "stray", message: `${kind} after its task finished: ${toErrorInfo(error).message.slice(0, 2000)}` });
    }
  };
  process.on("uncaughtException", (e) => lateError(e, "uncaught exception"));
  process.on("unhandledRejection", (e) => lateError(e, "unhandled rejection"));

  const functionFor = (fid: string): ((...args: unknown[]) => unknown) => {
    let fn = compiled.get(fid);
    if (fn === undefined) {
      const code = sources.get(fid);
      if (code === undefined) throw new Error(`Executor has no code for function ${fid}`);
      fn = compile(code, fid);
      compiled.set(fid, fn);
    }
    return fn;
  };

  const call = (who: Running, job: ExecutorJob): void => {
    let value: unknown;
    try {
      value = functionFor(job.fid)(...(JSON.parse(job.args) as unknown[]));
    } catch (e) {
      settle(who, thrownResult(who.slot, who.seq, e, spec.maxResultBytes));
      return;
    }
    if (value !== null && typeof value === "object" && typeof (value as PromiseLike<unknown>).then === "function") {
      (value as PromiseLike<unknown>).then(
        (v) => settle(who, serialize(who.slot, who.seq, v, spec.maxResultBytes)),
        (e) => settle(who, thrownResult(who.slot, who.seq, e, spec.maxResultBytes)),
      );
      return;
    }
    settle(who, serialize(who.slot, who.seq, value, spec.maxResultBytes));
  };

  /** Starts waiting jobs while fewer than `concurrency` run; a synchronous job settles before the next. */
  const pump = (): void => {
    if (pumping) return; // a job settling synchronously inside the loop below: the loop carries on
    pumping = true;
    let lastFlush = Date.now();
    try {
      while (running.size < spec.concurrency && waiting.length > 0) {
        const job = waiting.shift() as ExecutorJob;
        // Start only a job still ours: the pool zeroes the ticket of a job it took back.
        if (Atomics.compareExchange(tickets, job.slot, job.seq, -job.seq) !== job.seq) continue;
        const who: Running = { slot: job.slot, seq: job.seq };
        running.set(who.slot, who.seq);
        lastStarted = who;
        context.run(who, call, who, job);
        const now = Date.now();
        if (now - lastFlush >= 5) {
          results.flush(); // long synchronous batches still report as they go
          if (now - lastPost >= spec.beatMs) post({ t: "beat" });
          lastFlush = now;
        }
      }
    } finally {
      pumping = false;
    }
  };

  io.post({ t: "ready", ...(note === undefined ? {} : { note }) });
  io.onMessage((msg) => {
    for (const job of msg.jobs) {
      if (job.code !== undefined) sources.set(job.fid, job.code);
      waiting.push(job);
    }
    handling = true;
    try {
      pump();
    } finally {
      handling = false;
      results.flush(); // whatever happened, nothing added while handling waits for a turn
    }
    beatWhileBusy();
  });
}
