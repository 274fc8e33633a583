/**
 * Embedded-mode benchmark (not a test): no-op tasks/s through /execute_batch with every result read
 * back, and p50/p99 of one task at a time from execute to result (?wait). The server runs in its own
 * process; this client runs under Bun.
 *
 *   bun scripts/bench-embedded.ts [--tasks 10000] [--batch 1000] [--serial 2000] [--isolation thread|process|sandbox]
 */
import { flag } from "../src/app/config.ts";
import { postJson, readAll, serialLatency, waitAll } from "./bench-lib.ts";
import { killAll, spawnServer } from "./lib/processes.ts";

const argv = Bun.argv.slice(2);
const total = Number(flag(argv, "tasks") ?? 10_000);
const batch = Number(flag(argv, "batch") ?? 1000);
const serial = Number(flag(argv, "serial") ?? 2000);
const extra = flag(argv, "isolation") === undefined ? [] : ["--isolation", flag(argv, "isolation") as string];
const entry = flag(argv, "entry") ?? "start";
if (entry !== "start" && entry !== "api") throw new Error(`--entry must be start or api, got "${entry}"`);

const server = await spawnServer(entry, extra, {}); // info: its "listening" line says where it is
try {
  const { function_id } = await postJson(`${server.url}/register_function`, { name: "noop", payload: "() => null" });
  const round = async (readBack: "get" | "wait"): Promise<number> => {
    const t0 = performance.now();
    const chunks: Promise<{ task_ids: string[] }>[] = [];
    for (let sent = 0; sent < total; sent += batch) {
      const n = Math.min(batch, total - sent);
      chunks.push(postJson(`${server.url}/execute_batch`, { function_id, payloads: Array.from({ length: n }, () => "[]") }));
    }
    const ids = (await Promise.all(chunks)).flatMap((c) => c.task_ids);
    const results = readBack === "get" ? await readAll(server.url, ids, 64) : [...(await waitAll(server.url, ids)).values()];
    if (results.length !== total) throw new Error(`read back ${results.length} of ${total}`);
    const seconds = (performance.now() - t0) / 1000;
    const bad = results.filter((r) => r.status !== "COMPLETED").length;
    if (bad > 0) throw new Error(`${bad} tasks did not complete: ${JSON.stringify(results.find((r) => r.status !== "COMPLETED"))}`);
    return total / seconds;
  };
  await round("get"); // warm-up
  const viaGet = [await round("get"), await round("get"), await round("get")];
  const viaWait = [await round("wait"), await round("wait"), await round("wait")];
  const lat = await serialLatency(server.url, function_id, serial);
  console.log(`mode=embedded ${extra.join(" ")} tasks=${total} batch=${batch}`);
  const show = (rates: number[]): string => `${rates.map((r) => Math.round(r)).join(", ")} tasks/s (best ${Math.round(Math.max(...rates))})`;
  console.log(`throughput, results read by GET /result/{id}?wait (64 at a time): ${show(viaGet)}`);
  console.log(`throughput, results read by POST /wait (1,000 ids per call):   ${show(viaWait)}`);
  console.log(`one at a time (${serial}): p50 ${lat.p50.toFixed(3)} ms, p99 ${lat.p99.toFixed(3)} ms`);
} finally {
  await killAll();
}
