/**
 * The REST contract as TypeBox schemas: the same objects validate request bodies and generate
 * /openapi.json, so the documentation cannot drift from what the server accepts.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { MAX_ATTEMPTS_LIMIT, MAX_TIMEOUT_MS } from "../../domain/function-record.ts";
import { MAX_AFTER, MAX_DELAY_MS } from "../../domain/execute-options.ts";
import { MAX_IDEMPOTENCY_KEY } from "../../domain/idempotency.ts";
import { MAX_RETRIES_LIMIT } from "../../domain/retry-policy.ts";
import { MAX_GRAPH } from "../../domain/task-graph.ts";
import { MAX_EVERY_MS, MIN_EVERY_MS } from "../../domain/schedule.ts";
import { MAX_BATCH } from "../../domain/task-service.ts";

const TimeoutMs = Type.Integer({ minimum: 1, maximum: MAX_TIMEOUT_MS, description: "Deadline of one attempt, in ms" });
const Id = Type.String({ minLength: 1, maxLength: 200 });
const ArgsPayload = Type.String({ description: 'JSON text of the argument array, e.g. "[2, 3]"' });

const RetryPolicy = Type.Object(
  {
    max_retries: Type.Integer({ minimum: 0, maximum: MAX_RETRIES_LIMIT, description: "Retries after a thrown error (not counted in max_attempts)" }),
    backoff_ms: Type.Optional(Type.Integer({ minimum: 0, description: "Wait before the first retry (default 1000); jittered ±50%" })),
    factor: Type.Optional(Type.Number({ minimum: 1, maximum: 10, description: "Each retry waits this many times longer (default 2)" })),
    max_backoff_ms: Type.Optional(Type.Integer({ minimum: 0, description: "Cap on the wait (default 60000)" })),
    on: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50, description: "Error names to retry (all when absent; TimeoutError only when named)" })),
  },
  { $id: "RetryPolicy", additionalProperties: false, description: "What a thrown error does", examples: [{ max_retries: 3, backoff_ms: 200, factor: 2, max_backoff_ms: 5000, on: ["FetchError"] }] },
);

export type RetryPolicyBody = Static<typeof RetryPolicy>;

/** The task options execute_function and execute_batch share (each applies to every task of the call). */
const TaskOptionFields = {
  timeout_ms: Type.Optional(TimeoutMs),
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 9, description: "0-9, 9 most urgent (default 5); a waiting task rises one level per --priority-aging" })),
  delay_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_DELAY_MS, description: "Claimable only this many ms from now (not with run_at)" })),
  run_at: Type.Optional(Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$", description: "RFC 3339 time from which it is claimable (not with delay_ms)" })),
  retry: Type.Optional(RetryPolicy),
  after: Type.Optional(Type.Array(Id, { maxItems: MAX_AFTER, description: "Ids of your tasks that must all COMPLETE first (any failing: this one FAILS with DependencyFailed)" })),
  args_from: Type.Optional(Type.Literal("results", { description: "Append the results of `after`, parsed, to the arguments" })),
};

/** The body's form of the Idempotency-Key header (see idempotency.ts in this folder). */
const IdempotencyKeyField = {
  idempotency_key: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: MAX_IDEMPOTENCY_KEY,
      pattern: "^[\\x21-\\x7e]+$",
      description: "Names this request, as the Idempotency-Key header does (give either, or the same in both): the same key and request within --retention answer the first task ids with 200; another request, 409",
    }),
  ),
};

export const RegisterBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, description: "A label; names need not be unique" }),
    payload: Type.String({ minLength: 1, description: "Source of one function expression (JS or TS)" }),
    timeout_ms: Type.Optional(TimeoutMs),
    max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ATTEMPTS_LIMIT, description: "Hand-outs before a lost task is FAILED" })),
    retry: Type.Optional(RetryPolicy),
  },
  { additionalProperties: false, examples: [{ name: "add", payload: "(a: number, b: number): number => a + b", timeout_ms: 5000 }] },
);
export type RegisterBody = Static<typeof RegisterBody>;

