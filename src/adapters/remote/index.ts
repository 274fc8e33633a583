/**
 * Pull and push modes: the dispatcher's RemoteExecutor (a ZMTP ROUTER) and the WorkerAgent that runs
 * in each `bun run worker` process (a ZMTP DEALER), speaking the JSON protocol of protocol.ts.
 */
export { RemoteExecutor, type RemoteExecutorOptions } from "./remote-executor.ts";
export { WorkerAgent, type WorkerAgentOptions } from "./worker-agent.ts";
export { PROTOCOL_VERSION, decodeFromWorker, decodeToWorker, encode, type FromWorker, type ToWorker } from "./protocol.ts";
