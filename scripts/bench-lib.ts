/**
 * Helpers shared by the benchmark scripts: time things and read many results back with bounded
 * concurrency. Processes are started with scripts/lib/processes.ts.
 */
import { Http1Agent } from "../src/client/http1-agent.ts";

const http = new Http1Agent({ maxIdle: 64 });
/** POSTs JSON through the SDK's HTTP/1.1 client (as the evaluation's client does); throws on anything but 2xx. */
export async function postJson(url: string, body: unknown): Promise<any> {
  const r = await http.send(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (r.status >= 300) throw new Error(`${url}: ${r.status} ${r.text}`);
  return JSON.parse(r.text);
}

/** Reads every task's result with long-polls, `concurrency` requests at a time. */
export async function readAll(url: string, ids: readonly string[], concurrency: number): Promise<any[]> {
  const out = new Array(ids.length);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < ids.length) {
      const i = next++;
      for (;;) {
        const r = (await (await fetch(`${url}/result/${ids[i]}?wait=30`)).json()) as any;
        if (r.status === "COMPLETED" || r.status === "FAILED") {
          out[i] = r;
          break;
        }
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  return out;
}

/**
 * Reads every task's result through POST /wait, `perCall` ids per request, `lanes` requests at a time,
 * each held until every task of its chunk is terminal (`return_when: "ALL_COMPLETED"`, as the
 * evaluation's throughput rounds read them: one answer per chunk instead of one per task that ends).
 */
export async function waitAll(url: string, ids: readonly string[], perCall = 1000, lanes = 4): Promise<Map<string, any>> {
  const done = new Map<string, any>();
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += perCall) chunks.push(ids.slice(i, i + perCall));
  async function lane(): Promise<void> {
    for (let chunk = chunks.pop(); chunk !== undefined; chunk = chunks.pop()) {
      let pending = chunk;
      while (pending.length > 0) {
        const r = await postJson(`${url}/wait`, { task_ids: pending, timeout_s: 30, return_when: "ALL_COMPLETED" });
        for (const t of r.results) done.set(t.task_id, t);
        if (r.unknown.length > 0) throw new Error(`unknown tasks: ${r.unknown.slice(0, 3).join(", ")}`);
        pending = r.pending;
      }
    }
  }
  await Promise.all(Array.from({ length: lanes }, lane));
  return done;
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** p50 and p99 in ms of `n` tasks run one at a time: execute, then GET /result?wait until terminal. */
export async function serialLatency(url: string, functionId: string, n: number): Promise<{ p50: number; p99: number }> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const { task_id } = await postJson(`${url}/execute_function`, { function_id: functionId, payload: "[]" });
    const r = (await (await fetch(`${url}/result/${task_id}?wait=10`)).json()) as any;
    if (r.status !== "COMPLETED") throw new Error(`task ${task_id} ended ${r.status}`);
    lat.push(performance.now() - t0);
  }
  lat.sort((a, b) => a - b);
  return { p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

/**
 * One no-op round: `total` tasks of `functionId` through /execute_batch in batches of `batch` (sent at
 * once), every result read back through POST /wait; throws unless all completed. Returns tasks/s.
 */
export async function noopRound(url: string, functionId: string, total: number, batch: number): Promise<number> {
  const t0 = performance.now();
  const chunks: Promise<{ task_ids: string[] }>[] = [];
  for (let sent = 0; sent < total; sent += batch) {
    const n = Math.min(batch, total - sent);
    chunks.push(postJson(`${url}/execute_batch`, { function_id: functionId, payloads: Array.from({ length: n }, () => "[]") }));
  }
  const ids = (await Promise.all(chunks)).flatMap((c) => c.task_ids);
  const results = [...(await waitAll(url, ids)).values()];
  const seconds = (performance.now() - t0) / 1000;
  if (results.length !== total) throw new Error(`read back ${results.length} of ${total}`);
  const bad = results.filter((r) => r.status !== "COMPLETED").length;
  if (bad > 0) throw new Error(`${bad} tasks did not complete`);
  return total / seconds;
}

/** Calls per command from `INFO commandstats` ("cmdstat_get:calls=3,usec=..."). */
export function commandStats(info: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1] as string, Number(m[2]));
  return out;
}

/** Commands run between two commandStats readings, most first. */
export function commandDelta(before: Map<string, number>, after: Map<string, number>): [string, number][] {
  const delta = [...after].map(([cmd, n]) => [cmd, n - (before.get(cmd) ?? 0)] as [string, number]).filter(([, n]) => n > 0);
  return delta.sort((a, b) => b[1] - a[1]);
}
