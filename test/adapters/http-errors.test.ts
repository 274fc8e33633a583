/** Every error status and the one error shape `{error, message, field?}`. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Embedded } from "../../src/app/roots/embedded.ts";
import { call, register } from "../../scripts/lib/http.ts";
import { startEmbeddedHere as startTestServer } from "../helpers/roots.ts";

let app: Embedded;
let base: string;
beforeAll(() => {
  app = startTestServer({ maxBodyBytes: 4096, maxQueue: 3 });
  base = app.url;
});
afterAll(() => app.stop());

function expectShape(body: any, error: string): void {
  expect(body.error).toBe(error);
  expect(typeof body.message).toBe("string");
  expect(body.message.length).toBeGreaterThan(5);
  expect(Object.keys(body).every((k) => ["error", "message", "field"].includes(k))).toBe(true);
}

describe("400: malformed or invalid requests", () => {
  test("bad JSON", async () => {
    const r = await call(`${base}/register_function`, "{not json");
    expect(r.status).toBe(400);
    expectShape(r.body, "InvalidJson");
  });

  test("an empty body", async () => {
    const r = await call(`${base}/execute_function`, "");
    expect(r.status).toBe(400);
    expectShape(r.body, "InvalidJson");
  });

  test("a body that is not an object", async () => {
    const r = await call(`${base}/register_function`, "[1, 2]");
    expect(r.status).toBe(400);
    expectShape(r.body, "InvalidRequest");
    expect(r.body.message).toContain("JSON object");
  });

  test("a missing field is named", async () => {
    const r = await call(`${base}/register_function`, { name: "x" });
    expect(r.status).toBe(400);
    expectShape(r.body, "InvalidRequest");
    expect(r.body.field).toBe("payload");
  });

  test("a wrong type says what was expected and what came", async () => {
    const r = await call(`${base}/register_function`, { name: "x", payload: 42 });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe("payload");
    expect(r.body.message).toContain("string");
    expect(r.body.message).toContain("42");
  });

  test("an unknown field is named", async () => {
    const r = await call(`${base}/register_function`, { name: "x", payload: "() => 1", timeout: 5 });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe("timeout");
  });

  test("an out-of-range option", async () => {
    const r = await call(`${base}/register_function`, { name: "x", payload: "() => 1", max_attempts: 0 });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe("max_attempts");
  });

  test("an execute payload that is not a JSON array", async () => {
    const fid = await register(base, "() => 1");
    for (const payload of ["{}", "[1,", "7"]) {
      const r = await call(`${base}/execute_function`, { function_id: fid, payload });
      expect(r.status).toBe(400);
      expectShape(r.body, "InvalidRequest");
      expect(r.body.field).toBe("payload");
    }
  });
});

describe("404, 405, 413, 429", () => {
  test("unknown function", async () => {
    const r = await call(`${base}/execute_function`, { function_id: "no-such-fn", payload: "[]" });
    expect(r.status).toBe(404);
    expectShape(r.body, "UnknownFunction");
    expect((await call(`${base}/functions/no-such-fn`)).status).toBe(404);
  });

  test("unknown task, for status and result", async () => {
    for (const path of ["status", "result"]) {
      const r = await call(`${base}/${path}/no-such-task`);
      expect(r.status).toBe(404);
      expectShape(r.body, "UnknownTask");
    }
  });

  test("unknown route", async () => {
    const r = await call(`${base}/nowhere`);
    expect(r.status).toBe(404);
    expectShape(r.body, "NotFound");
  });

  test("wrong method is 405 with Allow", async () => {
    const r1 = await fetch(`${base}/register_function`);
    expect(r1.status).toBe(405);
    expect(r1.headers.get("allow")).toBe("POST");
    expectShape(await r1.json(), "MethodNotAllowed");
    const r2 = await fetch(`${base}/status/abc`, { method: "DELETE" });
    expect(r2.status).toBe(405);
    expectShape(await r2.json(), "MethodNotAllowed");
  });

  test("a body over --max-body is 413 with the error shape", async () => {
    const r = await call(`${base}/register_function`, { name: "big", payload: `() => "${"x".repeat(5000)}"` });
    expect(r.status).toBe(413);
    expectShape(r.body, "PayloadTooLarge");
  });

  test("a full queue is 429 with Retry-After", async () => {
    const fid = await register(base, "() => 1");
    const r = await call(`${base}/execute_batch`, { function_id: fid, payloads: ["[]", "[]", "[]", "[]"] });
    expect(r.status).toBe(429);
    expectShape(r.body, "QueueFull");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
