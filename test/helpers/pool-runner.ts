/**
 * Runs jobs on a real executor pool in its own Bun process and prints each outcome as a JSON line,
 * then `{"done":true,"size":N,"spawned":N}`. Needed because `bun test` terminates a Worker thread on an
 * uncaught error or unhandled rejection whatever handlers it installed, while a Bun process started
 * with `bun run` keeps it alive (as production does).
 *
 *   bun test/helpers/pool-runner.ts <thread|process> '<jobs as JSON>'
 */
import { ProcessPool, ThreadPool } from "../../src/adapters/executors/index.ts";
import type { Job } from "../../src/domain/ports.ts";

const [kind, jobsJson] = Bun.argv.slice(2);
const jobs = JSON.parse(jobsJson ?? "[]") as Job[];
const logger = { log: () => {} };
const pool = kind === "process" ? new ProcessPool({ executors: 1, logger, memoryLimitBytes: 512 * 1024 * 1024 }) : new ThreadPool({ executors: 1, logger });
let left = jobs.length;
pool.onOutcomes((outcomes) => {
  for (const o of outcomes) console.log(JSON.stringify(o));
  left -= outcomes.length;
  if (left <= 0) {
    console.log(JSON.stringify({ done: true, size: pool.size(), spawned: pool.spawned }));
    void pool.close().then(() => process.exit(0));
  }
});
pool.run(jobs);
