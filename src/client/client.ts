/**
 * `FaasClient`: the platform's REST contract as typed methods, plus `submit`, `map` and `asCompleted`
 * in the manner of Globus Compute's Executor. It talks HTTP only (under Bun its own HTTP/1.1 client for
 * `http://` servers, else global `fetch`: transport.ts) and
 * imports nothing from the server's code. Every method takes `{signal}` (an AbortSignal): when it
 * fires the call stops waiting and rejects with an {@link AbortError}.
 */
import { pickTaskOptions, retryBody, taskOptionsBody, type RetryPolicy, type TaskOptions } from "./task-options.ts";
import { raceAbort, throwIfAborted } from "./abort.ts";
import { asCompleted } from "./as-completed.ts";
import { submitBatch } from "./batch.ts";
import { FaasError, WaitTimeoutError } from "./errors.ts";
import { TaskHandle } from "./handle.ts";
import { keyHeader, requestKey } from "./idempotency.ts";
import { mapInOrder } from "./map.ts";
import { FaasOperations } from "./operations.ts";
import { outcomeValue } from "./outcome.ts";
import { registrationKey, sharedRegistrations } from "./registrations.ts";
import { scheduleBody, toScheduleInfo, type ScheduleInfo, type ScheduleTaskOptions, type ScheduleTiming, type WireSchedule } from "./schedules.ts";
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
  /** The fetch to use (default: under Bun, the SDK's HTTP/1.1 client for `http://` servers; else the global fetch). */
  fetch?: FetchLike;
  /**
   * The server's API key (one of its FAAS_API_KEYS), sent as `Authorization: Bearer <key>`. A missing
   * or wrong key is a FaasError 401 `Unauthorized` or 403 `Forbidden`, never retried.
   */
  apiKey?: string;
}

/** Every call takes a signal: when it fires, the call stops waiting and rejects with an AbortError. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Options of `register`. */
export interface RegisterOptions extends CallOptions {
  /** Default: the function's own name, else "anonymous". */
  name?: string;
  /** The function's deadline per call, in ms (the server's default otherwise). */
  timeoutMs?: number;
  /** Attempts when a worker is lost (the server's default otherwise). */
  maxAttempts?: number;
  /** What a thrown error does (each call may override it); final when absent. */
  retry?: RetryPolicy;
  /**
   * Reuse the id of an earlier registration of the same source and options on the same server with
   * the same key, made by any client in this process (default true); false registers a new copy.
   */
  reuse?: boolean;
}

/** Options of `submit`, `run` and `map` (`name` is used when they register a function). */
export interface SubmitOptions extends CallOptions, TaskOptions {
  /** The name to register a function under (default: its own name). */
  name?: string;
}

/** One task of `executeGraph`: a local name, the function, its arguments and options. */
export interface GraphTask extends TaskOptions {
  name: string;
  functionId: string;
  args: unknown[];
  /** Local names of other tasks of the graph, or ids of your existing tasks. */
  after?: string[];
}

/**
 * The idempotency key of an execute (`execute`, `executeBatch`, `submit`, `run`). Without one the SDK
 * sends a fresh key with every call anyway, so its own retries after a lost reply are safe; give your
 * own to make your retries safe too: the same key with the same call within the server's --retention
 * answers the tasks queued the first time; with a different call, a 409 FaasError
 * (`IdempotencyConflict`).
 */
export interface OnceOptions {
  /** 1 to 255 printable ASCII characters without spaces (a TypeError otherwise, before anything is sent). */
  idempotencyKey?: string;
}

/** A function to register: sent as `fn.toString()`, so it must be self-contained. */
export type RemoteFunction = (...args: any[]) => unknown;

const WAIT_CHUNK = 1000;
const WAIT_CONCURRENCY = 4;
const MAX_CALL_S = 20; // one long-poll; the server caps it at 60
const MAP_CONCURRENCY = 1000;

/**
 * A client of one FaaS server.
 *
 * @example
 * ```ts
 * import { FaasClient } from "bunfaas/client";
 * const faas = new FaasClient("http://127.0.0.1:8000", { apiKey: process.env.FAAS_API_KEY });
 * const add = await faas.register((a: number, b: number) => a + b, { name: "add" });
 * console.log(await faas.run(add, [2, 3])); // 5
 * ```
 */
