/**
 * The machine's pace when the evaluation starts and ends, for the report: the same figures taken on
 * the same machine an hour apart moved by a third (2026-11-26: redis-local 34,551 tasks/s at 19:46
 * UTC, 21,616 at 20:23, nothing else running), and the runtime figures underneath moved with them (a
 * Worker round trip 10 us, then 28 us). Three probes, each a median of many short samples:
 *
 * - a fixed busy loop on this thread (ms): the CPU's speed as this process gets it;
 * - a message to a Bun Worker thread and back (us), one every millisecond: waking a sleeping thread,
 *   which an executor hand-over costs;
 * - a few bytes to a TCP echo server in another process and back over loopback (us), one every
 *   millisecond: waking a sleeping process, which every hop between the API, Redis and a dispatcher
 *   costs.
 */
import { median } from "./stats.ts";

export interface Pace {
  /** Median time of a fixed busy loop (BUSY_ITERATIONS). */
  readonly busyLoopMs: number;
  /** Median round trip of a message to a Worker thread and back. */
  readonly threadRoundTripUs: number;
  /** Median round trip of a few bytes to another process over loopback TCP. */
  readonly processRoundTripUs: number;
}

export const BUSY_ITERATIONS = 5_000_000;

/** Samples each probe takes by default (about a second in all). */
const SAMPLES = 300;

function busyLoop(): number {
  let x = 0;
  for (let i = 0; i < BUSY_ITERATIONS; i++) x = (x * 31 + i) % 1_000_003;
  return x;
}

const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

/** Median of `n` timed runs of `once` (microseconds), each after a millisecond's pause. */
async function timed(n: number, once: () => Promise<unknown>): Promise<number> {
  const us: number[] = [];
  for (let i = 0; i < n; i++) {
    await pause();
    const t0 = performance.now();
    await once();
    us.push((performance.now() - t0) * 1000);
  }
  return median(us);
}

async function threadRoundTrip(n: number): Promise<number> {
  const worker = new Worker(URL.createObjectURL(new Blob(["self.onmessage = (e) => self.postMessage(e.data);"], { type: "application/javascript" })));
  try {
    let answered: (() => void) | undefined;
    worker.onmessage = () => answered?.();
    const once = (): Promise<void> => new Promise((resolve) => ((answered = resolve), worker.postMessage("ping")));
    await once(); // started
    return await timed(n, once);
  } finally {
    worker.terminate();
  }
}

const ECHO_SERVER = `
const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data(s, d) { s.write(d); } } });
console.log(server.port);
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

async function processRoundTrip(n: number): Promise<number> {
  const echo = Bun.spawn([process.execPath, "-e", ECHO_SERVER], { stdin: "pipe", stdout: "pipe", stderr: "ignore" });
  try {
    const reader = echo.stdout.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the echo server for the pace probe exited before saying its port");
      text += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    let answered: (() => void) | undefined;
    const socket = await Bun.connect({ hostname: "127.0.0.1", port: Number(text.trim()), socket: { data: () => answered?.() } });
    try {
      const once = (): Promise<void> => new Promise((resolve) => ((answered = resolve), socket.write("ping")));
      await once();
      return await timed(n, once);
    } finally {
      socket.end();
    }
  } finally {
    echo.stdin.end();
    echo.kill();
    await echo.exited;
  }
}

/**
 * Measures the three probes (`samples` round trips each, a tenth as many busy loops).
 *
 * @example
 * const before = await measurePace(); // { busyLoopMs: 9.8, threadRoundTripUs: 11.2, processRoundTripUs: 24.5 }
 */
export async function measurePace(samples = SAMPLES): Promise<Pace> {
  const loops: number[] = [];
  for (let i = 0; i < Math.max(3, Math.round(samples / 10)); i++) {
    const t0 = performance.now();
    busyLoop();
    loops.push(performance.now() - t0);
  }
  return { busyLoopMs: median(loops), threadRoundTripUs: await threadRoundTrip(samples), processRoundTripUs: await processRoundTrip(samples) };
}
