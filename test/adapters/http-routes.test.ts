/**
 * The route table and what follows from it: the router (params, 404, 405 with every allowed method,
 * HEAD as GET, duplicates refused), the OpenAPI document (every route, nothing else), 500s with a
 * request id that is logged, /healthz telling backend errors (503) from bugs (500), and bodies counted
 * while they stream.
 */
import { describe, expect, test } from "bun:test";
import type { TSchema } from "@sinclair/typebox";
import { BackendTimeoutError, BackendUnavailableError } from "../../src/domain/errors.ts";
import { route, type Route } from "../../src/adapters/http/route.ts";
import { Router } from "../../src/adapters/http/router.ts";
import type { Logger } from "../../src/domain/ports.ts";
import { memoryHttpApp } from "../helpers/http-app.ts";
import { startEmbeddedHere, stopAllHere } from "../helpers/roots.ts";
import { call, register, submit } from "../../scripts/lib/http.ts";

const noop = async (): Promise<Response> => new Response("ok");
function r(method: "GET" | "POST" | "DELETE", path: string): Route {
  return route<TSchema | undefined>({ method, path, access: "key", operationId: `${method}${path}`, tag: "t", summary: "s", responses: {}, handle: noop });
}

describe("Router", () => {
  const router = new Router([r("GET", "/status/{task_id}"), r("DELETE", "/tasks/{task_id}"), r("GET", "/tasks/{task_id}"), r("GET", "/functions"), r("GET", "/functions/{function_id}")]);

  test("finds a route and decodes its parameters", () => {
    const m = router.match("GET", "/status/a%20b");
    expect(m.kind === "found" && m.params).toEqual({ task_id: "a b" });
    expect(router.match("GET", "/functions").kind).toBe("found");
    expect(router.match("HEAD", "/functions").kind).toBe("found");
  });

  test("a known path with another method lists every method it takes; an unknown path is none", () => {
    expect(router.match("POST", "/tasks/x")).toEqual({ kind: "method", allow: ["DELETE", "GET"] });
    expect(router.match("PUT", "/status/x")).toEqual({ kind: "method", allow: ["GET"] });
    for (const path of ["/nowhere", "/status", "/status/", "/status/a/b", "/functions/"]) expect([path, router.match("GET", path).kind]).toEqual([path, "none"]);
  });

  test("a route declared twice is refused at start-up", () => {
    expect(() => new Router([r("GET", "/a/{x}"), r("GET", "/a/{y}")])).toThrow("Route declared twice: GET /a/{}");
  });
});

describe("the app's table", () => {
  test("the OpenAPI document lists exactly the routes the server answers, each with an operationId and a 500", async () => {
    const fetch = memoryHttpApp();
    const doc = (await (await fetch(new Request("http://x/openapi.json"))).json()) as any;
    const documented = Object.entries(doc.paths as Record<string, Record<string, { operationId: string; responses: object }>>).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
    );
    expect(documented.map((d) => `${d.method} ${d.path}`).sort()).toEqual([
      "DELETE /tasks/{task_id}", "GET /dashboard", "GET /dashboard/assets/{asset}", "GET /dashboard/live", "GET /dashboard/tasks/{task_id}", "GET /docs", "GET /docs/{asset}",
      "GET /functions", "GET /functions/{function_id}", "GET /healthz", "GET /metrics", "GET /openapi.json", "GET /result/{task_id}", "GET /status/{task_id}", "GET /tasks",
      "GET /tasks/{task_id}", "GET /workers", "POST /dashboard/retry", "POST /dashboard/tasks/{task_id}/cancel", "POST /dashboard/tasks/{task_id}/retry", "POST /execute_batch",
      "POST /execute_function", "POST /execute_graph", "POST /register_function", "POST /tasks/retry", "POST /tasks/{task_id}/retry", "POST /wait",
    ]);
    for (const { path, method, op } of documented) {
      expect(typeof op.operationId).toBe("string");
      expect(Object.keys(op.responses)).toContain("500");
      const concrete = path.replace(/\{[^}]+\}/g, "x");
      const res = await fetch(new Request(`http://x${concrete}`, { method: "PUT" }));
      expect([path, res.status]).toEqual([path, 405]);
      expect(res.headers.get("allow")?.split(", ")).toContain(method);
    }
    // with keys off, the sign-in form does not exist and is not documented
    expect(doc.paths["/dashboard/login"]).toBeUndefined();
  });

  test("a bug answers 500 with an x-request-id that names the server's log entry", async () => {
    const logged: Record<string, unknown>[] = [];
    const logger: Logger = { log: (_level, _msg, fields) => void logged.push(fields ?? {}) };
    const fetch = memoryHttpApp({ logger, metrics: async () => Promise.reject(new TypeError("a bug in gathering")) });
    const res = await fetch(new Request("http://x/metrics"));
    expect(res.status).toBe(500);
    const id = res.headers.get("x-request-id") as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await res.json()) as any;
    expect(body.error).toBe("InternalError");
    expect(body.message).toContain(id);
    expect(logged).toContainEqual(expect.objectContaining({ event: "http.internal_error", requestId: id, error: "TypeError: a bug in gathering" }));
  });

  test("/healthz: 503 for a backend error (unreachable or no answer), 500 for a bug", async () => {
    const health = (e: Error) => memoryHttpApp({ health: async () => Promise.reject(e) });
    expect((await health(new BackendUnavailableError("down"))(new Request("http://x/healthz"))).status).toBe(503);
    expect((await health(new BackendTimeoutError("no answer"))(new Request("http://x/healthz"))).status).toBe(503);
    const bug = await health(new RangeError("oops"))(new Request("http://x/healthz"));
    expect(bug.status).toBe(500);
    expect(bug.headers.get("x-request-id")).not.toBeNull();
  });

  test("a chunked body is counted while it streams: reading stops past --max-body", async () => {
    const fetch = memoryHttpApp({ maxBodyBytes: 1024 });
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled > 1000) controller.close();
        else controller.enqueue(new Uint8Array(512).fill(32));
      },
    });
    const res = await fetch(new Request("http://x/register_function", { method: "POST", body, headers: { "content-type": "application/json" } }));
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error).toBe("PayloadTooLarge");
    expect(pulled).toBeLessThan(10); // 512 MB were offered; a few chunks were read
  });
});

