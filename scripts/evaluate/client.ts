/**
 * The evaluation's client of our REST API (runs under Bun: Node's fetch alone tops out near
 * 5,000 requests/s on this machine):
 * register a function, run many tasks (submitted 1,000 per /execute_batch, every result read back
 * through POST /wait with at most 1,000 ids per call) with a completion timeline, and run tasks one
 * at a time (execute, then GET /result?wait until terminal). Every call goes through the SDK's HTTP/1.1
 * client (`Http1Agent`, what `FaasClient` uses under Bun), not Bun's fetch, whose hand-off to its
 * HTTP thread and back added about 40-70 us to each lone task (2026-11-28).
 */
import { Http1Agent } from "../../src/client/http1-agent.ts";

const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
const http = new Http1Agent({ maxIdle: 64 });

export interface TaskResult {
  readonly status: string;
  readonly result: string | null;
}

/** A batch run: wall time from the first submit to the last result, results by id, completions over time. */
export interface BatchRun {
  readonly ms: number;
  readonly ids: readonly string[];
  readonly results: ReadonlyMap<string, TaskResult>;
  /** [ms since the start, tasks terminal] after each /wait answer. */
  readonly timeline: readonly (readonly [number, number])[];
}

export interface BatchOptions {
  /** Tasks per /execute_batch and ids per /wait (default 1,000). */
  readonly chunk?: number;
  /** execute_batch calls in flight at once (default 4); as many /wait calls, one per chunk. */
  readonly inflight?: number;
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Each /wait held until every task of its chunk is terminal (`return_when: "ALL_COMPLETED"`): one
   * answer per chunk, for throughput; without it each answers as soon as one is, for the timeline and `at`.
   */
  readonly allCompleted?: boolean;
  /** Called once, when this many tasks are terminal (e.g. to kill a worker mid-run). */
  readonly at?: { readonly done: number; readonly run: (elapsedMs: number) => void };
}

/**
 * POSTs JSON and returns the parsed answer; throws with the status and body on anything but 2xx.
 *
 * @example
 * const { function_id } = await postJson(`${url}/register_function`, { name: "noop", payload: "() => null" });
 */
export async function postJson(url: string, body: unknown, timeoutMs = 60_000): Promise<any> {
  const r = await http.send(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  if (r.status >= 300) throw new Error(`POST ${url}: ${r.status} ${r.text.slice(0, 300)}`);
  return JSON.parse(r.text);
}

/**
 * Registers `payload` (a function expression) and returns its id.
 *
 * @example
 * const fid = await registerFunction(url, "() => null", { max_attempts: 3 });
 */
export async function registerFunction(url: string, payload: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await postJson(`${url}/register_function`, { name: "evaluate", payload, ...extra });
  return r.function_id as string;
}

/**
 * Runs one task per payload: chunks submitted through /execute_batch (`inflight` at once), each
 * chunk's ids long-polled through POST /wait as soon as it is queued. Resolves when every task is
 * terminal.
 *
 * @example
 * const run = await runBatch(url, fid, Array.from({ length: 20000 }, () => "[]"));
 * console.log(20000 / (run.ms / 1000), "tasks/s");
 */
export async function runBatch(url: string, functionId: string, payloads: readonly string[], o: BatchOptions = {}): Promise<BatchRun> {
  const chunk = o.chunk ?? 1000;
  const inflight = o.inflight ?? 4;
  const results = new Map<string, TaskResult>();
  const timeline: [number, number][] = [];
  const ids: string[][] = [];
  const waits: Promise<void>[] = [];
  let fired = false;
  const t0 = performance.now();
  const waitChunk = async (chunkIds: readonly string[]): Promise<void> => {
    let pending = chunkIds;
    while (pending.length > 0) {
      const r = await postJson(`${url}/wait`, { task_ids: pending, timeout_s: 30, ...(o.allCompleted === true && { return_when: "ALL_COMPLETED" }) });
      if (r.unknown.length > 0) throw new Error(`/wait does not know ${r.unknown.length} tasks, e.g. ${r.unknown[0]}`);
      for (const t of r.results) results.set(t.task_id, { status: t.status, result: t.result });
      pending = r.pending;
      timeline.push([performance.now() - t0, results.size]);
      o.onProgress?.(results.size, payloads.length);
      if (o.at !== undefined && !fired && results.size >= o.at.done) {
        fired = true;
        o.at.run(performance.now() - t0);
      }
    }
  };
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < payloads.length) {
      const start = next;
      next += chunk;
      const r = await postJson(`${url}/execute_batch`, { function_id: functionId, payloads: payloads.slice(start, start + chunk) });
      ids[start / chunk] = r.task_ids;
      waits.push(waitChunk(r.task_ids));
    }
  };
  await Promise.all(Array.from({ length: inflight }, lane));
  await Promise.all(waits);
  return { ms: performance.now() - t0, ids: ids.flat(), results, timeline };
}

/**
 * Throws unless every task of a run COMPLETED (names the first that did not).
 *
 * @example
 * assertCompleted(await runBatch(url, fid, payloads));
 */
export function assertCompleted(run: BatchRun): void {
  for (const id of run.ids) {
    const r = run.results.get(id);
    if (r?.status !== "COMPLETED") throw new Error(`task ${id} ended ${r?.status ?? "unread"}: ${r?.result ?? ""}`);
  }
}

/**
 * Runs `n` tasks one at a time, each from `POST /execute_function?wait=10` (queued and awaited in one
 * call) to its terminal status (GET /result?wait again should the first wait run out), and returns
 * each one's latency in ms.
 *
 * @example
 * const lat = await oneAtATime(url, fid, 1000);
 */
export async function oneAtATime(url: string, functionId: string, n: number, onProgress?: (done: number, total: number) => void): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    let r = (await postJson(`${url}/execute_function?wait=10`, { function_id: functionId, payload: "[]" })) as { task_id: string; status: string; result: string | null };
    while (!TERMINAL.has(r.status)) {
      const res = await http.send(`${url}/result/${r.task_id}?wait=10`, { signal: AbortSignal.timeout(20_000) });
      if (res.status !== 200) throw new Error(`GET /result/${r.task_id}: ${res.status} ${res.text.slice(0, 300)}`);
      r = JSON.parse(res.text) as typeof r;
    }
    if (r.status !== "COMPLETED") throw new Error(`task ${r.task_id} ended ${r.status}: ${r.result}`);
    out.push(performance.now() - t0);
    if (i % 50 === 0) onProgress?.(i, n);
  }
  return out;
}
