import { ProcessPool, ThreadPool } from "../../src/adapters/executors/index.ts";
import { describeExecutor } from "../contracts/executor.ts";

const quiet = { log: () => {} };

describeExecutor("threads", "thread", (o) => new ThreadPool({ ...o, logger: quiet }));
describeExecutor("processes", "process", (o) => new ProcessPool({ ...o, logger: quiet, memoryLimitBytes: 512 * 1024 * 1024 }));
