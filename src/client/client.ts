/**
 * `FaasClient`: the platform's REST contract as typed methods. It talks HTTP only (global `fetch`,
 * Bun or Node 20) and imports nothing from the server's code.
 */
import { chunk, mapBounded, PartialFailure } from "./chunks.ts";
import { BatchSubmitError, WaitTimeoutError } from "./errors.ts";
import { outcomeValue } from "./outcome.ts";
import { functionSource, parseResult, serializeArgs } from "./serialize.ts";
import { Transport, type FetchLike } from "./transport.ts";
import { isTerminalStatus, type FunctionInfo, type Health, type TaskOutcome, type TaskResult, type TaskStatus, type WireFunction, type WireResult, type WireWait } from "./types.ts";
import { waitForTasks } from "./wait.ts";

export interface ClientOptions {
  /** Retries after the first attempt, for the calls that may be retried (default 3). */
  retries?: number;
  /** Base of the exponential backoff between retries, in ms (default 100). */
  backoffMs?: number;
  /** Deadline of one HTTP attempt in ms, on top of any long-poll wait (default 30,000). */
  requestTimeoutMs?: number;
  /** The fetch to use (default: the global one). */
  fetch?: FetchLike;
  /**
   * The server's API key (one of its FAAS_API_KEYS), sent as `Authorization: Bearer <key>`. A missing
   * or wrong key is a FaasError 401 `Unauthorized` or 403 `Forbidden`, never retried.
   */
  apiKey?: string;
}

/** A function to register: sent as `fn.toString()`, so it must be self-contained. */
export type RemoteFunction = (...args: any[]) => unknown;

const MAX_BATCH = 10_000; // the server's limit of payloads per /execute_batch and ids per /wait
const BATCH_BODY_BYTES = 1024 * 1024 - 4096; // the server's default --max-body, less room for the rest
const BATCH_CONCURRENCY = 4;
const WAIT_CHUNK = 1000;
const WAIT_CONCURRENCY = 4;
const MAX_CALL_S = 20; // one long-poll; the server caps it at 60
const utf8 = new TextEncoder();

/**
 * A client of one FaaS server.
 *
 * @example
 * ```ts
 * import { FaasClient } from "./src/client/index.ts";
 * const faas = new FaasClient("http://127.0.0.1:8000", { apiKey: process.env.FAAS_API_KEY });
 * const add = await faas.register((a: number, b: number) => a + b, { name: "add" });
 * console.log(await faas.run(add, [2, 3])); // 5
 * ```
 */
export class FaasClient {
  private readonly http: Transport;
  private readonly registered = new WeakMap<RemoteFunction, Promise<string>>();

  constructor(baseUrl: string, o: ClientOptions = {}) {
    if (o.apiKey !== undefined && !/^[\x21-\x7e]+$/.test(o.apiKey)) {
      throw new TypeError(`apiKey must be a non-empty string of printable ASCII without spaces, got ${typeof o.apiKey === "string" ? `one of ${o.apiKey.length} characters that does not fit` : typeof o.apiKey}`);
    }
    this.http = new Transport(baseUrl.replace(/\/+$/, ""), {
      retries: o.retries ?? 3,
      backoffMs: o.backoffMs ?? 100,
      requestTimeoutMs: o.requestTimeoutMs ?? 30_000,
      fetch: o.fetch,
      ...(o.apiKey !== undefined && { apiKey: o.apiKey }),
    });
  }

  /**
   * Registers a function and returns its id. A JS function is sent as `fn.toString()`: it must be
   * self-contained (it sees its arguments and globals, not the variables around it), as in Globus
   * Compute. A string is the source of one function expression, TypeScript allowed. The name defaults
   * to `fn.name`, else "anonymous". Retried on 429/503 only (see transport.ts).
   *
   * @example
   * ```ts
   * const id = await faas.register(async function square(x: number) { return x * x; }); // name "square"
   * const id2 = await faas.register("(s: string): number => s.length", { name: "len", timeoutMs: 5000 });
   * ```
   */
  async register(fn: RemoteFunction | string, o: { name?: string; timeoutMs?: number; maxAttempts?: number } = {}): Promise<string> {
    const payload = functionSource(fn);
    const name = o.name ?? ((typeof fn === "function" && fn.name) || "anonymous");
    const body = { name, payload, ...(o.timeoutMs !== undefined && { timeout_ms: o.timeoutMs }), ...(o.maxAttempts !== undefined && { max_attempts: o.maxAttempts }) };
    const r = await this.http.send<{ function_id: string }>({ method: "POST", path: "/register_function", body, idempotent: false });
    return r.function_id;
  }