export const ExecuteBody = Type.Object(
  { function_id: Id, payload: ArgsPayload, ...TaskOptionFields, ...IdempotencyKeyField },
  { additionalProperties: false, examples: [{ function_id: "6f1c2a9e-...", payload: "[2, 3]" }] },
);
export type ExecuteBody = Static<typeof ExecuteBody>;

export const ExecuteBatchBody = Type.Object(
  { function_id: Id, payloads: Type.Array(ArgsPayload, { maxItems: MAX_BATCH }), ...TaskOptionFields, ...IdempotencyKeyField },
  { additionalProperties: false, examples: [{ function_id: "6f1c2a9e-...", payloads: ["[1, 2]", "[3, 4]"] }] },
);
export type ExecuteBatchBody = Static<typeof ExecuteBatchBody>;

export const GraphBody = Type.Object(
  {
    tasks: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 100, description: "Unique in the graph; other tasks' after may name it" }),
          function_id: Id,
          payload: ArgsPayload,
          ...TaskOptionFields,
          after: Type.Optional(Type.Array(Id, { maxItems: MAX_AFTER, description: "Names of tasks of this graph, or ids of your existing tasks, that must all COMPLETE first" })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_GRAPH },
    ),
  },
  {
    additionalProperties: false,
    examples: [
      {
        tasks: [
          { name: "fetch", function_id: "6f1c2a9e-...", payload: '["a"]' },
          { name: "sum", function_id: "9b0d...", payload: "[]", after: ["fetch"], args_from: "results" },
        ],
      },
    ],
  },
);
export type GraphBody = Static<typeof GraphBody>;
export const GraphReply = Type.Object({ task_ids: Type.Record(Type.String(), Type.String(), { description: "Task id of each name" }) }, { additionalProperties: false });

export const WaitBody = Type.Object(
  {
    task_ids: Type.Array(Id, { minItems: 1, maxItems: MAX_BATCH }),
    timeout_s: Type.Optional(Type.Number({ minimum: 0, maximum: 60, description: "How long to wait: for the first terminal task (FIRST_COMPLETED), or for all of them (ALL_COMPLETED)" })),
    return_when: Type.Optional(
      Type.Union([Type.Literal("FIRST_COMPLETED"), Type.Literal("ALL_COMPLETED")], {
        description: "FIRST_COMPLETED (the default): answer once at least one listed task is terminal; ALL_COMPLETED: once every one is (or at the timeout, with the rest in pending)",
      }),
    ),
  },
  { additionalProperties: false, examples: [{ task_ids: ["9a2e...", "b71f..."], timeout_s: 10 }, { task_ids: ["9a2e...", "b71f..."], timeout_s: 30, return_when: "ALL_COMPLETED" }] },
);
export type WaitBody = Static<typeof WaitBody>;

