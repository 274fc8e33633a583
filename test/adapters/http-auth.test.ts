/**
 * API keys on the embedded server (port 0): 401 without a key (WWW-Authenticate: Bearer, the error
 * shape), 403 with a wrong one, 200 with either header form; /healthz and /openapi.json open; /metrics
 * with ?key=; the whole flow with a key. Keys are never echoed. Also the constant-time key set and
 * the session store on their own.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiKeys } from "../../src/adapters/http/auth.ts";
import { readCookie, Sessions } from "../../src/adapters/http/dashboard/sessions.ts";
import type { Embedded } from "../../src/app/roots/embedded.ts";
import { call, type Reply } from "../../scripts/lib/http.ts";
import { startEmbeddedHere as startTestServer } from "../helpers/roots.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const KEY = "test-key-0123456789abcdef";
const OTHER_KEY = "second-key-0123456789";
const WRONG = "wrong-key-0123456789abcdef";

let app: Embedded;
let base: string;
beforeAll(() => {
  app = startTestServer({ apiKeys: [{ tenant: "default", key: KEY }, { tenant: "default", key: OTHER_KEY }] });
  base = app.url;
});
afterAll(() => app.stop());

/** GET `path` (or `method` with a JSON `body`) with `headers`, through the shared helper. */
function get(path: string, headers: Record<string, string> = {}, method?: string, body?: string): Promise<Reply> {
  return call(`${base}${path}`, body, { headers, ...(method !== undefined && { method }) });
}

describe("API keys on", () => {
  test("no key: 401 with WWW-Authenticate: Bearer and the error shape, on every API route", async () => {
    for (const [method, path, body] of [
      ["GET", "/functions", undefined],
      ["GET", "/status/abc", undefined],
      ["GET", "/result/abc?wait=1", undefined],
      ["POST", "/register_function", JSON.stringify({ name: "x", payload: "() => 1" })],
      ["POST", "/execute_function", "{}"],
      ["DELETE", "/tasks/abc", undefined],
      ["GET", "/no-such-route", undefined],
    ] as const) {
      const r = await get(path, {}, method, body);
      expect([method, path, r.status, r.headers.get("www-authenticate")]).toEqual([method, path, 401, "Bearer"]);
      const parsed = r.body;
      expect(Object.keys(parsed).sort()).toEqual(["error", "message"]);
      expect(parsed.error).toBe("Unauthorized");
      expect(parsed.message).toContain("Authorization: Bearer");
    }
  });

  test("a non-Bearer Authorization header or an empty key counts as no key: 401", async () => {
    expect((await get("/functions", { authorization: `Basic ${btoa(`u:${KEY}`)}` })).status).toBe(401);
    expect((await get("/functions", { "x-api-key": "" })).status).toBe(401);
    expect((await get("/functions", { authorization: "Bearer" })).status).toBe(401);
  });

  test("a wrong key: 403 Forbidden in the error shape, the key never echoed, no WWW-Authenticate", async () => {
    for (const headers of <Array<Record<string, string>>>[{ authorization: `Bearer ${WRONG}` }, { "x-api-key": WRONG }, { authorization: `Bearer ${KEY.slice(0, -1)}` }]) {
      const r = await get("/functions", headers);
      expect(r.status).toBe(403);
      expect(r.headers.get("www-authenticate")).toBeNull();
      const parsed = r.body;
      expect(Object.keys(parsed).sort()).toEqual(["error", "message"]);
      expect(parsed.error).toBe("Forbidden");
      expect(JSON.stringify(r.body)).not.toContain(WRONG);
      expect(JSON.stringify(r.body)).not.toContain(KEY.slice(0, -1));
    }
  });

  test("?key= is not accepted on API routes (only /metrics and /dashboard)", async () => {
    expect((await get(`/functions?key=${KEY}`)).status).toBe(401);
  });

  test("200 with either header form and with any of the configured keys", async () => {
    for (const headers of <Array<Record<string, string>>>[{ authorization: `Bearer ${KEY}` }, { authorization: `bearer ${OTHER_KEY}` }, { "x-api-key": KEY }, { "x-api-key": OTHER_KEY }]) {
      const r = await get("/functions", headers);
      expect([JSON.stringify(headers), r.status]).toEqual([JSON.stringify(headers), 200]);
      expect(r.body.functions).toBeArray();
    }
  });

  test("/healthz and /openapi.json stay open", async () => {
    const h = await get("/healthz");
    expect(h.status).toBe(200);
    expect(h.body.status).toBe("ok");
    const doc = await get("/openapi.json");
    expect(doc.status).toBe(200);
    const d = doc.body;
    expect(d.components.securitySchemes).toMatchObject({
      bearer: { type: "http", scheme: "bearer" },
      apiKeyHeader: { type: "apiKey", in: "header", name: "X-API-Key" },
      apiKeyQuery: { type: "apiKey", in: "query", name: "key" },
    });
    expect(d.security).toEqual([{ bearer: [] }, { apiKeyHeader: [] }]);
    expect(d.paths["/metrics"].get.security).toContainEqual({ apiKeyQuery: [] });
    expect(d.paths["/healthz"].get.security).toEqual([]);
    expect(d.paths["/register_function"].post.security).toBeUndefined(); // the document-wide default
  });

  test("/metrics: 401 without a key, 403 with a wrong ?key=, 200 with ?key= or a header", async () => {
    const none = await get("/metrics");
    expect([none.status, none.headers.get("www-authenticate")]).toEqual([401, "Bearer"]);
    expect(none.body.message).toContain("?key=");
    const wrong = await get(`/metrics?key=${WRONG}`);
    expect(wrong.status).toBe(403);
    expect(JSON.stringify(wrong.body)).not.toContain(WRONG);
    const byQuery = await get(`/metrics?key=${encodeURIComponent(KEY)}`);
    expect(byQuery.status).toBe(200);
    expect(byQuery.body).toContain("faas_tasks_submitted_total");
    expect(byQuery.headers.get("set-cookie")).toBeNull(); // scrapes do not start sessions
    expect((await get("/metrics", { "x-api-key": KEY })).status).toBe(200);
  });

  test("the whole flow with a key: register, execute, result", async () => {
    const auth = { authorization: `Bearer ${KEY}` };
    const reg = await get("/register_function", auth, "POST", JSON.stringify({ name: "add", payload: "(a, b) => a + b" }));
    expect(reg.status).toBe(201);
    const fid = reg.body.function_id;
    const ex = await get("/execute_function", { "x-api-key": KEY }, "POST", JSON.stringify({ function_id: fid, payload: "[2, 3]" }));
    expect(ex.status).toBe(201);
    const tid = ex.body.task_id;
    const res = await get(`/result/${tid}?wait=30`, auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ task_id: tid, status: "COMPLETED", result: "5" });
    expect((await get(`/result/${tid}`)).status).toBe(401);
    expect((await get(`/result/${tid}`, { authorization: `Bearer ${WRONG}` })).status).toBe(403);
  });
});