  /**
   * Queues one call and returns the task id. `args` must be an array of JSON values; anything else
   * throws a TypeError before a request is sent. Retried on 429/503 only: after a network error the
   * task may or may not be queued, so this throws `FaasNetworkError` (`outcomeUnknown: true`) instead.
   *
   * @example
   * ```ts
   * const taskId = await faas.execute(addId, [2, 3], { timeoutMs: 1000 });
   * ```
   */
  async execute(functionId: string, args: unknown[], o: { timeoutMs?: number } = {}): Promise<string> {
    const payload = serializeArgs(args);
    const body = { function_id: functionId, payload, ...(o.timeoutMs !== undefined && { timeout_ms: o.timeoutMs }) };
    const r = await this.http.send<{ task_id: string }>({ method: "POST", path: "/execute_function", body, idempotent: false });
    return r.task_id;
  }

  /**
   * Queues one call per args array and returns the task ids in the same order. Every args array is
   * checked before anything is sent. The list goes out in chunks (at most 10,000 per call and under
   * 1 MiB), a few at a time; each chunk is all or nothing on the server, but the whole batch is not:
   * if a chunk fails after another was queued, this throws a {@link BatchSubmitError} listing the ids
   * already queued (if none was, the chunk's own FaasError or FaasNetworkError). Chunks follow the
   * retry rules of `execute`.
   *
   * @example
   * ```ts
   * const ids = await faas.executeBatch(addId, [[1, 2], [3, 4]]);
   * const outcomes = await faas.wait(ids);
   * ```
   */
  async executeBatch(functionId: string, argsList: unknown[][], o: { timeoutMs?: number } = {}): Promise<string[]> {
    if (!Array.isArray(argsList)) throw new TypeError(`argsList must be an array of args arrays, got ${typeof argsList}`);
    const payloads = argsList.map((args, i) => {
      try {
        return serializeArgs(args);
      } catch (e) {
        throw new TypeError(`argsList[${i}]: ${(e as Error).message}`);
      }
    });
    const indexed = payloads.map((payload, index) => ({ payload, index }));
    const chunks = chunk(indexed, MAX_BATCH, BATCH_BODY_BYTES, (p) => utf8.encode(JSON.stringify(p.payload)).length + 1);
    const extra = o.timeoutMs !== undefined ? { timeout_ms: o.timeoutMs } : {};
    try {
      const replies = await mapBounded(chunks, BATCH_CONCURRENCY, (c) =>
        this.http.send<{ task_ids: string[] }>({
          method: "POST",
          path: "/execute_batch",
          body: { function_id: functionId, payloads: c.map((p) => p.payload), ...extra },
          idempotent: false,
        }),
      );
      return replies.flatMap((r) => r.task_ids);
    } catch (e) {
      if (!(e instanceof PartialFailure)) throw e;
      if (!e.done.includes(true)) throw e.error; // no chunk queued: the plain FaasError / FaasNetworkError
      const ids = new Array<string | undefined>(payloads.length).fill(undefined);
      chunks.forEach((c, i) => {
        if (e.done[i]) c.forEach((p, j) => (ids[p.index] = (e.results[i] as { task_ids: string[] }).task_ids[j]));
      });
      throw new BatchSubmitError(ids, e.error);
    }
  }

  /**
   * The task's status (QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED); a 404 FaasError if unknown.
   *
   * @example
   * ```ts
   * if ((await faas.status(taskId)) === "FAILED") { ... }
   * ```
   */
  async status(taskId: string): Promise<TaskStatus> {
    const r = await this.http.send<{ status: TaskStatus }>({ method: "GET", path: `/status/${encodeURIComponent(taskId)}`, idempotent: true });
    return r.status;
  }

  /**
   * The task's status and parsed result (null until terminal). With `waitS` (0 < S <= 60; 0 means
   * no wait) the server holds the request until the task is terminal or S seconds pass.
   *
   * @example
   * ```ts
   * const { status, result } = await faas.result(taskId, { waitS: 10 });
   * ```
   */
  async result(taskId: string, o: { waitS?: number } = {}): Promise<TaskResult> {
    const query = o.waitS !== undefined && o.waitS !== 0 ? `?wait=${o.waitS}` : "";
    const r = await this.http.send<WireResult>({
      method: "GET",
      path: `/result/${encodeURIComponent(taskId)}${query}`,
      idempotent: true,
      holdMs: (o.waitS ?? 0) * 1000,
    });
    return { taskId: r.task_id, status: r.status, result: parseResult(r.result) };
  }

  /**
   * Cancels a QUEUED or RUNNING task. A 409 FaasError (`AlreadyTerminal`) if it already ended, 404
   * if unknown. Retried after network errors, so a cancel whose first attempt landed may answer 409
   * naming CANCELLED.
   *
   * @example
   * ```ts
   * await faas.cancel(taskId);
   * ```
   */
  async cancel(taskId: string): Promise<void> {
    await this.http.send({ method: "DELETE", path: `/tasks/${encodeURIComponent(taskId)}`, idempotent: true });
  }

