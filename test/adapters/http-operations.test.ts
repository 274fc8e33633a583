/**
 * The operators' routes on the embedded server (memory store, real executor threads): GET /tasks
 * (newest first, filters, cursor paging, 400 naming the field), GET /tasks/{id} (everything about one
 * task: arguments, error with stack, attempts with where they ran), POST /tasks/{id}/retry and POST
 * /tasks/retry (once per task, 404/409 otherwise), GET /workers; with API keys, tenants see only their
 * own tasks (another's are 404) while every caller sees the workers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { awaitAll, call, register, run, submit } from "../../scripts/lib/http.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { startEmbeddedHere, stopAllHere } from "../helpers/roots.ts";

afterAll(() => stopAllHere());

const ALICE = "alice-key-0123456789abcdef";
const BOB = "bob-key-0123456789abcdefgh";
const ADMIN = "admin-key-0123456789abcdef";
const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

/** Resolves once Date.now() has passed the millisecond it was called in. */
function nextMillisecond(): Promise<number> {
  const now = Date.now();
  return waitFor(() => (Date.now() > now ? Date.now() : undefined), "the clock to move on", 1000, 1);
}

describe("operators' routes, keys off", () => {
  let u: string;
  let fn: string;
  beforeAll(() => {
    u = startEmbeddedHere().url;
  });

  test("GET /tasks: newest first with the function's name and the error's name; status and function filters; cursor pages", async () => {
    fn = await register(u, "(x) => { if (x < 0) throw new RangeError('negative: ' + x); return x * 2 }", { name: "double" });
    const other = await register(u, "() => 1", { name: "one" });
    // Finished tasks are listed by finish time in ms (ties by id): one task at a time can finish within
    // a millisecond of the last here, so each starts once the clock has moved on.
    const ok = await run(u, fn, "[1]");
    await nextMillisecond();
    const bad = await run(u, fn, "[-1]");
    await nextMillisecond();
    const one = await run(u, other, "[]");
    const list = await call(`${u}/tasks`);
    expect(list.status).toBe(200);
    expect(list.body.next_cursor).toBeNull();
    expect(list.body.tasks.map((t: any) => t.task_id)).toEqual([one.task_id, bad.task_id, ok.task_id]);
    expect(list.body.tasks[1]).toEqual({ task_id: bad.task_id, function_id: fn, function_name: "double", status: "FAILED", attempt: 1, created_at: expect.any(String), finished_at: expect.any(String), error_name: "RangeError" });
    expect(Date.parse(list.body.tasks[1].finished_at)).toBeGreaterThanOrEqual(Date.parse(list.body.tasks[1].created_at));
    expect((await call(`${u}/tasks?status=FAILED`)).body.tasks.map((t: any) => t.task_id)).toEqual([bad.task_id]);
    expect((await call(`${u}/tasks?function_id=${other}`)).body.tasks.map((t: any) => t.task_id)).toEqual([one.task_id]);
    expect((await call(`${u}/tasks?function_id=${fn}&status=COMPLETED`)).body.tasks.map((t: any) => t.task_id)).toEqual([ok.task_id]);
    const first = await call(`${u}/tasks?limit=2`);
    expect(first.body.tasks.length).toBe(2);
    const second = await call(`${u}/tasks?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.tasks.map((t: any) => t.task_id)).toEqual([ok.task_id]);
    expect(second.body.next_cursor).toBeNull();
  });

  test("GET /tasks refuses bad queries with 400 naming the field", async () => {
    for (const [query, field] of [["limit=1001", "limit"], ["limit=0", "limit"], ["limit=ten", "limit"], ["status=DONE", "status"], ["cursor=not-a-cursor!", "cursor"], ["cursor=QUJD", "cursor"]] as const) {
      const r = await call(`${u}/tasks?${query}`);
      expect([query, r.status, r.body.error, r.body.field]).toEqual([query, 400, "InvalidRequest", field]);
    }
    expect((await call(`${u}/tasks?limit=1000`)).status).toBe(200);
  });

  test("GET /tasks/{id}: arguments, the error with its stack, each attempt with where it ran, timestamps; 404 when unknown", async () => {
    const bad = await run(u, fn, "[-7]");
    const d = await call(`${u}/tasks/${bad.task_id}`);
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ task_id: bad.task_id, tenant: "default", function_id: fn, function_name: "double", status: "FAILED", payload: "[-7]", result: null, attempt: 1, max_attempts: 3, timeout_ms: 60_000, priority: 5 });
    expect(d.body.error).toEqual({ name: "RangeError", message: "negative: -7", stack: expect.stringContaining("RangeError: negative: -7") });
    expect(d.body.attempts).toEqual([{ attempt: 1, started_at: d.body.started_at, ended_at: d.body.finished_at, outcome: "FAILED", ran_on: expect.stringMatching(/^thread executor \d+$/), error: { name: "RangeError", message: "negative: -7" } }]);
    const ok = await run(u, fn, "[21]");
    const done = await call(`${u}/tasks/${ok.task_id}`);
    expect([done.body.result, done.body.error]).toEqual(["42", null]);
    const missing = await call(`${u}/tasks/no-such-task`);
    expect([missing.status, missing.body.error]).toEqual([404, "UnknownTask"]);
  });

  test("POST /tasks/{id}/retry: a new task with the same function and arguments, noted both ways; once only; only FAILED or CANCELLED", async () => {
    const bad = await run(u, fn, "[-3]");
    const r = await call(`${u}/tasks/${bad.task_id}/retry`, {});
    expect(r.status).toBe(201);
    const rerun = r.body.task_id as string;
    expect(rerun).not.toBe(bad.task_id);
    const done = await awaitAll(u, [rerun]);
    expect(done.get(rerun)?.status).toBe("FAILED");
    const fresh = await call(`${u}/tasks/${rerun}`);
    expect([fresh.body.function_id, fresh.body.payload, fresh.body.retry_of]).toEqual([fn, "[-3]", bad.task_id]);
    expect((await call(`${u}/tasks/${bad.task_id}`)).body.retried_as).toBe(rerun);
    const again = await call(`${u}/tasks/${bad.task_id}/retry`, {});
    expect([again.status, again.body.error]).toEqual([409, "NotRetriable"]);
    expect(again.body.message).toContain(rerun);
    const ok = await run(u, fn, "[1]");
    const notFailed = await call(`${u}/tasks/${ok.task_id}/retry`, {});
    expect([notFailed.status, notFailed.body.error]).toEqual([409, "NotRetriable"]);
    expect(notFailed.body.message).toContain("COMPLETED");
    expect((await call(`${u}/tasks/nope/retry`, {})).status).toBe(404);
  });

  test("POST /tasks/{id}/retry of a CANCELLED task: 201, and the new task runs (the old one's delay is not copied)", async () => {
    const f = await register(u, "(x) => x + 1", { name: "inc" });
    const queued = await call(`${u}/execute_function`, { function_id: f, payload: "[41]", delay_ms: 3_600_000 });
    expect(queued.status).toBe(201);
    const old = queued.body.task_id as string;
    const cancelled = await call(`${u}/tasks/${old}`, undefined, { method: "DELETE" });
    expect([cancelled.status, cancelled.body.status]).toEqual([200, "CANCELLED"]);
    const r = await call(`${u}/tasks/${old}/retry`, {});
    expect(r.status).toBe(201);
    const rerun = r.body.task_id as string;
    expect((await awaitAll(u, [rerun], 20_000)).get(rerun)).toMatchObject({ status: "COMPLETED", result: "42" });
    expect((await call(`${u}/tasks/${rerun}`)).body.retry_of).toBe(old);
    expect((await call(`${u}/tasks/${old}`)).body).toMatchObject({ status: "CANCELLED", retried_as: rerun });
    expect((await call(`${u}/tasks/${old}/retry`, {})).status).toBe(409);
  });

  test("POST /tasks/{id}/retry keeps the old task's options: priority, timeout, retry policy, max_attempts", async () => {
    const f = await register(u, "(x) => { throw new TypeError('no ' + x) }", { name: "refuses", max_attempts: 7 });
    const opts = { priority: 8, timeout_ms: 12_345, retry: { max_retries: 2, backoff_ms: 0, on: ["TypeError"] } };
    const old = await run(u, f, "[5]", opts);
    expect(old.status).toBe("FAILED");
    const before = (await call(`${u}/tasks/${old.task_id}`)).body;
    expect(before).toMatchObject({ priority: 8, timeout_ms: 12_345, max_attempts: 7, retries: 2 });
    const r = await call(`${u}/tasks/${old.task_id}/retry`, {});
    expect(r.status).toBe(201);
    const rerun = r.body.task_id as string;
    expect((await awaitAll(u, [rerun], 20_000)).get(rerun)?.status).toBe("FAILED");
    const after = (await call(`${u}/tasks/${rerun}`)).body;
    // `retries: 2` shows the retry policy came along: without it the first TypeError would be final
    expect(after).toMatchObject({ tenant: before.tenant, function_id: f, payload: "[5]", priority: 8, timeout_ms: 12_345, max_attempts: 7, retries: 2, retry_of: old.task_id });
    expect(after.attempts.length).toBe(3);
  });

  test("POST /tasks/retry: every FAILED task of a function not run again yet, counted; a second call finds none", async () => {
    const f = await register(u, "(x) => { throw new Error('always ' + x) }", { name: "always" });
    const failed = await Promise.all([1, 2, 3].map((i) => run(u, f, `[${i}]`)));
    expect(failed.every((t) => t.status === "FAILED")).toBe(true);
    const r = await call(`${u}/tasks/retry`, { status: "FAILED", function_id: f });
    expect([r.status, r.body]).toEqual([200, { retried: 3, more: false }]);
    const list = (await call(`${u}/tasks?function_id=${f}&limit=100`)).body.tasks;
    expect(list.length).toBe(6);
    await awaitAll(u, list.map((t: any) => t.task_id));
    // the three re-runs failed too and may be run again; the originals may not
    const second = await call(`${u}/tasks/retry`, { status: "FAILED", function_id: f });
    expect(second.body).toEqual({ retried: 3, more: false });
    const bad = await call(`${u}/tasks/retry`, { status: "COMPLETED" });
    expect([bad.status, bad.body.field]).toEqual([400, "status"]);
  });

  test("GET /workers: the embedded dispatcher with its executors", async () => {
    const r = await call(`${u}/workers`);
    expect(r.status).toBe(200);
    expect(r.body.dispatchers).toEqual([
      { dispatcher_id: "embedded", host: expect.any(String), mode: "embedded", started_at: expect.any(String), reported_at: expect.any(String), claiming: true, in_flight: expect.any(Number), tasks_done: expect.any(Number), executors: { isolation: "thread", live: expect.any(Number), max: 2 }, workers: [] },
    ]);
  });
});

describe("POST /tasks/retry: at most 10,000 per call", () => {
  test("10,001 FAILED tasks: the 10,000 newest are run again with `more: true`; the oldest is left for the next call", async () => {
    const u = startEmbeddedHere().url;
    const f = await register(u, "(x) => { throw new Error('no ' + x) }", { name: "no" });
    const oldest = await run(u, f, "[0]"); // finished before the others are even queued: the last in newest-first order
    expect(oldest.status).toBe("FAILED");
    const ids = await submit(u, f, Array.from({ length: 10_000 }, (_, i) => `[${i + 1}]`));
    const done = await awaitAll(u, ids, 120_000);
    expect([...done.values()].every((t) => t.status === "FAILED")).toBe(true);
    const r = await call(`${u}/tasks/retry`, { status: "FAILED", function_id: f }, { signal: AbortSignal.timeout(60_000) });
    expect([r.status, r.body]).toEqual([200, { retried: 10_000, more: true }]);
    expect((await call(`${u}/tasks/${oldest.task_id}`)).body.retried_as).toBeUndefined();
    expect((await call(`${u}/tasks/${ids[0]}`)).body.retried_as).toEqual(expect.any(String));
    expect((await call(`${u}/tasks/${ids[9_999]}`)).body.retried_as).toEqual(expect.any(String));
  }, 180_000);
});

describe("operators' routes, keys on: tenants", () => {
  let u: string;
  beforeAll(() => {
    u = startEmbeddedHere({ apiKeys: [{ tenant: "alice", key: ALICE }, { tenant: "bob", key: BOB }, { tenant: "admin", key: ADMIN }] }).url;
  });

  test("a tenant lists, reads and retries only its own tasks (another's are 404); admin sees all; every caller sees the workers", async () => {
    const fa = await register(u, "() => { throw new Error('a') }", {}, as(ALICE).headers);
    const fb = await register(u, "() => { throw new Error('b') }", {}, as(BOB).headers);
    const ta = await run(u, fa, "[]", {}, as(ALICE).headers);
    const tb = await run(u, fb, "[]", {}, as(BOB).headers);
    expect((await call(`${u}/tasks`, undefined, as(ALICE))).body.tasks.map((t: any) => t.task_id)).toEqual([ta.task_id]);
    expect((await call(`${u}/tasks?function_id=${fb}`, undefined, as(ALICE))).body.tasks).toEqual([]);
    expect((await call(`${u}/tasks`, undefined, as(ADMIN))).body.tasks.map((t: any) => t.task_id).sort()).toEqual([ta.task_id, tb.task_id].sort());
    expect((await call(`${u}/tasks/${tb.task_id}`, undefined, as(ALICE))).status).toBe(404);
    expect((await call(`${u}/tasks/${tb.task_id}/retry`, {}, as(ALICE))).status).toBe(404);
    expect((await call(`${u}/tasks/retry`, { status: "FAILED" }, as(ALICE))).body).toEqual({ retried: 1, more: false });
    expect((await call(`${u}/tasks/${tb.task_id}`, undefined, as(BOB))).body.retried_as).toBeUndefined();
    const rerun = (await call(`${u}/tasks/${ta.task_id}`, undefined, as(ALICE))).body.retried_as;
    expect((await call(`${u}/tasks/${rerun}`, undefined, as(ALICE))).body).toMatchObject({ tenant: "alice", retry_of: ta.task_id }); // the re-run is Alice's too
    for (const key of [ALICE, BOB, ADMIN]) {
      const w = await call(`${u}/workers`, undefined, as(key));
      expect([w.status, w.body.dispatchers.length]).toEqual([200, 1]);
    }
    expect((await call(`${u}/workers`)).status).toBe(401);
    expect((await call(`${u}/tasks?key=${ALICE}`)).status).toBe(200); // a browser route: ?key= is taken
    expect((await call(`${u}/tasks/retry?key=${ALICE}`, { status: "FAILED" })).status).toBe(401); // a key route: it is not
  });
});
