/**
 * The REST shapes of the operators' routes (GET /tasks, GET /tasks/{id}, retries, GET /workers, the
 * dashboard's live figures), re-exported by schemas.ts so the OpenAPI document names them.
 */
import { Type, type Static } from "@sinclair/typebox";
import { MAX_LIST_LIMIT } from "../../domain/task-listing.ts";

const Status = Type.Union(["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"].map((s) => Type.Literal(s)));
const Time = Type.String({ description: "ISO 8601" });
const MaybeTime = Type.Union([Time, Type.Null()]);

export const TaskListItem = Type.Object(
  {
    task_id: Type.String(),
    function_id: Type.String(),
    function_name: Type.String({ description: '"" when the function is gone' }),
    status: Status,
    attempt: Type.Integer({ description: "Hand-outs so far" }),
    created_at: Time,
    finished_at: MaybeTime,
    error_name: Type.Optional(Type.String({ description: "FAILED: the error's name" })),
    retried_as: Type.Optional(Type.String({ description: "The task that ran it again" })),
  },
  { additionalProperties: false },
);

export const TaskList = Type.Object(
  {
    tasks: Type.Array(TaskListItem, { description: `Newest first: QUEUED and RUNNING by created_at, finished ones by finished_at; at most limit (${MAX_LIST_LIMIT}), possibly fewer where tasks expired or were filtered out` }),
    next_cursor: Type.Union([Type.String(), Type.Null()], { description: "Pass as ?cursor= for the next page; null when nothing is left" }),
  },
  { additionalProperties: false },
);

export const AttemptInfo = Type.Object(
  {
    attempt: Type.Integer(),
    started_at: Time,
    ended_at: MaybeTime,
    outcome: Type.Union([Type.Literal("COMPLETED"), Type.Literal("FAILED"), Type.Literal("CANCELLED"), Type.Literal("REQUEUED"), Type.Literal("HANDED_BACK"), Type.Literal("RETRIED"), Type.Null()], {
      description: "How it ended (RETRIED: its retry policy ran it again after this error); null while it runs (or when its dispatcher died)",
    }),
    ran_on: Type.Union([Type.String(), Type.Null()], { description: 'Where it ran: "thread executor 2 (dispatcher d-1 on host-a)", "worker w-1 on host-b, ..."' }),
    error: Type.Optional(Type.Object({ name: Type.String(), message: Type.String() }, { additionalProperties: false, description: "FAILED or RETRIED: the error this attempt threw" })),
  },
  { additionalProperties: false },
);

export const TaskError = Type.Object({ name: Type.String(), message: Type.String(), stack: Type.String() }, { additionalProperties: false });

export const TaskDetail = Type.Object(
  {
    task_id: Type.String(),
    tenant: Type.String(),
    function_id: Type.String(),
    function_name: Type.String(),
    status: Status,
    payload: Type.String({ description: "JSON text of the argument array" }),
    result: Type.Union([Type.String(), Type.Null()], { description: "COMPLETED: JSON text of the return value; else null" }),
    error: Type.Union([TaskError, Type.Null()], { description: "FAILED: the error; else null" }),
    attempt: Type.Integer(),
    max_attempts: Type.Integer(),
    timeout_ms: Type.Integer(),
    priority: Type.Integer(),
    run_at: Time,
    retries: Type.Integer({ description: "Attempts its retry policy ran again (not counted in max_attempts)" }),
    after: Type.Optional(Type.Array(Type.String(), { description: "Tasks it waits for (or waited for)" })),
    waiting_for: Type.Optional(Type.Integer({ description: "QUEUED: how many of after have not COMPLETED yet" })),
    created_at: Time,
    started_at: MaybeTime,
    finished_at: MaybeTime,
    attempts: Type.Array(AttemptInfo, { description: "Oldest first (the latest 50)" }),
    retry_of: Type.Optional(Type.String({ description: "The task this one runs again" })),
    retried_as: Type.Optional(Type.String({ description: "The task that ran this one again" })),
  },
  { additionalProperties: false },
);

export const RetryAllBody = Type.Object(
  {
    status: Type.Union([Type.Literal("FAILED"), Type.Literal("CANCELLED")]),
    function_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false, examples: [{ status: "FAILED", function_id: "6f1c2a9e-..." }] },
);
export type RetryAllBody = Static<typeof RetryAllBody>;

export const RetryAllReply = Type.Object(
  {
    retried: Type.Integer({ description: "Tasks queued again (at most 10,000 per call)" }),
    more: Type.Boolean({ description: "Some matching tasks may be left: call again" }),
  },
  { additionalProperties: false },
);

export const WorkerInfo = Type.Object(
  {
    worker_id: Type.String(),
    host: Type.String(),
    mode: Type.Union([Type.Literal("pull"), Type.Literal("push")]),
    capacity: Type.Integer(),
    in_flight: Type.Integer(),
    connected_since: Time,
    last_heartbeat: Time,
    tasks_done: Type.Integer(),
    draining: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const DispatcherInfo = Type.Object(
  {
    dispatcher_id: Type.String(),
    host: Type.String(),
    mode: Type.Union([Type.Literal("local"), Type.Literal("pull"), Type.Literal("push"), Type.Literal("embedded")]),
    started_at: Time,
    reported_at: Time,
    claiming: Type.Boolean(),
    in_flight: Type.Integer(),
    tasks_done: Type.Integer(),
    executors: Type.Union([Type.Object({ isolation: Type.String(), live: Type.Integer(), max: Type.Integer() }, { additionalProperties: false }), Type.Null()], { description: "Local executors (local and embedded modes)" }),
    workers: Type.Array(WorkerInfo, { description: "Remote workers (pull and push modes)" }),
  },
  { additionalProperties: false },
);

export const WorkerList = Type.Object({ dispatchers: Type.Array(DispatcherInfo) }, { additionalProperties: false });

const Series = Type.Array(Type.Number());
const Quantiles = Type.Array(Type.Union([Type.Number(), Type.Null()]));

export const DashboardLive = Type.Object(
  {
    counts: Type.Object(
      { queued: Type.Integer(), running: Type.Integer(), completed: Type.Integer(), failed: Type.Integer(), cancelled: Type.Integer(), submitted: Type.Integer(), retries: Type.Integer() },
      { additionalProperties: false, description: "Tasks now QUEUED and RUNNING; finished ones counted since the deployment began" },
    ),
    activity: Type.Object(
      { from: Type.Integer({ description: "Epoch second of the first value" }), completed: Series, failed: Series, cancelled: Series, p50_ms: Quantiles, p95_ms: Quantiles, p99_ms: Quantiles },
      { additionalProperties: false, description: "Per second over the last 15 minutes: tasks finished, and submit-to-finish quantiles (null where none finished)" },
    ),
    functions: Type.Array(
      Type.Object(
        {
          function_id: Type.String(),
          name: Type.String(),
          timeout_ms: Type.Integer(),
          max_attempts: Type.Integer(),
          created: Type.String({ description: "ISO 8601" }),
          submitted: Type.Integer(),
          active: Type.Integer(),
          completed: Type.Integer(),
          failed: Type.Integer(),
          cancelled: Type.Integer(),
          failure_rate: Type.Number(),
          p50_ms: Type.Union([Type.Number(), Type.Null()]),
        },
        { additionalProperties: false },
      ),
    ),
    function_count: Type.Integer(),
  },
  { additionalProperties: false },
);
