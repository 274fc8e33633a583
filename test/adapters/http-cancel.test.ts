/**
 * DELETE /tasks/{task_id} in the embedded mode (in-memory store, real executor threads): a QUEUED task
 * never runs, a RUNNING one has its executor stopped and the pool recovers, long-polls on it answer at
 * once, and the errors have the one shape (404, 409, 405).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Embedded } from "../../src/app/roots/embedded.ts";
import { call, register, run } from "../../scripts/lib/http.ts";
import { startEmbeddedHere as startTestServer } from "../helpers/roots.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

let app: Embedded;
let base: string;
beforeAll(() => {
  app = startTestServer({ workers: 1 }); // one executor thread: a spinning task blocks every job on it
  base = app.url;
});
afterAll(() => app.stop());

const SPIN = "() => { for (;;) {} }";
const SLOW = "async () => new Promise((r) => setTimeout(r, 5000))";

async function cancel(id: string): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(`${base}/tasks/${encodeURIComponent(id)}`, { method: "DELETE" });
  return { status: r.status, body: await r.json(), headers: r.headers };
}

async function execute(fid: string, args = "[]"): Promise<string> {
  const r = await call(`${base}/execute_function`, { function_id: fid, payload: args });
  if (r.status !== 201) throw new Error(`execute: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.task_id;
}

async function whenStatus(id: string, status: string): Promise<void> {
  await waitFor(async () => (await call(`${base}/status/${id}`)).body.status === status, `task ${id} to be ${status}`);
}

describe("DELETE /tasks/{task_id}", () => {
  test("a RUNNING infinite loop is cancelled, its executor stopped, and the pool serves the next task", async () => {
    const spin = await register(base, SPIN, { timeout_ms: 600_000 });
    const id = await execute(spin);
    await whenStatus(id, "RUNNING");
    const c = await cancel(id);
    expect(c.status).toBe(200);
    expect(c.body).toEqual({ task_id: id, status: "CANCELLED" });
    expect((await call(`${base}/result/${id}`)).body).toEqual({ task_id: id, status: "CANCELLED", result: null });
    expect(app.dispatcher.inFlightCount()).toBe(0);
    // With one thread, the next task can only complete if the spinning executor was replaced.
    const add = await register(base, "(a, b) => a + b");
    const next = await run(base, add, "[2, 3]");
    expect([next.status, next.result]).toEqual(["COMPLETED", "5"]);
    expect((await call(`${base}/status/${id}`)).body.status).toBe("CANCELLED");
  });

  test("long-polls and POST /wait waiting on a task answer CANCELLED with result null as soon as it is cancelled", async () => {
    const spin = await register(base, SPIN, { timeout_ms: 600_000 });
    const id = await execute(spin);
    await whenStatus(id, "RUNNING");
    const longPoll = call(`${base}/result/${id}?wait=60`);
    const wait = call(`${base}/wait`, { task_ids: [id], timeout_s: 60 });
    await waitFor(() => app.tasks.waitingCount() === 2, "both requests to wait on the task");
    expect((await cancel(id)).status).toBe(200);
    expect((await longPoll).body).toEqual({ task_id: id, status: "CANCELLED", result: null });
    expect((await wait).body).toEqual({ results: [{ task_id: id, status: "CANCELLED", result: null }], pending: [], unknown: [] });
  }, 30_000); // both wait up to 60 s: only the cancel's notification answers them within the test's time

  test("a QUEUED task behind full executors is cancelled and leaves the queue (claims skip it: see the TaskStore contract)", async () => {
    // Its own server: one thread holding all it can of five-second tasks, and 6 more that stay QUEUED.
    const own = startTestServer({ workers: 1 });
    try {
      const slow = await register(own.url, SLOW);
      const n = own.pool.freeSlots() + 6;
      const r = await call(`${own.url}/execute_batch`, { function_id: slow, payloads: Array.from({ length: n }, () => "[]") });
      const ids: string[] = r.body.task_ids;
      const last = ids[n - 1]!;
      expect((await call(`${own.url}/status/${last}`)).body.status).toBe("QUEUED");
      const before = (await call(`${own.url}/healthz`)).body.queued as number;
      const c = await fetch(`${own.url}/tasks/${last}`, { method: "DELETE" });
      expect(c.status).toBe(200);
      expect(await c.json()).toEqual({ task_id: last, status: "CANCELLED" });
      expect((await call(`${own.url}/healthz`)).body.queued).toBe(before - 1);
      expect((await call(`${own.url}/result/${last}`)).body).toEqual({ task_id: last, status: "CANCELLED", result: null });
    } finally {
      await own.stop();
    }
  });

  test("409 AlreadyTerminal for a COMPLETED or CANCELLED task, naming its status", async () => {
    const add = await register(base, "(a, b) => a + b");
    const done = await run(base, add, "[1, 1]");
    const c = await cancel(done.task_id);
    expect(c.status).toBe(409);
    expect(c.body.error).toBe("AlreadyTerminal");
    expect(c.body.message).toContain("COMPLETED");
    expect(Object.keys(c.body).sort()).toEqual(["error", "message"]);
    expect((await call(`${base}/result/${done.task_id}`)).body.result).toBe("2");

    const slow = await register(base, SLOW);
    const id = await execute(slow);
    expect((await cancel(id)).status).toBe(200);
    const again = await cancel(id);
    expect([again.status, again.body.error]).toEqual([409, "AlreadyTerminal"]);
    expect(again.body.message).toContain("CANCELLED");
  });

  test("404 UnknownTask for an unknown task, with the one error shape", async () => {
    const c = await cancel("no-such-task");
    expect(c.status).toBe(404);
    expect(c.body.error).toBe("UnknownTask");
    expect(c.body.message).toContain("no-such-task");
    expect(Object.keys(c.body).sort()).toEqual(["error", "message"]);
  });

  test("405 for other methods on /tasks/{task_id}, naming DELETE and GET", async () => {
    for (const method of ["POST", "PUT"]) {
      const r = await fetch(`${base}/tasks/some-id`, { method, body: "{}" });
      expect([method, r.status, r.headers.get("allow")]).toEqual([method, 405, "DELETE, GET"]);
      expect(((await r.json()) as { error: string }).error).toBe("MethodNotAllowed");
    }
    expect((await fetch(`${base}/tasks`, { method: "DELETE" })).status).toBe(405); // GET /tasks lists them
  });

  test("/openapi.json documents DELETE /tasks/{task_id}", async () => {
    const doc = (await call(`${base}/openapi.json`)).body;
    const del = doc.paths["/tasks/{task_id}"].delete;
    expect(Object.keys(del.responses).sort()).toEqual(["200", "401", "403", "404", "409", "500", "503", "504"]);
  });
});
