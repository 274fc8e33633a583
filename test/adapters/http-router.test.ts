import { describe, expect, test } from "bun:test";
import type { Route } from "../../src/adapters/http/route.ts";
import { type Match, Router } from "../../src/adapters/http/router.ts";

const r = (method: string, path: string) => ({ method, path }) as unknown as Route;

/** The answer of a plain scan in declaration order: the first route whose path and method match. */
function scan(routes: readonly Route[], method: string, path: string): Match {
  const parts = path.split("/").slice(1);
  const wanted = method === "HEAD" ? "GET" : method;
  const allow: string[] = [];
  for (const route of routes) {
    const segs = route.path.split("/").slice(1);
    if (segs.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    segs.forEach((seg, i) => {
      const part = parts[i] as string;
      if (seg.startsWith("{")) {
        if (part === "") ok = false;
        else params[seg.slice(1, -1)] = decodeURIComponent(part);
      } else if (seg !== part) ok = false;
    });
    if (!ok) continue;
    if (route.method === wanted) return { kind: "found", route, params };
    if (!allow.includes(route.method)) allow.push(route.method);
  }
  return allow.length > 0 ? { kind: "method", allow: allow as never } : { kind: "none" };
}

describe("Router", () => {
  // a parameter route declared before a literal one it also matches (GET /jobs/{id} before GET /jobs/stats)
  const routes = [
    r("POST", "/execute_function"), r("GET", "/jobs/{id}"), r("GET", "/jobs/stats"), r("POST", "/jobs/stats"), r("GET", "/tasks/stats"),
    r("GET", "/tasks/{id}"), r("DELETE", "/tasks/{id}"), r("GET", "/"), r("GET", "/a/{x}/b/{y}"), r("PUT", "/a/c/b/d"),
  ];
  const router = new Router(routes);

  test("answers as a scan in declaration order: literal paths looked up, parameters, 405 with Allow, 404, HEAD as GET", () => {
    const paths = ["/execute_function", "/jobs/stats", "/jobs/42", "/tasks/stats", "/tasks/7", "/tasks/", "/", "", "/a/1/b/2", "/a/c/b/d",
      "/execute_function/", "/jobs", "/nope", "/tasks/a%20b", "/a/c/b/"];
    for (const method of ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]) {
      for (const path of paths) expect([method, path, router.match(method, path)]).toEqual([method, path, scan(routes, method, path)]);
    }
  });

  test("a literal route shadowed by an earlier parameter route stays shadowed, and the scan's first match wins", () => {
    const m = router.match("GET", "/jobs/stats");
    expect(m.kind === "found" && m.route.path).toBe("/jobs/{id}");
    const stats = router.match("GET", "/tasks/stats");
    expect(stats.kind === "found" && stats.route.path).toBe("/tasks/stats");
    expect(router.match("POST", "/jobs/stats")).toEqual({ kind: "found", route: routes[3] as Route, params: {} });
  });
});
