/**
 * The REST contract as TypeBox schemas: the same objects validate request bodies and generate
 * /openapi.json, so the documentation cannot drift from what the server accepts.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { MAX_ATTEMPTS_LIMIT, MAX_TIMEOUT_MS } from "../../domain/function-record.ts";
import { MAX_BATCH } from "../../domain/task-service.ts";

const TimeoutMs = Type.Integer({ minimum: 1, maximum: MAX_TIMEOUT_MS, description: "Deadline of one attempt, in ms" });
const Id = Type.String({ minLength: 1, maxLength: 200 });
const ArgsPayload = Type.String({ description: 'JSON text of the argument array, e.g. "[2, 3]"' });

export const RegisterBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, description: "A label; names need not be unique" }),
    payload: Type.String({ minLength: 1, description: "Source of one function expression (JS or TS)" }),
    timeout_ms: Type.Optional(TimeoutMs),
    max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ATTEMPTS_LIMIT, description: "Hand-outs before a lost task is FAILED" })),
  },
  { additionalProperties: false, examples: [{ name: "add", payload: "(a: number, b: number): number => a + b", timeout_ms: 5000 }] },
);
export type RegisterBody = Static<typeof RegisterBody>;

export const ExecuteBody = Type.Object(
  { function_id: Id, payload: ArgsPayload, timeout_ms: Type.Optional(TimeoutMs) },
  { additionalProperties: false, examples: [{ function_id: "6f1c2a9e-...", payload: "[2, 3]" }] },
);
export type ExecuteBody = Static<typeof ExecuteBody>;

export const ExecuteBatchBody = Type.Object(
  { function_id: Id, payloads: Type.Array(ArgsPayload, { maxItems: MAX_BATCH }), timeout_ms: Type.Optional(TimeoutMs) },
  { additionalProperties: false, examples: [{ function_id: "6f1c2a9e-...", payloads: ["[1, 2]", "[3, 4]"] }] },
);
export type ExecuteBatchBody = Static<typeof ExecuteBatchBody>;

export const WaitBody = Type.Object(
  {
    task_ids: Type.Array(Id, { minItems: 1, maxItems: MAX_BATCH }),
    timeout_s: Type.Optional(Type.Number({ minimum: 0, maximum: 60, description: "How long to wait for the first terminal task" })),
  },
  { additionalProperties: false, examples: [{ task_ids: ["9a2e...", "b71f..."], timeout_s: 10 }] },
);
export type WaitBody = Static<typeof WaitBody>;

export const TaskStatus = Type.Union(["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"].map((s) => Type.Literal(s)));
export const FunctionIdReply = Type.Object({ function_id: Type.String() }, { additionalProperties: false });
export const TaskIdReply = Type.Object({ task_id: Type.String() }, { additionalProperties: false });
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
export const Health = Type.Object({ status: Type.Literal("ok"), queued: Type.Integer() }, { additionalProperties: false });
export type AnySchema = TSchema;
export const Text = Type.String();
export * from "./operations-schemas.ts";
