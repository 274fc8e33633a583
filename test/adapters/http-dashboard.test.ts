/**
 * GET /dashboard: the numbers are those of the /metrics report (checked against a fixed report and
 * against real tasks), the function list, the task lookup, HTML escaping of everything users control
 * (a function named <script>alert(1)</script>), and, with API keys on, the sign-in flow: POST
 * /dashboard/login sets an HttpOnly SameSite=Strict session cookie that is not the key, a wrong key
 * gets 403 and the form again, ?key= works.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { MetricsReport } from "../../src/adapters/http/index.ts";
import type { Embedded } from "../../src/app/roots/embedded.ts";
import { call, register, run } from "../../scripts/lib/http.ts";
import { startEmbeddedHere as startTestServer, stopAllHere } from "../helpers/roots.ts";
import { memoryHttpApp } from "../helpers/http-app.ts";

const XSS_NAME = "<script>alert(1)</script>";
const KEY = "dash-key-0123456789abcdef";

/** The text of the element carrying `attr="value"` (a data-* attribute the page sets for this). */
function cell(html: string, attr: string, value: string): string | undefined {
  const m = new RegExp(`${attr}="${value}"[^>]*>([^<]*)<`).exec(html);
  return m?.[1];
}

async function page(url: string, headers: Record<string, string> = {}): Promise<{ status: number; html: string; headers: Headers }> {
  const r = await fetch(url, { headers, redirect: "manual" });
  return { status: r.status, html: await r.text(), headers: r.headers };
}