export class FaasClient {
  /** The operators' calls: list, inspect and re-run tasks, see workers (operations.ts). */
  readonly ops: FaasOperations;
  private readonly http: Transport;
  /** False once the server refused `POST /wait`'s `return_when` (a server older than it). */
  private serverWaitsForAll = true;
  private readonly baseUrl: string;
  private readonly apiKey: string | undefined;

  constructor(baseUrl: string, o: ClientOptions = {}) {
    if (o.apiKey !== undefined && !/^[\x21-\x7e]+$/.test(o.apiKey)) {
      throw new TypeError(`apiKey must be a non-empty string of printable ASCII without spaces, got ${typeof o.apiKey === "string" ? `one of ${o.apiKey.length} characters that does not fit` : typeof o.apiKey}`);
    }
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.apiKey = o.apiKey;
    this.http = new Transport(this.baseUrl, {
      retries: o.retries ?? 3,
      backoffMs: o.backoffMs ?? 100,
      requestTimeoutMs: o.requestTimeoutMs ?? 30_000,
      fetch: o.fetch,
      ...(o.apiKey !== undefined && { apiKey: o.apiKey }),
    });
    this.ops = new FaasOperations(this.http);
  }

  /**
   * Registers a function and returns its id. A JS function is sent as `fn.toString()`: it must be
   * self-contained (it sees its arguments and globals, not the variables around it), as in Globus
   * Compute. A string is the source of one function expression, TypeScript allowed. The name defaults
   * to `fn.name`, else "anonymous". The same source with the same options, server and key is
   * registered once per process (`reuse: false` registers a copy). Retried on 429/503 only.
   *
   * @example
   * ```ts
   * const id = await faas.register(async function square(x: number) { return x * x; }); // name "square"
   * const id2 = await faas.register("(s: string): number => s.length", { name: "len", timeoutMs: 5000 });
   * ```
   */
  async register(fn: RemoteFunction | string, o: RegisterOptions = {}): Promise<string> {
    return (await this.registration(fn, o)).id;
  }

  /**
   * Queues one call and returns the task id. `args` must be an array of JSON values; anything else
   * throws a TypeError before a request is sent. Sent with an idempotency key (a fresh one, or
   * `idempotencyKey`: see {@link OnceOptions}), so it is retried on network errors as on 429/503: a
   * retry whose first attempt was queued answers that task, never a second one.
   *
   * @example
   * ```ts
   * const taskId = await faas.execute(addId, [2, 3], { timeoutMs: 1000 });
   * const later = await faas.execute(addId, [2, 3], { priority: 9, delayMs: 5000, after: [taskId], retry: { maxRetries: 3 } });
   * const same = await faas.execute(addId, [2, 3], { idempotencyKey: "order-42" }); // again: the same id
   * ```
   */
  async execute(functionId: string, args: unknown[], o: TaskOptions & OnceOptions & CallOptions = {}): Promise<string> {
    return (await this.executeWaiting(functionId, args, o, 0)).task_id;
  }

  /** POST /execute_function, with ?wait when `waitS` > 0 (then the reply carries the status and result too). */
  private executeWaiting(functionId: string, args: unknown[], o: TaskOptions & OnceOptions & CallOptions, waitS: number): Promise<WireResult> {
    const payload = serializeArgs(args);
    const key = requestKey(o.idempotencyKey);
    const body = { function_id: functionId, payload, ...taskOptionsBody(o) };
    const path = waitS > 0 ? `/execute_function?wait=${waitS}` : "/execute_function";
    return this.http.send<WireResult>({ method: "POST", path, body, headers: keyHeader(key), idempotent: true, holdMs: waitS * 1000, signal: o.signal });
  }

  /**
   * Queues one call per args array and returns the task ids in the same order. Every args array is
   * checked before anything is sent. The list goes out in chunks (at most 10,000 per call and under
   * 1 MiB), a few at a time; each chunk is all or nothing on the server, but the whole batch is not:
   * if a chunk fails after another was queued, this throws a {@link BatchSubmitError} listing the ids
   * already queued (if none was, the chunk's own FaasError or FaasNetworkError). Chunks follow the
   * retry rules of `execute`, each with its own idempotency key (`<idempotencyKey>:<chunk>` when there
   * are several): calling again with the same `idempotencyKey` and args after a BatchSubmitError
   * answers the chunks already queued and queues only the others.
   *
   * @example
   * ```ts
   * const ids = await faas.executeBatch(addId, [[1, 2], [3, 4]]);
   * const outcomes = await faas.wait(ids);
   * ```
   */
  async executeBatch(functionId: string, argsList: unknown[][], o: TaskOptions & OnceOptions & CallOptions = {}): Promise<string[]> {
    const extra = taskOptionsBody(o);
    return submitBatch(argsList, requestKey(o.idempotencyKey), (payloads, key) =>
      this.http.send<{ task_ids: string[] }>({ method: "POST", path: "/execute_batch", body: { function_id: functionId, payloads, ...extra }, headers: keyHeader(key), idempotent: true, signal: o.signal }),
    );
  }

