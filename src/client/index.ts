/**
 * The platform's TypeScript SDK (`bunfaas/client`): `FaasClient`, task handles and the error types.
 * It talks HTTP only (its own HTTP/1.1 client under Bun for `http://` servers, global fetch
 * otherwise: http1-agent.ts), imports nothing but its own files, and runs under Node 20+ and Bun; `npm run build` turns it into plain ESM with types in dist/client/.
 *
 * @example
 * ```ts
 * import { FaasClient } from "bunfaas/client";
 * const faas = new FaasClient("http://127.0.0.1:8000");
 * const double = (x: number) => x * 2;
 * for await (const y of faas.map(double, [[1], [2], [3]])) console.log(y); // 2, 4, 6
 * const h = await faas.submit(double, [21]);
 * console.log(h.taskId, await h.result({ signal: AbortSignal.timeout(10_000) })); // "...", 42
 * ```
 */
export { AbortError } from "./abort.ts";
export { FaasClient, type CallOptions, type ClientOptions, type GraphTask, type OnceOptions, type RegisterOptions, type RemoteFunction, type SubmitOptions } from "./client.ts";
export type { RetryPolicy, TaskOptions } from "./task-options.ts";
export { BatchSubmitError, FaasError, FaasNetworkError, TaskCancelledError, TaskFailedError, WaitTimeoutError, type RemoteError } from "./errors.ts";
export { TaskHandle, type HandleWaitOptions } from "./handle.ts";
export { outcomeValue } from "./outcome.ts";
export { FaasOperations, type TaskQuery } from "./operations.ts";
export type { AttemptInfo, DispatcherInfo, TaskDetail, TaskListItem, TaskPage, WorkerInfo } from "./operations-types.ts";
export { serializeArgs } from "./serialize.ts";
export type { ScheduleInfo, ScheduleTaskOptions, ScheduleTiming } from "./schedules.ts";
export type { FetchLike } from "./transport.ts";
export type { FunctionInfo, Health, TaskOutcome, TaskResult, TaskStatus, WaitStatus } from "./types.ts";