describe("dashboard, keys off", () => {
  let app: Embedded;
  let base: string;
  beforeAll(() => {
    app = startTestServer();
    base = app.url;
  });
  afterAll(() => app.stop());

  test("shows the task counters and the function list; user-controlled text is escaped", async () => {
    const evil = await register(base, "() => '<img src=x onerror=alert(2)>'", { name: XSS_NAME, timeout_ms: 4321, max_attempts: 2 });
    const plain = await register(base, "(a, b) => a + b", { name: "add" });
    const done = await run(base, evil, "[]");
    expect(done.status).toBe("COMPLETED");
    expect((await run(base, plain, "[1, 2]")).result).toBe("3");

    const p = await page(`${base}/dashboard`);
    expect(p.status).toBe(200);
    expect(p.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(p.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(cell(p.html, "data-metric", "submitted")).toBe("2");
    expect(cell(p.html, "data-metric", "finished_COMPLETED")).toBe("2");
    expect(cell(p.html, "data-metric", "finished_FAILED")).toBe("0");
    expect(cell(p.html, "data-metric", "queue_depth")).toBe("0");
    expect(cell(p.html, "data-metric", "functions")).toBe("2");
    expect(cell(p.html, "data-metric", "duration_count")).toBe("2");
    expect(p.html).toContain(`data-function="${plain}"><td>add</td>`);
    expect(p.html).toContain(`data-function="${evil}"><td>&lt;script&gt;alert(1)&lt;/script&gt;</td>`);
    expect(p.html).toMatch(new RegExp(`data-function="${evil}">.*<td class="n">4321</td><td class="n">2</td><td>\\d{4}-\\d\\d-\\d\\dT`));
    expect(p.html).not.toContain(XSS_NAME);
    // The only script on the page is the dashboard's own, from this server; no inline code is allowed.
    expect(p.html.match(/<script/g)?.length).toBe(1);
    expect(p.html).toContain('<script src="/dashboard/assets/app.js"></script>');
    expect(p.headers.get("content-security-policy")).toContain("script-src 'self';");
    expect(p.headers.get("content-security-policy")).not.toContain("unsafe-inline");
    expect(p.html).not.toMatch(/ on[a-z]+=/);
  });

  test("task lookup shows status and the escaped result; an unknown id says so", async () => {
    const fid = await register(base, "() => ({ html: '</pre><script>alert(3)</script>' })");
    const done = await run(base, fid, "[]");
    const found = await page(`${base}/dashboard?task=${done.task_id}`);
    expect(found.status).toBe(200);
    expect(cell(found.html, "data-lookup", "status")).toBe("COMPLETED");
    expect(found.html).toContain("&lt;/pre&gt;&lt;script&gt;alert(3)&lt;/script&gt;");
    expect(found.html).not.toContain("alert(3)</script>");
    expect(found.html).toContain(`<a href="/dashboard/tasks/${done.task_id}">`);

    const missing = await page(`${base}/dashboard?task=${encodeURIComponent('"><script>alert(4)</script>')}`);
    expect(missing.status).toBe(200);
    expect(missing.html).toContain('data-lookup="missing"');
    expect(missing.html).not.toContain("<script>alert(4)");
    expect(missing.html).toContain("&quot;&gt;&lt;script&gt;alert(4)");
  });

  test("a queued task's result is not shown before it ends", async () => {
    const fid = await register(base, "() => { for (;;) {} }", { timeout_ms: 600_000 });
    const r = await call(`${base}/execute_function`, { function_id: fid, payload: "[]" });
    const p = await page(`${base}/dashboard?task=${r.body.task_id}`);
    expect(["QUEUED", "RUNNING"]).toContain(cell(p.html, "data-lookup", "status") ?? "none");
    expect(p.html).toContain("No result yet.");
    expect((await fetch(`${base}/tasks/${r.body.task_id}`, { method: "DELETE" })).status).toBe(200);
  });
});

describe("dashboard actions, keys off", () => {
  let base: string;
  beforeAll(() => {
    base = startTestServer().url;
  });
  afterAll(() => stopAllHere());

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body, redirect: "manual" });

  test("retry, cancel and retry-all are forms carrying the page's token; without it, or from another origin, refused", async () => {
    const fid = await register(base, "(x) => { throw new Error('no ' + x) }", { name: "nope" });
    const failed = await run(base, fid, "[1]");
    const p = await page(`${base}/dashboard/tasks/${failed.task_id}`);
    expect([p.status, p.headers.get("referrer-policy")]).toEqual([200, "same-origin"]);
    expect(p.html).toContain("<pre data-stack>Error: no 1");
    const token = /data-token="([^"]+)"/.exec(p.html)?.[1] as string;
    expect(p.html).toContain(`<input type="hidden" name="token" value="${token}"><button type="submit" data-action="retry">`);

    expect((await post(`/dashboard/tasks/${failed.task_id}/retry`, "")).status).toBe(403);
    expect((await post(`/dashboard/tasks/${failed.task_id}/retry`, `token=${token}`, { origin: "http://evil.example" })).status).toBe(403);
    const retried = await post(`/dashboard/tasks/${failed.task_id}/retry`, `token=${token}`);
    expect(retried.status).toBe(303);
    const location = retried.headers.get("location") as string;
    expect(location).toMatch(/^\/dashboard\/tasks\/[^/?]+\?notice=retried$/);
    expect((await page(`${base}${location}`)).html).toContain("Queued again: this is the new task.");
    const again = await post(`/dashboard/tasks/${failed.task_id}/retry`, `token=${token}`);
    expect(again.headers.get("location")).toBe(`/dashboard/tasks/${failed.task_id}?notice=NotRetriable`);

    const slow = await register(base, "() => new Promise(() => {})", { timeout_ms: 600_000 });
    const stuck = (await call(`${base}/execute_function`, { function_id: slow, payload: "[]" })).body.task_id as string;
    const cancelled = await post(`/dashboard/tasks/${stuck}/cancel`, `token=${token}`);
    expect(cancelled.headers.get("location")).toBe(`/dashboard/tasks/${stuck}?notice=cancelled`);
    expect((await call(`${base}/status/${stuck}`)).body.status).toBe("CANCELLED");

    await run(base, fid, "[2]");
    await call(`${base}/wait`, { task_ids: [location.split("/")[3]!.split("?")[0]!], timeout_s: 10 });
    const bulk = await post("/dashboard/retry", `token=${token}&status=FAILED&function_id=${fid}`);
    expect(bulk.headers.get("location")).toBe(`/dashboard?status=FAILED&function=${fid}&notice=retried-all-2#tasks`);
    const list = await page(`${base}/dashboard?status=FAILED&function=${fid}&notice=retried-all-2`);
    expect(list.html).toContain("Queued again: 2 failed task(s).");
    expect(list.html).toContain('data-action="retry-all">Retry all failed of this function');
    expect((await page(`${base}/dashboard?notice=<script>`)).html).not.toContain("data-notice");
  });
});

describe("dashboard numbers come from the metrics report", () => {
  test("a fixed report is shown as it is, read once per page", async () => {
    let reads = 0;
    const report: MetricsReport = {
      stats: {
        submitted: 12_345,
        finished: { COMPLETED: 11_000, FAILED: 300, CANCELLED: 45 },
        failures: { TimeoutError: 200, UserError: 100 },
        retries: 7,
        queued: 999,
        duration: { buckets: [10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11_335], sumMs: 5_000_000 },
      },
      functions: 42,
      process: { residentMemoryBytes: 1, startTimeSeconds: 1, waitingRequests: 0 },
    };
    const handler = memoryHttpApp({
      version: "9.9.9",
      metrics: async () => {
        reads++;
        return report;
      },
    });
    const html = await (await handler(new Request("http://x/dashboard"))).text();
    expect(reads).toBe(1);
    expect(cell(html, "data-metric", "submitted")).toBe("12345");
    expect(cell(html, "data-metric", "queue_depth")).toBe("999");
    expect(cell(html, "data-metric", "running")).toBe("1"); // 12345 submitted - 11345 finished - 999 queued
    expect(cell(html, "data-metric", "finished_CANCELLED")).toBe("45");
    expect(cell(html, "data-metric", "retries")).toBe("7");
    expect(cell(html, "data-metric", "functions")).toBe("42");
    expect(cell(html, "data-failure", "TimeoutError")).toBe("200");
    expect(cell(html, "data-metric", "duration_count")).toBe("11345");
    expect(html).toContain("&gt; 60 s"); // p50 lies past the last bound
  });
});

