/**
 * The OpenAPI document against the live server: every reply the server gives (successes and errors,
 * with API keys on) has its status documented for that route, and a JSON body that matches the schema
 * documented for that status (the operators' routes and the dashboard's too). Named schemas are under components and referenced with $ref; every
 * operation has an operationId and a tag; GET /docs serves the reference page and its files locally.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { call } from "../../scripts/lib/http.ts";
import { memoryHttpApp } from "../helpers/http-app.ts";
import { conforms, type OpenApiDoc } from "../helpers/openapi-conformance.ts";
import { startEmbeddedHere, stopAllHere } from "../helpers/roots.ts";
import { BackendUnavailableError } from "../../src/domain/errors.ts";

const KEY = "openapi-key-0123456789abcdef";
const app = startEmbeddedHere({ apiKeys: [{ tenant: "default", key: KEY }], maxBodyBytes: 4096, maxQueue: 5 });
afterAll(() => stopAllHere());
const auth = { headers: { authorization: `Bearer ${KEY}` } };

type Doc = OpenApiDoc;

describe("OpenAPI document", () => {
  test("named schemas under components, $ref in operations, an operationId and a tag on every operation", async () => {
    const doc = (await call(`${app.url}/openapi.json`)).body as Doc;
    for (const name of ["RegisterBody", "ExecuteBody", "ExecuteBatchBody", "WaitBody", "ResultReply", "WaitReply", "ErrorReply", "Health", "TaskList", "TaskDetail", "RetryAllBody", "RetryAllReply", "WorkerList", "DashboardLive"]) {
      expect(Object.keys(doc.components.schemas)).toContain(name);
    }
    expect(doc.paths["/tasks"]!.get!.responses["200"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/TaskList" });
    expect(doc.paths["/register_function"]!.post!.responses["201"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/FunctionIdReply" });
    for (const ops of Object.values(doc.paths)) for (const op of Object.values(ops)) expect([op.operationId, op.tags.length]).toEqual([expect.any(String), 1]);
    expect((doc.components.schemas.RegisterBody as { examples: unknown[] }).examples.length).toBeGreaterThan(0);
  });

  test("every live reply, success or error, is documented for its route and matches its schema", async () => {
    const doc = (await call(`${app.url}/openapi.json`)).body as Doc;
    const u = app.url;
    const reg = await call(`${u}/register_function`, { name: "f", payload: "async (x) => { await new Promise((r) => setTimeout(r, x)); return x }" }, auth);
    conforms(doc, "/register_function", "post", reg);
    const fid = reg.body.function_id as string;
    conforms(doc, "/register_function", "post", await call(`${u}/register_function`, { name: "f", payload: "1 + 1" }, auth));
    conforms(doc, "/register_function", "post", await call(`${u}/register_function`, { name: "f", payload: `() => "${"x".repeat(5000)}"` }, auth));
    conforms(doc, "/register_function", "post", await call(`${u}/register_function`, { name: "f", payload: "() => 1" }));
    conforms(doc, "/register_function", "post", await call(`${u}/register_function`, { name: "f", payload: "() => 1" }, { headers: { authorization: "Bearer wrong-key-0123456789abcdef" } }));
    const ex = await call(`${u}/execute_function`, { function_id: fid, payload: "[1]" }, auth);
    conforms(doc, "/execute_function", "post", ex);
    conforms(doc, "/execute_function", "post", await call(`${u}/execute_function?wait=10`, { function_id: fid, payload: "[1]" }, auth));
    conforms(doc, "/execute_function", "post", await call(`${u}/execute_function?wait=99`, { function_id: fid, payload: "[1]" }, auth));
    conforms(doc, "/execute_function", "post", await call(`${u}/execute_function`, { function_id: "nope", payload: "[1]" }, auth));
    conforms(doc, "/execute_function", "post", await call(`${u}/execute_function`, { function_id: fid, payload: "{}" }, auth));
    const batch = await call(`${u}/execute_batch`, { function_id: fid, payloads: ["[60000]", "[60000]"] }, auth);
    conforms(doc, "/execute_batch", "post", batch);
    conforms(doc, "/execute_batch", "post", await call(`${u}/execute_batch`, { function_id: fid, payloads: ["[1]", "[1]", "[1]", "[1]"] }, auth)); // 429
    const id = ex.body.task_id as string;
    conforms(doc, "/result/{task_id}", "get", await call(`${u}/result/${id}?wait=10`, undefined, auth));
    conforms(doc, "/result/{task_id}", "get", await call(`${u}/result/${id}?wait=0`, undefined, auth));
    conforms(doc, "/result/{task_id}", "get", await call(`${u}/result/nope`, undefined, auth));
    conforms(doc, "/status/{task_id}", "get", await call(`${u}/status/${id}`, undefined, auth));
    conforms(doc, "/status/{task_id}", "get", await call(`${u}/status/nope`, undefined, auth));
    conforms(doc, "/wait", "post", await call(`${u}/wait`, { task_ids: [id, "nope"], timeout_s: 1 }, auth));
    conforms(doc, "/wait", "post", await call(`${u}/wait`, { task_ids: [] }, auth));
    const [running] = batch.body.task_ids as string[];
    conforms(doc, "/tasks/{task_id}", "delete", await call(`${u}/tasks/${running}`, undefined, { ...auth, method: "DELETE" }));
    conforms(doc, "/tasks/{task_id}", "delete", await call(`${u}/tasks/${running}`, undefined, { ...auth, method: "DELETE" })); // 409
    conforms(doc, "/tasks/{task_id}", "delete", await call(`${u}/tasks/nope`, undefined, { ...auth, method: "DELETE" }));
    conforms(doc, "/functions", "get", await call(`${u}/functions`, undefined, auth));
    conforms(doc, "/functions/{function_id}", "get", await call(`${u}/functions/${fid}?source=true`, undefined, auth));
    conforms(doc, "/functions/{function_id}", "get", await call(`${u}/functions/nope`, undefined, auth));
    // the operators' routes
    const boom = await call(`${u}/register_function`, { name: "boom", payload: "() => { throw new TypeError('boom') }" }, auth);
    const failedId = (await call(`${u}/execute_function`, { function_id: boom.body.function_id, payload: "[]" }, auth)).body.task_id as string;
    await call(`${u}/result/${failedId}?wait=10`, undefined, auth);
    const list = await call(`${u}/tasks?limit=2`, undefined, auth);
    conforms(doc, "/tasks", "get", list);
    conforms(doc, "/tasks", "get", await call(`${u}/tasks?cursor=${list.body.next_cursor}&status=FAILED`, undefined, auth));
    conforms(doc, "/tasks", "get", await call(`${u}/tasks?limit=5000`, undefined, auth));
    conforms(doc, "/tasks/{task_id}", "get", await call(`${u}/tasks/${failedId}`, undefined, auth));
    conforms(doc, "/tasks/{task_id}", "get", await call(`${u}/tasks/${id}`, undefined, auth));
    conforms(doc, "/tasks/{task_id}", "get", await call(`${u}/tasks/nope`, undefined, auth));
    conforms(doc, "/tasks/{task_id}/retry", "post", await call(`${u}/tasks/${failedId}/retry`, {}, auth));
    conforms(doc, "/tasks/{task_id}/retry", "post", await call(`${u}/tasks/${failedId}/retry`, {}, auth)); // 409
    conforms(doc, "/tasks/{task_id}/retry", "post", await call(`${u}/tasks/nope/retry`, {}, auth));
    conforms(doc, "/tasks/retry", "post", await call(`${u}/tasks/retry`, { status: "CANCELLED" }, auth));
    conforms(doc, "/tasks/retry", "post", await call(`${u}/tasks/retry`, { status: "RUNNING" }, auth));
    conforms(doc, "/workers", "get", await call(`${u}/workers`, undefined, auth));
    conforms(doc, "/workers", "get", await call(`${u}/workers`));
    conforms(doc, "/dashboard/live", "get", await call(`${u}/dashboard/live`, undefined, auth));
    conforms(doc, "/dashboard/tasks/{task_id}", "get", await call(`${u}/dashboard/tasks/${failedId}`, undefined, auth));
    conforms(doc, "/dashboard/tasks/{task_id}", "get", await call(`${u}/dashboard/tasks/nope`, undefined, auth));
    conforms(doc, "/dashboard/assets/{asset}", "get", await call(`${u}/dashboard/assets/app.js`));
    conforms(doc, "/dashboard/assets/{asset}", "get", await call(`${u}/dashboard/assets/secrets.txt`));
    conforms(doc, "/dashboard/tasks/{task_id}/retry", "post", await call(`${u}/dashboard/tasks/${failedId}/retry`, "token=wrong", { ...auth, headers: { ...auth.headers, "content-type": "application/x-www-form-urlencoded" }, redirect: "manual" }));
    conforms(doc, "/healthz", "get", await call(`${u}/healthz`));
    conforms(doc, "/metrics", "get", await call(`${u}/metrics`, undefined, auth));
    conforms(doc, "/metrics", "get", await call(`${u}/metrics`));
    const key = { headers: { ...auth.headers, "idempotency-key": "openapi-1" } };
    const statuses: number[] = [];
    for (const [path, body, init] of [
      ["/execute_function", { function_id: fid, payload: "[1]" }, key], // 201
      ["/execute_function", { function_id: fid, payload: "[1]" }, key], // 200, a replay
      ["/execute_function", { function_id: fid, payload: "[2]" }, key], // 409
      ["/execute_function", { function_id: fid, payload: "[1]" }, { headers: { ...auth.headers, "idempotency-key": "a b" } }], // 400
      ["/execute_batch", { function_id: fid, payloads: ["[1]"], idempotency_key: "openapi-2" }, auth], // 201
      ["/execute_batch", { function_id: fid, payloads: ["[1]"], idempotency_key: "openapi-2" }, auth], // 200
      ["/execute_batch", { function_id: fid, payloads: ["[2]"], idempotency_key: "openapi-2" }, auth], // 409
    ] as const) {
      const r = await call(`${u}${path}`, body, init);
      conforms(doc, path, "post", r);
      statuses.push(r.status);
    }
    expect(statuses).toEqual([201, 200, 409, 400, 201, 200, 409]);
    const graphStatuses: number[] = [];
    for (const tasks of [
      [{ name: "a", function_id: fid, payload: "[1]", after: ["b"] }, { name: "b", function_id: fid, payload: "[1]", after: ["a"] }], // 400: a cycle
      [{ name: "a", function_id: "nope", payload: "[1]" }], // 404
      [{ name: "a", function_id: fid, payload: "[1]", priority: 9 }, { name: "b", function_id: fid, payload: "[1]", after: ["a"], args_from: "results" }], // 201, or 429 if the queue is full
    ]) {
      const r = await call(`${u}/execute_graph`, { tasks }, auth);
      conforms(doc, "/execute_graph", "post", r);
      graphStatuses.push(r.status);
    }
    expect(graphStatuses.slice(0, 2)).toEqual([400, 404]);
    for (const path of ["/execute_function", "/execute_batch"]) {
      expect((doc.paths[path]!.post as { parameters?: { name: string; in: string }[] }).parameters).toContainEqual(expect.objectContaining({ name: "Idempotency-Key", in: "header" }));
    }
  }, 20_000);

  test("a backend outage (503) and a bug (500) are documented replies too", async () => {
    const down = memoryHttpApp({ metrics: async () => Promise.reject(new BackendUnavailableError("Redis is not reachable")), health: async () => Promise.reject(new BackendUnavailableError("x")) });
    const bug = memoryHttpApp({ metrics: async () => Promise.reject(new TypeError("bug")) });
    const doc = (await (await down(new Request("http://x/openapi.json"))).json()) as Doc;
    for (const [fetch, path] of [[down, "/metrics"], [down, "/healthz"], [bug, "/metrics"]] as const) {
      const r = await fetch(new Request(`http://x${path}`));
      conforms(doc, path, "get", { status: r.status, body: await r.json() });
    }
  });

  test("GET /docs serves the reference page and its files from this server, under a CSP that allows nothing else", async () => {
    const page = await fetch(`${app.url}/docs`);
    expect(page.status).toBe(200);
    const csp = page.headers.get("content-security-policy") as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    const html = await page.text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(refs.every((r) => r.startsWith("/docs/"))).toBe(true); // nothing from the internet
    for (const r of refs) expect([r, (await fetch(`${app.url}${r}`)).status]).toEqual([r, 200]);
    expect(await (await fetch(`${app.url}/docs/init.js`)).text()).toContain('url: "/openapi.json"');
    expect((await fetch(`${app.url}/docs/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${app.url}/docs/index.html`)).status).toBe(404);
  });
});