describe("POST /wait caps its reply by bytes", () => {
  test("terminal tasks past the cap stay in pending and come with the next call; at least one result always comes", async () => {
    const app = startEmbeddedHere({ waitReplyBytes: 100_000 });
    try {
      const fid = await register(app.url, "(n) => 'z'.repeat(n)");
      const ids = await submit(app.url, fid, ["[40000]", "[40000]", "[40000]", "[400000]"]);
      const seen = new Set<string>();
      let pending = ids;
      let calls = 0;
      while (pending.length > 0) {
        const r = await call(`${app.url}/wait`, { task_ids: pending, timeout_s: 10 });
        calls++;
        const bytes = r.body.results.reduce((n: number, t: { result: string }) => n + t.result.length, 0);
        expect(r.body.results.length === 1 || bytes <= 100_000).toBe(true);
        for (const t of r.body.results) seen.add(t.task_id);
        pending = r.body.pending;
      }
      expect(seen).toEqual(new Set(ids));
      expect(calls).toBeGreaterThanOrEqual(3);
    } finally {
      await stopAllHere();
    }
  });
});

describe("POST /wait with return_when", () => {
  test("ALL_COMPLETED answers once every listed task is terminal, in the order listed; FIRST_COMPLETED (the default) with the first", async () => {
    const app = startEmbeddedHere();
    try {
      const fid = await register(app.url, "async (ms) => { await new Promise((r) => setTimeout(r, ms)); return ms; }");
      const ids = await submit(app.url, fid, ["[1500]", "[0]", "[150]"]);
      const first = await call(`${app.url}/wait`, { task_ids: ids, timeout_s: 10 });
      expect(first.status).toBe(200);
      expect(first.body.pending.length).toBeGreaterThan(0); // the quick one came alone
      const all = await call(`${app.url}/wait`, { task_ids: [...ids, "ghost"], timeout_s: 10, return_when: "ALL_COMPLETED" });
      expect(all.status).toBe(200);
      expect(all.body.results.map((t: { task_id: string; status: string; result: string }) => [t.task_id, t.status, t.result])).toEqual([
        [ids[0], "COMPLETED", "1500"],
        [ids[1], "COMPLETED", "0"],
        [ids[2], "COMPLETED", "150"],
      ]);
      expect([all.body.pending, all.body.unknown]).toEqual([[], ["ghost"]]);
    } finally {
      await stopAllHere();
    }
  });

  test("ALL_COMPLETED at its timeout answers what ended, the rest pending; a return_when it does not know is a 400 naming it", async () => {
    const app = startEmbeddedHere();
    try {
      const fid = await register(app.url, "async (ms) => { await new Promise((r) => setTimeout(r, ms)); return ms; }");
      const ids = await submit(app.url, fid, ["[0]", "[5000]"]);
      const r = await call(`${app.url}/wait`, { task_ids: ids, timeout_s: 1, return_when: "ALL_COMPLETED" });
      expect(r.status).toBe(200);
      expect([r.body.results.map((t: { task_id: string }) => t.task_id), r.body.pending]).toEqual([[ids[0]], [ids[1]]]);
      const bad = await call(`${app.url}/wait`, { task_ids: ids, return_when: "ANY" });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain("return_when");
    } finally {
      await stopAllHere();
    }
  });
});