  /**
   * Queues a small DAG of tasks in one all-or-nothing call and returns the task id of each local name.
   * A task's `after` names other tasks of the graph (or ids of existing tasks); cycles are refused
   * (a 400 FaasError naming the cycle). Retried like `execute`.
   *
   * @example
   * ```ts
   * const ids = await faas.executeGraph([
   *   { name: "a", functionId: addId, args: [1, 2] },
   *   { name: "b", functionId: addId, args: [10], after: ["a"], argsFrom: "results" },
   * ]);
   * await faas.handle(ids.b).result(); // 13
   * ```
   */
  async executeGraph(tasks: GraphTask[], o: CallOptions = {}): Promise<Record<string, string>> {
    const body = { tasks: tasks.map((t) => ({ name: t.name, function_id: t.functionId, payload: serializeArgs(t.args), ...taskOptionsBody(t) })) };
    return (await this.http.send<{ task_ids: Record<string, string> }>({ method: "POST", path: "/execute_graph", body, idempotent: false, signal: o.signal })).task_ids;
  }

  /**
   * The task's status (QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED); a 404 FaasError if unknown.
   *
   * @example
   * ```ts
   * if ((await faas.status(taskId)) === "FAILED") { ... }
   * ```
   */
  async status(taskId: string, o: CallOptions = {}): Promise<TaskStatus> {
    const r = await this.http.send<{ status: TaskStatus }>({ method: "GET", path: `/status/${encodeURIComponent(taskId)}`, idempotent: true, signal: o.signal });
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
  async result(taskId: string, o: { waitS?: number } & CallOptions = {}): Promise<TaskResult> {
    const query = o.waitS !== undefined && o.waitS !== 0 ? `?wait=${o.waitS}` : "";
    const r = await this.http.send<WireResult>({
      method: "GET",
      path: `/result/${encodeURIComponent(taskId)}${query}`,
      idempotent: true,
      holdMs: (o.waitS ?? 0) * 1000,
      signal: o.signal,
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
  async cancel(taskId: string, o: CallOptions = {}): Promise<void> {
    await this.http.send({ method: "DELETE", path: `/tasks/${encodeURIComponent(taskId)}`, idempotent: true, signal: o.signal });
  }

  /**
   * Every registered function (without sources).
   *
   * @example
   * ```ts
   * for (const f of await faas.functions()) console.log(f.functionId, f.name);
   * ```
   */
  async functions(o: CallOptions = {}): Promise<FunctionInfo[]> {
    const r = await this.http.send<{ functions: WireFunction[] }>({ method: "GET", path: "/functions", idempotent: true, signal: o.signal });
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
  async function(functionId: string, o: { source?: boolean } & CallOptions = {}): Promise<FunctionInfo> {
    const query = o.source === true ? "?source=true" : "";
    const r = await this.http.send<WireFunction>({ method: "GET", path: `/functions/${encodeURIComponent(functionId)}${query}`, idempotent: true, signal: o.signal });
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
  async health(o: CallOptions = {}): Promise<Health> {
    return this.http.send<Health>({ method: "GET", path: "/healthz", idempotent: true, signal: o.signal });
  }

  /**
   * Calls a function on a cron expression (five fields, UTC) or every `everyMs` ms (at least 1000),
   * with the same `args` each time: one task per tick, whatever the number of dispatchers. `fnOrId`
   * is a function id or a function (registered as `run` does). Retried on 429/503 only, as `execute`.
   *
   * @example
   * ```ts
   * const { scheduleId, nextRunAt } = await faas.createSchedule(reportId, ["daily"], { cron: "0 6 * * *" });
   * await faas.createSchedule((n: number) => n + 1, [1], { everyMs: 60_000, priority: 7 });
   * ```
   */
  async createSchedule(fnOrId: RemoteFunction | string, args: unknown[], o: ScheduleTiming & ScheduleTaskOptions & CallOptions): Promise<{ scheduleId: string; nextRunAt: string }> {
    const ro = { ...(o.signal && { signal: o.signal }) };
    const r = await this.withFunction(fnOrId, ro, (id) =>
      this.http.send<{ schedule_id: string; next_run_at: string }>({ method: "POST", path: "/schedules", body: scheduleBody(id, args, o), idempotent: false, signal: o.signal }),
    );
    return { scheduleId: r.schedule_id, nextRunAt: r.next_run_at };
  }

  /** Your schedules, oldest first. @example `for (const s of await faas.listSchedules()) console.log(s.scheduleId, s.nextRunAt);` */
  async listSchedules(o: CallOptions = {}): Promise<ScheduleInfo[]> {
    const r = await this.http.send<{ schedules: WireSchedule[] }>({ method: "GET", path: "/schedules", idempotent: true, signal: o.signal });
    return r.schedules.map(toScheduleInfo);
  }

  /** One schedule (a 404 FaasError `UnknownSchedule` if unknown). @example `const { lastTaskId } = await faas.getSchedule(id);` */
  async getSchedule(scheduleId: string, o: CallOptions = {}): Promise<ScheduleInfo> {
    return toScheduleInfo(await this.http.send<WireSchedule>({ method: "GET", path: `/schedules/${encodeURIComponent(scheduleId)}`, idempotent: true, signal: o.signal }));
  }

  /** Stops a schedule firing (ticks that fall while paused are skipped). @example `await faas.pauseSchedule(id);` */
  async pauseSchedule(scheduleId: string, o: CallOptions = {}): Promise<ScheduleInfo> {
    return toScheduleInfo(await this.http.send<WireSchedule>({ method: "POST", path: `/schedules/${encodeURIComponent(scheduleId)}/pause`, idempotent: true, signal: o.signal }));
  }

  /** Fires a paused schedule again, from its next tick after now. @example `await faas.resumeSchedule(id);` */
  async resumeSchedule(scheduleId: string, o: CallOptions = {}): Promise<ScheduleInfo> {
    return toScheduleInfo(await this.http.send<WireSchedule>({ method: "POST", path: `/schedules/${encodeURIComponent(scheduleId)}/resume`, idempotent: true, signal: o.signal }));
  }

  /** Deletes a schedule (its tasks stay). Retried after network errors, so a delete whose first attempt landed may answer 404. @example `await faas.deleteSchedule(id);` */
  async deleteSchedule(scheduleId: string, o: CallOptions = {}): Promise<void> {
    await this.http.send({ method: "DELETE", path: `/schedules/${encodeURIComponent(scheduleId)}`, idempotent: true, signal: o.signal });
  }

  /**
   * Waits for many tasks with `POST /wait` (chunks of 1,000 ids, 4 calls in flight) until every one
   * is terminal or `timeoutS` passes (default: no limit; 0 looks once). Returns a Map holding every
   * requested id: COMPLETED/FAILED/CANCELLED with the parsed result (FAILED: the remote
   * `{name, message, stack}`), `PENDING` for tasks still queued or running at the timeout, and
   * `UNKNOWN` (not thrown) for ids the server does not know. `onOutcome` hears of each id as soon as
   * its outcome is final (for progress). Use `outcomeValue` to turn an outcome into a value or an error.
   *
   * @example
   * ```ts
   * const outcomes = await faas.wait(ids, { timeoutS: 60 });
   * for (const id of ids) console.log(outcomes.get(id)?.status, outcomes.get(id)?.result);
   * ```
   */
  async wait(
    taskIds: readonly string[],
    o: { timeoutS?: number; onOutcome?: (taskId: string, outcome: TaskOutcome) => void } & CallOptions = {},
  ): Promise<Map<string, TaskOutcome>> {
    const plan = { timeoutS: o.timeoutS ?? Infinity, chunkSize: WAIT_CHUNK, concurrency: WAIT_CONCURRENCY, maxCallS: MAX_CALL_S, signal: o.signal, onOutcome: o.onOutcome };
    // Without onOutcome nobody looks at a task before the rest: each call holds until its chunk is done.
    const all = o.onOutcome === undefined;
    return waitForTasks(taskIds, plan, (task_ids, timeout_s) => this.waitCall(task_ids, timeout_s, o.signal, all));
  }

  /**
   * Executes and awaits the parsed result. `fnOrId` is a function id, or a function to register
   * first (once per source: see `register`; registered again once if the server has lost it).
   * Throws {@link TaskFailedError} with the remote error when the task FAILED,
   * {@link TaskCancelledError} when CANCELLED, and {@link WaitTimeoutError} when it is not done after
   * `waitS` seconds (default: no limit).
   *
   * @example
   * ```ts
   * const n = await faas.run((s: string) => s.length, ["hello"]); // 5
   * ```
   */
  async run<R>(fnOrId: ((...args: any[]) => R) | string, args: unknown[], o: SubmitOptions & OnceOptions & { waitS?: number } = {}): Promise<Awaited<R>> {
    const limitS = o.waitS ?? Infinity;
    const started = Date.now();
    // One call queues it and waits (up to one long-poll's worth): most tasks end within it.
    const firstS = Math.min(MAX_CALL_S, Math.max(0.001, Math.ceil(limitS * 1000) / 1000));
    const first = await this.withFunction(fnOrId, o, (id) => this.executeWaiting(id, args, executeOptions(o), firstS));
    const taskId = first.task_id;
    if (first.status !== undefined && isTerminalStatus(first.status)) return outcomeValue(taskId, { status: first.status, result: parseResult(first.result) }) as Awaited<R>;
    for (;;) {
      const leftS = limitS - (Date.now() - started) / 1000;
      const r = await this.result(taskId, { ...(leftS > 0 && { waitS: Math.min(MAX_CALL_S, Math.ceil(leftS * 1000) / 1000) }), ...(o.signal && { signal: o.signal }) });
      if (isTerminalStatus(r.status)) return outcomeValue(taskId, { status: r.status, result: r.result }) as Awaited<R>;
      if (leftS <= 0 || Date.now() - started >= limitS * 1000) throw new WaitTimeoutError(taskId, r.status, limitS);
    }
  }

  /**
   * Queues one call and returns its {@link TaskHandle}: `.taskId`, `.result()`, `.outcome()`,
   * `.cancel()`. `fnOrId` is a function id or a function (registered as `run` does).
   *
   * @example
   * ```ts
   * const h = await faas.submit((a: number, b: number) => a * b, [6, 7]);
   * console.log(await h.result()); // 42
   * ```
   */
  async submit<R>(fnOrId: ((...args: any[]) => R) | string, args: unknown[], o: SubmitOptions & OnceOptions = {}): Promise<TaskHandle<Awaited<R>>> {
    const taskId = await this.withFunction(fnOrId, o, (id) => this.execute(id, args, executeOptions(o)));
    return this.handle<Awaited<R>>(taskId);
  }

  /**
   * A handle on a task queued earlier (by id), for `result`, `cancel` or `asCompleted`.
   *
   * @example
   * ```ts
   * const value = await faas.handle(taskId).result({ timeoutS: 10 });
   * ```
   */
  handle<R = unknown>(taskId: string): TaskHandle<R> {
    return new TaskHandle<R>(taskId, {
      wait: async (id, w) => (await this.wait([id], w)).get(id) as TaskOutcome,
      cancel: (id, c) => this.cancel(id, c),
    });
  }

  /**
   * Runs `fnOrId` once per args array and yields the results in input order (Globus Compute's
   * `Executor.map`), keeping at most `concurrency` tasks (default 1,000) unfinished on the server.
   * Iterating reaches a failed task's error (TaskFailedError, TaskCancelledError) at its place in the
   * order. Leaving the loop early, an error, or `signal` (AbortError) cancel the tasks still unfinished.
   *
   * @example
   * ```ts
   * for await (const square of faas.map((x: number) => x * x, [[1], [2], [3]], { concurrency: 2 })) console.log(square); // 1, 4, 9
   * ```
   */
  map<R>(fnOrId: ((...args: any[]) => R) | string, argsList: Iterable<unknown[]>, o: SubmitOptions & { concurrency?: number } = {}): AsyncGenerator<Awaited<R>, void, undefined> {
    const ops = {
      submit: (batch: unknown[][], signal: AbortSignal | undefined) =>
        this.withFunction(fnOrId, o, (id) => this.executeBatch(id, batch, { ...pickTaskOptions(o), ...(signal && { signal }) })),
      waitSome: (ids: string[], signal: AbortSignal | undefined) => this.waitCall(ids, MAX_CALL_S, signal),
      cancelAll: async (ids: string[]) => {
        await Promise.all(ids.map((id) => this.cancel(id).catch(() => undefined)));
      },
    };
    return mapInOrder(argsList, o.concurrency ?? MAP_CONCURRENCY, ops, o.signal) as AsyncGenerator<Awaited<R>, void, undefined>;
  }

  /**
   * Yields the handles in the order their tasks finish (terminal, or unknown to the server), each
   * once; watched through `POST /wait`, many ids per call. Leaving the loop early stops the waiting.
   *
   * @example
   * ```ts
   * const handles = await Promise.all([[1], [2], [3]].map((args) => faas.submit(slowSquare, args)));
   * for await (const h of faas.asCompleted(handles)) console.log(h.taskId, await h.result());
   * ```
   */
  asCompleted<H extends TaskHandle<any>>(handles: Iterable<H>, o: CallOptions = {}): AsyncGenerator<H, void, undefined> {
    return asCompleted(handles, (ids, w) => this.wait(ids, w), o.signal) as AsyncGenerator<H, void, undefined>;
  }

  /**
   * One `POST /wait`: the listed tasks that are terminal, held until one is (or, `all`, until every one
   * is: `return_when: "ALL_COMPLETED"`) or `timeoutS` passes. A server older than `return_when` refuses
   * the field (400 naming it): from then on this client waits for the first, as before.
   */
  private async waitCall(task_ids: string[], timeout_s: number, signal: AbortSignal | undefined, all = false): Promise<WireWait> {
    const send = (body: object): Promise<WireWait> => this.http.send<WireWait>({ method: "POST", path: "/wait", body, idempotent: true, holdMs: timeout_s * 1000, signal });
    if (!all || !this.serverWaitsForAll) return send({ task_ids, timeout_s });
    try {
      return await send({ task_ids, timeout_s, return_when: "ALL_COMPLETED" });
    } catch (e) {
      if (!(e instanceof FaasError && e.status === 400 && e.field === "return_when")) throw e;
      this.serverWaitsForAll = false;
      return send({ task_ids, timeout_s });
    }
  }

  /** Registers (or reuses) a function; returns its id and the cache key it is kept under. */
  private async registration(fn: RemoteFunction | string, o: RegisterOptions): Promise<{ id: string; key: string }> {
    const payload = functionSource(fn);
    const name = o.name ?? ((typeof fn === "function" && fn.name) || "anonymous");
    const body = { name, payload, ...(o.timeoutMs !== undefined && { timeout_ms: o.timeoutMs }), ...(o.maxAttempts !== undefined && { max_attempts: o.maxAttempts }), ...(o.retry !== undefined && { retry: retryBody(o.retry) }) };
    const send = async (signal?: AbortSignal): Promise<string> =>
      (await this.http.send<{ function_id: string }>({ method: "POST", path: "/register_function", body, idempotent: false, signal })).function_id;
    const key = registrationKey(this.baseUrl, this.apiKey, body);
    if (o.reuse === false) return { id: await send(o.signal), key };
    // shared with other callers: one caller's signal stops its own wait, not the registration
    throwIfAborted(o.signal, "POST /register_function");
    return { id: await raceAbort(sharedRegistrations.get(key, send), o.signal, "POST /register_function"), key };
  }

  /**
   * Calls `use` with the function id: `fnOrId` itself when it is an id, else the id of its
   * registration. When the server answers 404 UnknownFunction for a registered id (restarted without
   * its store, say), registers once more and calls `use` again.
   */
  private async withFunction<T>(fnOrId: RemoteFunction | string, o: SubmitOptions, use: (functionId: string) => Promise<T>): Promise<T> {
    if (typeof fnOrId === "string") return use(fnOrId);
    const ro = { ...(o.name !== undefined && { name: o.name }), ...(o.signal && { signal: o.signal }) };
    const first = await this.registration(fnOrId, ro);
    try {
      return await use(first.id);
    } catch (e) {
      if (!(e instanceof FaasError && e.status === 404 && e.code === "UnknownFunction")) throw e;
      await sharedRegistrations.forget(first.key, first.id);
      return use((await this.registration(fnOrId, ro)).id);
    }
  }
}

/** What `run` and `submit` pass on to `execute`. */
function executeOptions(o: SubmitOptions & OnceOptions): TaskOptions & OnceOptions & CallOptions {
  return { ...pickTaskOptions(o), ...(o.idempotencyKey !== undefined && { idempotencyKey: o.idempotencyKey }), ...(o.signal && { signal: o.signal }) };
}

function toFunctionInfo(f: WireFunction): FunctionInfo {
  const base = { functionId: f.function_id, name: f.name, created: f.created, timeoutMs: f.timeout_ms, maxAttempts: f.max_attempts };
  return f.payload !== undefined ? { ...base, source: f.payload } : base;
}