describe("API keys off (the default)", () => {
  test("everything stays open; /dashboard/login does not exist", async () => {
    const open = startTestServer();
    try {
      expect((await fetch(`${open.url}/functions`)).status).toBe(200);
      expect((await fetch(`${open.url}/metrics`)).status).toBe(200);
      expect((await fetch(`${open.url}/dashboard`)).status).toBe(200);
      expect((await fetch(`${open.url}/dashboard/login`, { method: "POST", body: `key=${KEY}` })).status).toBe(404);
      expect((await fetch(`${open.url}/dashboard/logout`, { method: "POST" })).status).toBe(404);
    } finally {
      await open.stop();
    }
  });
});

describe("ApiKeys", () => {
  test("matches exactly one of the keys, whatever the length of the candidate", () => {
    const keys = new ApiKeys([{ tenant: "a", key: KEY }, { tenant: "b", key: OTHER_KEY }]);
    expect(keys.tenantOf(KEY)).toBe("a");
    expect(keys.tenantOf(OTHER_KEY)).toBe("b");
    for (const c of ["", KEY.slice(0, -1), `${KEY}x`, KEY.toUpperCase(), ` ${KEY}`, WRONG]) expect([c, keys.matches(c)]).toEqual([c, false]);
  });
});

describe("Sessions", () => {
  test("a token is valid until its expiry, random, and not valid once expired", () => {
    const clock = new FakeClock(1000);
    const sessions = new Sessions({ ttlMs: 100, clock });
    const a = sessions.create("alice");
    const b = sessions.create("bob");
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[\w-]{43}$/);
    expect([sessions.tenantOf(a), sessions.tenantOf(b), sessions.tenantOf("forged")]).toEqual(["alice", "bob", undefined]);
    clock.advance(99);
    expect(sessions.tenantOf(a)).toBe("alice");
    clock.advance(1);
    expect(sessions.tenantOf(a)).toBeUndefined();
    sessions.end(b);
    expect(sessions.tenantOf(b)).toBeUndefined();
  });

  test("expired sessions are dropped; past max the oldest goes", () => {
    const clock = new FakeClock(0);
    const sessions = new Sessions({ ttlMs: 10, max: 2, clock });
    sessions.create("t");
    sessions.create("t");
    clock.advance(20);
    const c = sessions.create("t");
    expect(sessions.size).toBe(1);
    const d = sessions.create("t");
    const e = sessions.create("t");
    expect(sessions.size).toBe(2);
    expect([sessions.tenantOf(c), sessions.tenantOf(d), sessions.tenantOf(e)]).toEqual([undefined, "t", "t"]);
  });

  test("readCookie finds a cookie among others", () => {
    expect(readCookie("a=1; faas_session=tok; b=2", "faas_session")).toBe("tok");
    expect(readCookie("xfaas_session=tok", "faas_session")).toBeUndefined();
    expect(readCookie(null, "faas_session")).toBeUndefined();
  });
});
