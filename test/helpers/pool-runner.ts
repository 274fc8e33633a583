/**
 * Runs jobs on a real executor pool in its own Bun process and prints each outcome as a JSON line,
 * then `{"done":true,"size":N,"spawned":N}`. Needed because `bun test` terminates a Worker thread on an
 * uncaught error or unhandled rejection whatever handlers it installed, while a Bun process started
 * with `bun run` keeps it alive (as production does). With `"stay": true` it keeps running after the
 * outcomes (a test kills it), printing `{"pids":[...]}` lines for the executors' trees as they grow.
 *
 *   bun test/helpers/pool-runner.ts <thread|process|sandbox> '<jobs as JSON>' ['<options as JSON>']
 *   options: { executors?, memoryLimitBytes?, stay?: true, plainProcesses?: true }
 */
import { ExecutorPool, processHosts, type Isolation } from "../../src/adapters/executors/index.ts";
import type { Job } from "../../src/domain/ports.ts";

const [kind, jobsJson, optionsJson] = Bun.argv.slice(2);
const jobs = JSON.parse(jobsJson ?? "[]") as Job[];
const options = JSON.parse(optionsJson ?? "{}") as { executors?: number; memoryLimitBytes?: number; stay?: boolean; plainProcesses?: boolean };
const logger = { log: () => {} };
const memoryLimitBytes = options.memoryLimitBytes ?? 512 * 1024 * 1024;
// plainProcesses: process executors without a pid namespace (what runs where bwrap is missing).
const hosts = options.plainProcesses === true ? processHosts({ logger, memoryLimitBytes, pidNamespace: false }) : undefined;
const pool = new ExecutorPool({ executors: options.executors ?? 1, isolation: kind as Isolation, hosts, logger, memoryLimitBytes });
let left = jobs.length;
pool.onOutcomes((outcomes) => {
  for (const o of outcomes) console.log(JSON.stringify(o));
  left -= outcomes.length;
  if (left <= 0 && options.stay !== true) {
    console.log(JSON.stringify({ done: true, size: pool.size(), spawned: pool.spawned }));
    void pool.close().then(() => process.exit(0));
  }
});
pool.run(jobs);
if (options.stay === true) {
  let shown = "";
  setInterval(() => {
    const pids = JSON.stringify(pool.pids());
    if (pids !== shown) console.log(JSON.stringify({ pids: pool.pids() }));
    shown = pids;
  }, 20);
}
