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

/** Security requirements: any one of them is enough. The API routes take a header; /metrics and /dashboard also a query key or the session cookie. */
const API_KEY_HEADERS = [{ bearer: [] }, { apiKeyHeader: [] }];
const BROWSER_AUTH = [...API_KEY_HEADERS, { apiKeyQuery: [] }, { sessionCookie: [] }];
const OPEN: object[] = [];

const securitySchemes = {
  bearer: { type: "http", scheme: "bearer", description: "Authorization: Bearer <key>, one of the server's --api-keys" },
  apiKeyHeader: { type: "apiKey", in: "header", name: "X-API-Key", description: "The key in an X-API-Key header" },
  apiKeyQuery: { type: "apiKey", in: "query", name: "key", description: "?key=<key>: /metrics (scrapers) and /dashboard only" },
  sessionCookie: { type: "apiKey", in: "cookie", name: "faas_session", description: "Set by POST /dashboard/login: /metrics and /dashboard only" },
};

/** The document served at GET /openapi.json. */
export function openApiDocument(version: string): object {
  return {
    openapi: "3.1.0",
    info: {
      title: "bunfaas",
      version,
      description:
        "Register JavaScript/TypeScript functions, execute them, read results. When the server runs with API keys (FAAS_API_KEYS), " +
        "every route but /healthz and /openapi.json takes a key: 401 Unauthorized without one (WWW-Authenticate: Bearer), 403 Forbidden with a wrong one. " +
        "Without keys the security requirements do not apply.",
    },
    components: { securitySchemes, responses: { Unauthorized: reply("No API key sent", S.ErrorReply), Forbidden: reply("The API key is not valid", S.ErrorReply) } },
    security: API_KEY_HEADERS,
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
      "/healthz": { get: { summary: "Liveness", security: OPEN, responses: { "200": reply("OK", S.Health), ...errors([503]) } } },
      "/metrics": {
        get: {
          summary: "Prometheus metrics (text format 0.0.4): task counters of the whole deployment, queue depth, duration histogram, process facts",
          security: BROWSER_AUTH,
          responses: {
            "200": { description: "Prometheus text exposition", content: { "text/plain; version=0.0.4": { schema: { type: "string" } } } },
            ...errors([503]),
          },
        },
      },
      "/openapi.json": { get: { summary: "This document", security: OPEN, responses: { "200": { description: "OpenAPI 3.1" } } } },
      "/dashboard": {
        get: {
          summary: "HTML dashboard: task counters, duration summary, functions, task lookup (?task=id); with API keys, a sign-in form until signed in",
          security: BROWSER_AUTH,
          parameters: [{ name: "task", in: "query", required: false, schema: { type: "string" } }],
          responses: { "200": { description: "HTML page", content: { "text/html": { schema: { type: "string" } } } }, ...errors([503]) },
        },
      },
      "/dashboard/login": {
        post: {
          summary: "Sign in to the dashboard with an API key (form field key); sets an HttpOnly session cookie (only when API keys are on)",
          security: OPEN,
          requestBody: {
            required: true,
            content: { "application/x-www-form-urlencoded": { schema: { type: "object", properties: { key: { type: "string" } }, required: ["key"] } } },
          },
          responses: {
            "303": { description: "Signed in: Set-Cookie faas_session, Location /dashboard" },
            "401": { description: "No key: the form again", content: { "text/html": { schema: { type: "string" } } } },
            "403": { description: "Wrong key: the form again", content: { "text/html": { schema: { type: "string" } } } },
          },
        },
      },
    },
  };
}
