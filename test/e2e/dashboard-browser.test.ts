/**
 * The dashboard in a real headless browser (Chromium from the Debian package, driven by playwright-core)
 * against the embedded server with API keys on: signed in by ?key=, the page shows a task that failed
 * after it was loaded, without reloading (the counts, the list and the charts are redrawn by its
 * script); the task's page shows the error's stack and where the attempt ran; Copy id puts the id on
 * the clipboard; Retry (a form with its token) queues the new task and shows its page, which follows it
 * to its end. A form posted without its token is refused. Cancel stops a running task; the functions
 * pane's "Retry failed" queues again every failed task of its function. The page breaks no rule of its
 * CSP (a violation would be reported to the console). Screenshots go to test-artifacts/ (git-ignored).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { call, register } from "../../scripts/lib/http.ts";
import { startEmbeddedHere, stopAllHere } from "../helpers/roots.ts";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const KEY = "browser-key-0123456789abcdef";
const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url).pathname;
const auth = { authorization: `Bearer ${KEY}` };

let url: string;
let profile: string;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];
const failedResponses: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`This test needs Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`);
  url = startEmbeddedHere({ apiKeys: [{ tenant: "default", key: KEY }] }).url;
  profile = mkdtempSync(join(tmpdir(), "bunfaas-chromium-"));
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: url });
  page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  page.on("response", (r) => {
    if (r.status() >= 400) failedResponses.push(`${r.status()} ${new URL(r.url()).pathname}`);
  });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 60_000); // starting Chromium on a busy machine can take more than the default 5 s

afterAll(async () => {
  await context?.close();
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  await stopAllHere();
}, 60_000);

describe("dashboard in Chromium", () => {
  test("a failed task appears without a reload; its page shows the stack; copy id; retry shows the new task", async () => {
    await page.goto(`${url}/dashboard?key=${KEY}`);
    expect(new URL(page.url()).search).toBe(""); // the key left the address bar for a session
    await page.locator("#chart-throughput line").first().waitFor({ state: "attached" }); // the script ran once: the charts have axes
    await page.evaluate(() => ((globalThis as { loadedOnce?: boolean }).loadedOnce = true));

    const fid = await register(url, "(x) => { throw new TypeError('broken input ' + x) }", { name: "fragile" }, auth);
    const queued = await call(`${url}/execute_function`, { function_id: fid, payload: "[42]" }, { headers: auth });
    const taskId = queued.body.task_id as string;
    const row = page.locator(`tr[data-task="${taskId}"]`);
    await row.locator("[data-status]", { hasText: "FAILED" }).waitFor({ timeout: 20_000 });
    expect(await page.evaluate(() => (globalThis as { loadedOnce?: boolean }).loadedOnce)).toBe(true); // same document: no reload
    await page.locator('[data-metric="finished_FAILED"]', { hasText: "1" }).waitFor();
    await page.locator('#chart-throughput polyline[data-series="failed"]').waitFor({ state: "attached" });
    await page.locator(`tr[data-function="${fid}"] [data-fn="failed"]`, { hasText: "1" }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });

    await row.locator("a").click();
    await page.waitForURL(`**/dashboard/tasks/${taskId}`);
    expect(await page.locator("[data-stack]").textContent()).toContain("TypeError: broken input 42");
    expect(await page.locator('tr[data-attempt="1"]').textContent()).toMatch(/FAILED.*thread executor \d+/);
    await page.locator("[data-copy]").click();
    await page.locator("[data-copy]", { hasText: "Copied" }).waitFor();
    expect(await page.evaluate(() => (navigator as unknown as { clipboard: { readText(): Promise<string> } }).clipboard.readText())).toBe(taskId);

    const refused = await page.evaluate(async (id) => {
      const r = await fetch(`/dashboard/tasks/${id}/retry`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "token=forged" });
      return { status: r.status, text: await r.text() };
    }, taskId);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("token is missing or wrong");

    await page.locator('[data-action="retry"]').click();
    await page.waitForURL(/\/dashboard\/tasks\/[^/?]+\?notice=retried$/);
    const newId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop() as string);
    expect(newId).not.toBe(taskId);
    expect(await page.locator("[data-notice]").textContent()).toContain("Queued again");
    expect(await page.locator("table.detail").textContent()).toContain(taskId); // "Runs again <old id>"
    await page.locator("[data-status]", { hasText: "FAILED" }).waitFor({ timeout: 20_000 }); // followed to its end
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-task.png"), fullPage: true });
    expect((await call(`${url}/tasks/${taskId}`, undefined, { headers: auth })).body.retried_as).toBe(newId);
    expect(consoleErrors).toEqual([]); // no CSP violation, no script error
    expect(failedResponses.filter((r) => !r.endsWith("/favicon.ico"))).toEqual([`403 /dashboard/tasks/${taskId}/retry`]); // only the forged form
  }, 90_000);

  test("Cancel stops a running task; the functions pane's Retry failed queues every failed task of that function again", async () => {
    const seen = { errors: consoleErrors.length, responses: failedResponses.length };
    const stuck = await register(url, "() => new Promise(() => {})", { name: "stuck" }, auth);
    const running = (await call(`${url}/execute_function`, { function_id: stuck, payload: "[]" }, { headers: auth })).body.task_id as string;
    await page.goto(`${url}/dashboard/tasks/${running}`);
    await page.locator("[data-status]", { hasText: "RUNNING" }).waitFor({ timeout: 20_000 }); // the page follows it
    await page.locator('[data-action="cancel"]').click();
    await page.waitForURL(`**/dashboard/tasks/${running}?notice=cancelled`);
    expect(await page.locator("[data-notice]").textContent()).toContain("Cancelled.");
    await page.locator("[data-status]", { hasText: "CANCELLED" }).waitFor();
    expect(await page.locator('[data-action="cancel"]').count()).toBe(0); // ended: nothing left to cancel
    expect((await call(`${url}/tasks/${running}`, undefined, { headers: auth })).body.status).toBe("CANCELLED");

    const flaky = await register(url, "(x) => { throw new RangeError('bad ' + x) }", { name: "bulk" }, auth);
    const failed = (await call(`${url}/execute_batch`, { function_id: flaky, payloads: ["[1]", "[2]"] }, { headers: auth })).body.task_ids as string[];
    await page.goto(`${url}/dashboard`);
    const row = page.locator(`tr[data-function="${flaky}"]`);
    await row.locator('[data-fn="failed"]', { hasText: "2" }).waitFor({ timeout: 20_000 }); // redrawn live once both failed
    await row.locator('[data-action="retry-all"]').click();
    await page.waitForURL(/\/dashboard\?.*notice=retried-all-2(&|#|$)/);
    expect(await page.locator("[data-notice]").textContent()).toContain("Queued again: 2 failed task(s).");
    const reruns = await Promise.all(failed.map(async (id) => (await call(`${url}/tasks/${id}`, undefined, { headers: auth })).body.retried_as as string | undefined));
    expect(reruns.every((id) => typeof id === "string" && !failed.includes(id))).toBe(true);
    for (const id of reruns) expect((await call(`${url}/tasks/${id}`, undefined, { headers: auth })).body).toMatchObject({ function_id: flaky, retry_of: expect.any(String) });
    await row.locator('[data-fn="failed"]', { hasText: "4" }).waitFor({ timeout: 20_000 }); // the re-runs fail too, live
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-bulk-retry.png"), fullPage: true });
    expect(consoleErrors.slice(seen.errors)).toEqual([]);
    expect(failedResponses.slice(seen.responses).filter((r) => !r.endsWith("/favicon.ico"))).toEqual([]);
  }, 90_000);
});