export const TaskStatus = Type.Union(["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"].map((s) => Type.Literal(s)));
export const FunctionIdReply = Type.Object({ function_id: Type.String() }, { additionalProperties: false });
export const TaskIdReply = Type.Object({ task_id: Type.String() }, { additionalProperties: false });
export const ExecuteReply = Type.Object(
  {
    task_id: Type.String(),
    status: Type.Optional(TaskStatus),
    result: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: "With ?wait: JSON text once terminal; null until then" })),
  },
  { additionalProperties: false, examples: [{ task_id: "9a2e..." }, { task_id: "9a2e...", status: "COMPLETED", result: "5" }] },
);
export const TaskIdsReply = Type.Object({ task_ids: Type.Array(Type.String()) }, { additionalProperties: false });
export const StatusReply = Type.Object({ task_id: Type.String(), status: TaskStatus }, { additionalProperties: false });
export const CancelReply = Type.Object({ task_id: Type.String(), status: Type.Literal("CANCELLED") }, { additionalProperties: false });
export const ResultReply = Type.Object(
  {
    task_id: Type.String(),
    status: TaskStatus,
    result: Type.Union([Type.String(), Type.Null()], { description: "JSON text; null until terminal" }),
  },
  { additionalProperties: false, examples: [{ task_id: "9a2e...", status: "COMPLETED", result: "5" }] },
);
export const WaitReply = Type.Object(
  {
    results: Type.Array(ResultReply, { description: "Every listed task that is terminal" }),
    pending: Type.Array(Type.String(), { description: "Ids still QUEUED or RUNNING" }),
    unknown: Type.Array(Type.String(), { description: "Ids not found (never existed, or expired)" }),
  },
  { additionalProperties: false },
);
export const FunctionInfo = Type.Object(
  {
    function_id: Type.String(),
    name: Type.String(),
    created: Type.String({ description: "ISO 8601" }),
    timeout_ms: Type.Integer(),
    max_attempts: Type.Integer(),
    payload: Type.Optional(Type.String({ description: "Only with ?source=true" })),
  },
  { additionalProperties: false },
);
export const FunctionList = Type.Object({ functions: Type.Array(FunctionInfo) }, { additionalProperties: false });
export const ErrorReply = Type.Object(
  {
    error: Type.String({ description: "Error code, e.g. InvalidRequest" }),
    message: Type.String({ description: "What was expected and what came" }),
    field: Type.Optional(Type.String({ description: "Path of the offending field" })),
  },
  { additionalProperties: false, examples: [{ error: "InvalidRequest", message: "payloads/2: The arguments must be a JSON array, got an object", field: "payloads/2" }] },
);
export const ScheduleBody = Type.Object(
  {
    function_id: Id,
    cron: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "Five fields (minute hour day-of-month month day-of-week), in UTC; not with every_ms" })),
    every_ms: Type.Optional(Type.Integer({ minimum: MIN_EVERY_MS, maximum: MAX_EVERY_MS, description: "A tick every this many ms from creation; not with cron" })),
    payload: ArgsPayload,
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 9, description: "Priority of each tick's task, 0-9 (default 5)" })),
    timeout_ms: Type.Optional(TimeoutMs),
  },
  {
    additionalProperties: false,
    description: "Give exactly one of cron and every_ms",
    examples: [
      { function_id: "6f1c2a9e-...", cron: "*/5 * * * *", payload: "[2, 3]" },
      { function_id: "6f1c2a9e-...", every_ms: 60000, payload: "[]", priority: 7 },
    ],
  },
);
export type ScheduleBody = Static<typeof ScheduleBody>;
export const ScheduleCreated = Type.Object(
  { schedule_id: Type.String(), next_run_at: Type.String({ description: "RFC 3339 (UTC): the first tick" }) },
  { additionalProperties: false, examples: [{ schedule_id: "4b7e...", next_run_at: "2026-01-05T09:05:00.000Z" }] },
);
export const ScheduleInfo = Type.Object(
  {
    schedule_id: Type.String(),
    function_id: Type.String(),
    cron: Type.Optional(Type.String()),
    every_ms: Type.Optional(Type.Integer()),
    payload: Type.String({ description: "JSON text of the argument array each tick's task gets" }),
    priority: Type.Optional(Type.Integer()),
    timeout_ms: Type.Optional(Type.Integer()),
    paused: Type.Boolean(),
    next_run_at: Type.Union([Type.String(), Type.Null()], { description: "RFC 3339 (UTC) of the next tick; null while paused" }),
    created: Type.String({ description: "RFC 3339" }),
    last_run_at: Type.Optional(Type.String({ description: "RFC 3339: the last tick that made a task" })),
    last_task_id: Type.Optional(Type.String({ description: "That tick's task: <schedule_id>@<tick in ms>" })),
  },
  {
    additionalProperties: false,
    examples: [
      {
        schedule_id: "4b7e...",
        function_id: "6f1c2a9e-...",
        cron: "*/5 * * * *",
        payload: "[2, 3]",
        paused: false,
        next_run_at: "2026-01-05T09:10:00.000Z",
        created: "2026-01-05T09:03:12.345Z",
        last_run_at: "2026-01-05T09:05:00.000Z",
        last_task_id: "4b7e...@1767603900000",
      },
    ],
  },
);
export const ScheduleList = Type.Object({ schedules: Type.Array(ScheduleInfo) }, { additionalProperties: false });
export const ScheduleDeleted = Type.Object({ schedule_id: Type.String(), deleted: Type.Literal(true) }, { additionalProperties: false });
export const Health = Type.Object({ status: Type.Literal("ok"), queued: Type.Integer() }, { additionalProperties: false });
export type AnySchema = TSchema;
export const Text = Type.String();
export * from "./operations-schemas.ts";