  /**
   * Every registered function (without sources).
   *
   * @example
   * ```ts
   * for (const f of await faas.functions()) console.log(f.functionId, f.name);
   * ```
   */
  async functions(): Promise<FunctionInfo[]> {
    const r = await this.http.send<{ functions: WireFunction[] }>({ method: "GET", path: "/functions", idempotent: true });
    return r.functions.map(toFunctionInfo);
  }

  /**
   * One function; with `source: true`, its source as registered.
   *
   * @example
   * ```ts
   * const { name, source } = await faas.function(addId, { source: true });
   * ```
   */
  async function(functionId: string, o: { source?: boolean } = {}): Promise<FunctionInfo> {
    const query = o.source === true ? "?source=true" : "";
    const r = await this.http.send<WireFunction>({ method: "GET", path: `/functions/${encodeURIComponent(functionId)}${query}`, idempotent: true });
    return toFunctionInfo(r);
  }

  /**
   * The server's health: `{status: "ok", queued}`; a 503 FaasError when its backend is down.
   *
   * @example
   * ```ts
   * const { queued } = await faas.health();
   * ```
   */
  async health(): Promise<Health> {
    return this.http.send<Health>({ method: "GET", path: "/healthz", idempotent: true });
  }

  /**
   * Waits for many tasks with `POST /wait` (chunks of 1,000 ids, 4 calls in flight) until every one
   * is terminal or `timeoutS` passes (default: no limit; 0 looks once). Returns a Map holding every
   * requested id: COMPLETED/FAILED/CANCELLED with the parsed result (FAILED: the remote
   * `{name, message, stack}`), `PENDING` for tasks still queued or running at the timeout, and
   * `UNKNOWN` (not thrown) for ids the server does not know. Use `outcomeValue` to turn an outcome into a
   * value or an error.
   *
   * @example
   * ```ts
   * const outcomes = await faas.wait(ids, { timeoutS: 60 });
   * for (const id of ids) console.log(outcomes.get(id)?.status, outcomes.get(id)?.result);
   * ```
   */
  async wait(taskIds: readonly string[], o: { timeoutS?: number } = {}): Promise<Map<string, TaskOutcome>> {
    const plan = { timeoutS: o.timeoutS ?? Infinity, chunkSize: WAIT_CHUNK, concurrency: WAIT_CONCURRENCY, maxCallS: MAX_CALL_S };
    return waitForTasks(taskIds, plan, (task_ids, timeout_s) =>
      this.http.send<WireWait>({ method: "POST", path: "/wait", body: { task_ids, timeout_s }, idempotent: true, holdMs: timeout_s * 1000 }),
    );
  }

  /**
   * Executes and awaits the parsed result. `fnOrId` is a function id, or a function to register
   * first (registered once per function object and client). Throws {@link TaskFailedError} with the
   * remote error when the task FAILED, {@link TaskCancelledError} when CANCELLED, and
   * {@link WaitTimeoutError} when it is not done after `waitS` seconds (default: no limit).
   *
   * @example
   * ```ts
   * const n = await faas.run((s: string) => s.length, ["hello"]); // 5
   * ```
   */
  async run(fnOrId: RemoteFunction | string, args: unknown[], o: { timeoutMs?: number; waitS?: number; name?: string } = {}): Promise<unknown> {
    const functionId = typeof fnOrId === "string" ? fnOrId : await this.registerOnce(fnOrId, o.name);
    const taskId = await this.execute(functionId, args, o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {});
    const limitS = o.waitS ?? Infinity;
    const started = Date.now();
    for (;;) {
      const leftS = limitS - (Date.now() - started) / 1000;
      const r = await this.result(taskId, leftS > 0 ? { waitS: Math.min(MAX_CALL_S, Math.ceil(leftS * 1000) / 1000) } : {});
      if (isTerminalStatus(r.status)) return outcomeValue(taskId, { status: r.status, result: r.result });
      if (leftS <= 0 || Date.now() - started >= limitS * 1000) throw new WaitTimeoutError(taskId, r.status, limitS);
    }
  }

  private registerOnce(fn: RemoteFunction, name: string | undefined): Promise<string> {
    let id = this.registered.get(fn);
    if (id === undefined) {
      id = this.register(fn, name !== undefined ? { name } : {});
      id.catch(() => this.registered.delete(fn));
      this.registered.set(fn, id);
    }
    return id;
  }
}

function toFunctionInfo(f: WireFunction): FunctionInfo {
  const base = { functionId: f.function_id, name: f.name, created: f.created, timeoutMs: f.timeout_ms, maxAttempts: f.max_attempts };
  return f.payload !== undefined ? { ...base, source: f.payload } : base;
}
