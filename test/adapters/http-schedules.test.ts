/**
 * The /schedules routes on the embedded server with API keys: create (400 naming the bad field, 404
 * for an unknown or another tenant's function), list, read, pause, resume, delete (another tenant's
 * schedule is 404, as a missing one), ticks that become tasks which run, and every reply as the
 * OpenAPI document says.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { call } from "../../scripts/lib/http.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { conforms, type OpenApiDoc } from "../helpers/openapi-conformance.ts";
import { startEmbeddedHere, stopAllHere } from "../helpers/roots.ts";

const KEYS = { alice: "alice-key-0123456789abcdef", bob: "bob-key-0123456789abcdef", admin: "admin-key-0123456789abcdef" };
const app = startEmbeddedHere({ apiKeys: Object.entries(KEYS).map(([tenant, key]) => ({ tenant, key })), isolation: "thread" });
afterAll(() => stopAllHere());
const as = (who: keyof typeof KEYS, method?: string): RequestInit => ({ headers: { authorization: `Bearer ${KEYS[who]}` }, ...(method !== undefined && { method }) });

let doc: OpenApiDoc;
let fid: string;

async function checked(path: string, method: string, url: string, body: unknown, init: RequestInit): Promise<{ status: number; body: any }> {
  doc ??= (await call(`${app.url}/openapi.json`)).body as OpenApiDoc;
  const reply = await call(`${app.url}${url}`, body, init);
  conforms(doc, path, method, reply);
  return reply;
}

const create = (body: unknown, who: keyof typeof KEYS = "alice") => checked("/schedules", "post", "/schedules", body, as(who));
const onId = (method: string, suffix: string, id: string, who: keyof typeof KEYS) =>
  checked(`/schedules/{schedule_id}${suffix}`, method.toLowerCase(), `/schedules/${encodeURIComponent(id)}${suffix}`, undefined, as(who, method));

describe("POST /schedules", () => {
  test("creates a schedule: 201 with its id and first tick (RFC 3339, UTC)", async () => {
    fid = (await call(`${app.url}/register_function`, { name: "double", payload: "(x: number) => x * 2" }, as("alice"))).body.function_id;
    const before = Date.now();
    const r = await create({ function_id: fid, cron: "0 0 1 1 *", payload: "[21]" });
    expect(r.status).toBe(201);
    expect(r.body.next_run_at).toMatch(/^\d{4}-01-01T00:00:00\.000Z$/);
    expect(Date.parse(r.body.next_run_at)).toBeGreaterThan(before);
    const every = await create({ function_id: fid, every_ms: 60_000, payload: "[1]", priority: 9, timeout_ms: 500 });
    expect(every.status).toBe(201);
    expect(Date.parse(every.body.next_run_at) - before).toBeGreaterThanOrEqual(60_000);
  });

  test("400 names the field: cron or every_ms (exactly one), a bad cron, every_ms under a second, payload, priority", async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ function_id: fid, payload: "[]" }, "cron", "got neither"],
      [{ function_id: fid, payload: "[]", cron: "* * * * *", every_ms: 1000 }, "cron", "not both"],
      [{ function_id: fid, payload: "[]", cron: "61 * * * *" }, "cron", 'cron minute field "61"'],
      [{ function_id: fid, payload: "[]", cron: "0 0 30 2 *" }, "cron", "never matches"],
      [{ function_id: fid, payload: "[]", every_ms: 999 }, "every_ms", "every_ms"],
      [{ function_id: fid, payload: "{}", every_ms: 1000 }, "payload", "JSON array"],
      [{ function_id: fid, payload: "[]", every_ms: 1000, priority: 10 }, "priority", "priority"],
      [{ function_id: fid, payload: "[]", every_ms: 1000, timeout_ms: 0 }, "timeout_ms", "timeout_ms"],
      [{ function_id: fid, payload: "[]", every_ms: 1000, extra: 1 }, "extra", "Unknown field"],
    ];
    for (const [body, field, words] of cases) {
      const r = await create(body);
      expect([body, r.status, r.body.field]).toEqual([body, 400, field]);
      expect(r.body.message).toContain(words);
    }
  });

  test("404 for an unknown function and for another tenant's", async () => {
    const unknown = await create({ function_id: "nope", every_ms: 1000, payload: "[]" });
    expect([unknown.status, unknown.body.error]).toEqual([404, "UnknownFunction"]);
    const foreign = await create({ function_id: fid, every_ms: 1000, payload: "[]" }, "bob");
    expect([foreign.status, foreign.body.error]).toEqual([404, "UnknownFunction"]);
  });
});

describe("the other routes", () => {
  test("list and read: each tenant its own (admin every one); another tenant's schedule is 404 on every route", async () => {
    const mine = (await checked("/schedules", "get", "/schedules", undefined, as("alice"))).body.schedules as any[];
    expect(mine.length).toBe(2);
    // the two were created one after the other, maybe within one millisecond: found by what they hold, not by place
    const every = mine.find((x) => x.every_ms !== undefined);
    const yearly = mine.find((x) => x.cron !== undefined);
    expect(every).toMatchObject({ function_id: fid, every_ms: 60_000, payload: "[1]", priority: 9, timeout_ms: 500, paused: false, created: expect.any(String) });
    expect(yearly).toMatchObject({ cron: "0 0 1 1 *", payload: "[21]" });
    expect((await checked("/schedules", "get", "/schedules", undefined, as("bob"))).body).toEqual({ schedules: [] });
    expect(((await checked("/schedules", "get", "/schedules", undefined, as("admin"))).body.schedules as any[]).length).toBe(2);
    const id = yearly.schedule_id as string;
    expect((await onId("GET", "", id, "alice")).body).toEqual(yearly);
    expect((await onId("GET", "", id, "admin")).status).toBe(200);
    for (const [method, suffix] of [["GET", ""], ["POST", "/pause"], ["POST", "/resume"], ["DELETE", ""]] as const) {
      const r = await onId(method, suffix, id, "bob");
      expect([method, suffix, r.status, r.body.error]).toEqual([method, suffix, 404, "UnknownSchedule"]);
    }
    expect((await onId("GET", "", "no-such-schedule", "alice")).status).toBe(404);
    expect((await onId("GET", "", id, "alice")).body.paused).toBe(false); // bob's attempts changed nothing
  });

  test("pause shows no next run; resume shows the next tick after now; delete answers once, then 404", async () => {
    const id = ((await checked("/schedules", "get", "/schedules", undefined, as("alice"))).body.schedules as any[])[1].schedule_id as string;
    const paused = await onId("POST", "/pause", id, "alice");
    expect(paused.body).toMatchObject({ schedule_id: id, paused: true, next_run_at: null });
    expect((await onId("POST", "/pause", id, "alice")).body.paused).toBe(true);
    const resumed = await onId("POST", "/resume", id, "alice");
    expect(resumed.body.paused).toBe(false);
    expect(Date.parse(resumed.body.next_run_at)).toBeGreaterThan(Date.now() - 1000);
    expect((await onId("DELETE", "", id, "alice")).body).toEqual({ schedule_id: id, deleted: true });
    expect((await onId("DELETE", "", id, "alice")).status).toBe(404);
    expect((await onId("GET", "", id, "alice")).status).toBe(404);
  });

  test("ticks become tasks of the schedule's tenant that run; the schedule names its last one", async () => {
    const created = await create({ function_id: fid, every_ms: 1000, payload: "[21]" });
    const id = created.body.schedule_id as string;
    const last = await waitFor(async () => (await onId("GET", "", id, "alice")).body.last_task_id as string | undefined, "a tick to fire");
    expect(last.startsWith(`${id}@`)).toBe(true);
    const result = await call(`${app.url}/result/${encodeURIComponent(last)}?wait=10`, undefined, as("alice"));
    expect(result.body).toEqual({ task_id: last, status: "COMPLETED", result: "42" });
    expect((await call(`${app.url}/status/${encodeURIComponent(last)}`, undefined, as("bob"))).status).toBe(404);
    expect((await onId("DELETE", "", id, "alice")).status).toBe(200);
  });
});
