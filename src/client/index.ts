/**
 * The platform's TypeScript SDK: `FaasClient` and its error types. It talks HTTP only (global fetch)
 * and runs under Bun and Node 20; copy this folder or import it.
 *
 * @example
 * ```ts
 * import { FaasClient, TaskFailedError } from "./src/client/index.ts";
 * const faas = new FaasClient("http://127.0.0.1:8000");
 * const ids = await faas.executeBatch(await faas.register((x: number) => x * 2), [[1], [2], [3]]);
 * const outcomes = await faas.wait(ids); // Map id -> { status, result }
 * ```
 */
export { FaasClient, type ClientOptions, type RemoteFunction } from "./client.ts";
export { BatchSubmitError, FaasError, FaasNetworkError, TaskCancelledError, TaskFailedError, WaitTimeoutError, type RemoteError } from "./errors.ts";
export { outcomeValue } from "./outcome.ts";
export { serializeArgs } from "./serialize.ts";
export type { FetchLike } from "./transport.ts";
export type { FunctionInfo, Health, TaskOutcome, TaskResult, TaskStatus, WaitStatus } from "./types.ts";
