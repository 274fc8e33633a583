/** Builds the OpenAPI 3.1 document from the same TypeBox schemas that validate requests. */
import type { TSchema } from "@sinclair/typebox";
import * as S from "./schemas.ts";

function content(schema: TSchema): object {
  return { "application/json": { schema } };
}

function reply(description: string, schema: TSchema): object {
  return { description, content: content(schema) };
}

const errors = (codes: number[]): Record<string, object> =>
  Object.fromEntries(codes.map((c) => [String(c), reply("Error", S.ErrorReply)]));

const idParam = (name: string) => ({ name, in: "path", required: true, schema: { type: "string" } });

/** The document served at GET /openapi.json. */
export function openApiDocument(version: string): object {
  return {
    openapi: "3.1.0",
    info: { title: "bunfaas", version, description: "Register JavaScript/TypeScript functions, execute them, read results." },
    paths: {
      "/register_function": {
        post: {
          summary: "Register a function (source of one function expression)",
          requestBody: { required: true, content: content(S.RegisterBody) },
          responses: { "201": reply("Registered", S.FunctionIdReply), ...errors([400, 413]) },
        },
      },
      "/execute_function": {
        post: {
          summary: "Queue one task",
          requestBody: { required: true, content: content(S.ExecuteBody) },
          responses: { "201": reply("Queued", S.TaskIdReply), ...errors([400, 404, 413, 429]) },
        },
      },
      "/execute_batch": {
        post: {
          summary: "Queue many tasks of one function, all or nothing",
          requestBody: { required: true, content: content(S.ExecuteBatchBody) },
          responses: { "201": reply("Queued, ids in order", S.TaskIdsReply), ...errors([400, 404, 413, 429]) },
        },
      },
      "/wait": {
        post: {
          summary: "Every listed task that is terminal, waiting up to timeout_s until at least one is",
          requestBody: { required: true, content: content(S.WaitBody) },
          responses: { "200": reply("Terminal, pending and unknown tasks", S.WaitReply), ...errors([400, 413]) },
        },
      },
      "/status/{task_id}": {
        get: { summary: "Task status", parameters: [idParam("task_id")], responses: { "200": reply("Status", S.StatusReply), ...errors([404]) } },
      },
      "/result/{task_id}": {
        get: {
          summary: "Task result; with ?wait=S, answers once terminal or after S seconds",
          parameters: [idParam("task_id"), { name: "wait", in: "query", required: false, schema: { type: "number", exclusiveMinimum: 0, maximum: 60 } }],
          responses: { "200": reply("Result", S.ResultReply), ...errors([400, 404]) },
        },
      },
      "/tasks/{task_id}": {
        delete: {
          summary: "Cancel a task: QUEUED never runs, RUNNING has its executor stopped; result stays null",
          parameters: [idParam("task_id")],
          responses: { "200": reply("Cancelled", S.CancelReply), ...errors([404, 409]) },
        },
      },
      "/functions": { get: { summary: "Registered functions", responses: { "200": reply("List", S.FunctionList) } } },
      "/functions/{function_id}": {
        get: {
          summary: "One function; ?source=true adds its payload",
          parameters: [idParam("function_id"), { name: "source", in: "query", required: false, schema: { type: "boolean" } }],
          responses: { "200": reply("Function", S.FunctionInfo), ...errors([404]) },
        },
      },
      "/healthz": { get: { summary: "Liveness", responses: { "200": reply("OK", S.Health), ...errors([503]) } } },
      "/metrics": {
        get: {
          summary: "Prometheus metrics (text format 0.0.4): task counters of the whole deployment, queue depth, duration histogram, process facts",
          responses: {
            "200": { description: "Prometheus text exposition", content: { "text/plain; version=0.0.4": { schema: { type: "string" } } } },
            ...errors([503]),
          },
        },
      },
    },
  };
}