describe("dashboard, keys on", () => {
  let app: Embedded;
  let base: string;
  beforeAll(() => {
    app = startTestServer({ apiKeys: [{ tenant: "default", key: KEY }] });
    base = app.url;
  });
  afterAll(() => app.stop());

  const login = (body: string) =>
    fetch(`${base}/dashboard/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body, redirect: "manual" });

  test("without a session: 401 and the sign-in form, no dashboard content", async () => {
    const p = await page(`${base}/dashboard`);
    expect(p.status).toBe(401);
    expect(p.headers.get("www-authenticate")).toBe("Bearer");
    expect(p.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(p.html).toContain('<form method="post" action="/dashboard/login">');
    expect(p.html).not.toContain("data-metric");
  });

  test("POST login with the key: 303 to /dashboard with an HttpOnly SameSite=Strict cookie that is not the key; the cookie opens the page", async () => {
    await expect(register(base, "() => 1", { name: "visible-fn" })).rejects.toThrow(/: 401 /); // no key on the API
    const fid = await (async () => {
      const r = await fetch(`${base}/register_function`, { method: "POST", headers: { "x-api-key": KEY }, body: JSON.stringify({ name: XSS_NAME, payload: "() => 1" }) });
      return ((await r.json()) as { function_id: string }).function_id;
    })();

    const r = await login(`key=${encodeURIComponent(KEY)}`);
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/dashboard");
    const setCookie = r.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^faas_session=[\w-]{43}; /);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect(setCookie).toContain("Path=/");
    expect(setCookie).not.toContain(KEY);
    const cookie = setCookie.split(";")[0] as string;

    const signedIn = await page(`${base}/dashboard`, { cookie });
    expect(signedIn.status).toBe(200);
    expect(signedIn.html).toContain(`data-function="${fid}"><td>&lt;script&gt;alert(1)&lt;/script&gt;</td>`);
    expect(signedIn.html).not.toContain("visible-fn");
    expect((await page(`${base}/metrics`, { cookie })).status).toBe(200);
    expect((await page(`${base}/functions`, { cookie })).status).toBe(401); // the API takes a header, not the cookie

    const without = await page(`${base}/dashboard`);
    expect(without.status).toBe(401);
    expect(without.html).toContain('action="/dashboard/login"');
    const forged = await page(`${base}/dashboard`, { cookie: "faas_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    expect(forged.status).toBe(401);
    expect((await page(`${base}/dashboard`, { cookie: `faas_session=${KEY}` })).status).toBe(401);
  });

  test("a wrong key: 403 with the form again and no cookie; an empty one: 401", async () => {
    const r = await login("key=wrong-key-0123456789abcdef");
    expect(r.status).toBe(403);
    expect(r.headers.get("set-cookie")).toBeNull();
    const html = await r.text();
    expect(html).toContain('action="/dashboard/login"');
    expect(html).toContain("not valid");
    expect(html).not.toContain("wrong-key-0123456789abcdef");
    expect((await login("key=")).status).toBe(401);
    expect((await fetch(`${base}/dashboard/login`, { redirect: "manual" })).status).toBe(405);
  });

  test("?key= signs the browser in and redirects to the page without the key; a wrong ?key= is 403 with the form", async () => {
    const p = await page(`${base}/dashboard?key=${encodeURIComponent(KEY)}`);
    expect([p.status, p.headers.get("location")]).toEqual([303, "/dashboard"]);
    expect(p.html).not.toContain(KEY);
    const cookie = (p.headers.get("set-cookie") ?? "").split(";")[0] as string;
    expect(cookie).toMatch(/^faas_session=/);
    const opened = await page(`${base}/dashboard`, { cookie });
    expect(opened.status).toBe(200);
    expect(opened.html).toContain('data-metric="submitted"');

    const wrong = await page(`${base}/dashboard?key=wrong-key-0123456789abcdef`);
    expect(wrong.status).toBe(403);
    expect(wrong.html).toContain('action="/dashboard/login"');
    expect(wrong.headers.get("set-cookie")).toBeNull();
  });

  test("the Bearer header opens the page too", async () => {
    expect((await page(`${base}/dashboard`, { authorization: `Bearer ${KEY}` })).status).toBe(200);
  });
});
