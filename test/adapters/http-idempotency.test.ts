/**
 * Idempotency keys over HTTP (embedded server, port 0, API keys for two tenants): the key in the
 * Idempotency-Key header or the idempotency_key field; 201 for the first request, 200 with the same
 * ids for the same request again (however its JSON is spelled, header or field), nothing new submitted
 * (the tenant's submitted counter); 409 for another request under the key (another payload, option,
 * function or route); 400 for a bad key or a header and field that differ; keys per tenant.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { call, register } from "../../scripts/lib/http.ts";
import { parsePrometheus } from "../helpers/prometheus-text.ts";
import { startEmbeddedHere, stopAllHere } from "../helpers/roots.ts";

const ALICE = "alice-key-0123456789abcdef";
const BOB = "bob-key-0123456789abcdef";
const app = startEmbeddedHere({ apiKeys: [{ tenant: "alice", key: ALICE }, { tenant: "bob", key: BOB }] });
afterAll(() => stopAllHere());

const as = (key: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${key}`, ...extra });
/** POSTs a body (an object, or JSON text as written) as `key`'s tenant with more headers. */
const post = (path: string, body: unknown, key = ALICE, headers: Record<string, string> = {}) => call(`${app.url}${path}`, body, { headers: as(key, headers) });
const submitted = async (key: string): Promise<number> => parsePrometheus((await call(`${app.url}/metrics`, undefined, { headers: as(key) })).body).value("faas_tasks_submitted_total");
const SLOW = "(x) => x";

describe("Idempotency-Key on /execute_function and /execute_batch", () => {
  test("the same key and request: 201, then 200 with the same id, header or field, however the JSON is spelled; nothing new submitted", async () => {
    const fid = await register(app.url, SLOW, {}, as(ALICE));
    const first = await post("/execute_function", { function_id: fid, payload: "[1]" }, ALICE, { "idempotency-key": "order-1" });
    expect(first.status).toBe(201);
    const before = await submitted(ALICE);
    const again = [
      await post("/execute_function", { function_id: fid, payload: "[1]" }, ALICE, { "idempotency-key": "order-1" }),
      await post("/execute_function", { payload: "[1]", function_id: fid, idempotency_key: "order-1" }),
      await post("/execute_function", `{ "idempotency_key": "order-1",\n  "payload": "[1]", "function_id": "${fid}" }`, ALICE, { "idempotency-key": "order-1" }),
      await post("/execute_function", { function_id: fid, payload: "[1]" }, ALICE, { "idempotency-key": '"order-1"' }), // the IETF draft's quoted form
    ];
    for (const r of again) expect([r.status, r.body]).toEqual([200, { task_id: first.body.task_id }]);
    expect(await submitted(ALICE)).toBe(before);
  });

  test("a batch takes one key: 201, then 200 with the same ids in order", async () => {
    const fid = await register(app.url, SLOW, {}, as(ALICE));
    const body = { function_id: fid, payloads: ["[1]", "[2]", "[3]"], idempotency_key: "batch-1" };
    const first = await post("/execute_batch", body);
    expect(first.status).toBe(201);
    const before = await submitted(ALICE);
    const again = await post("/execute_batch", body);
    expect([again.status, again.body]).toEqual([200, { task_ids: first.body.task_ids }]);
    expect(await submitted(ALICE)).toBe(before);
  });

  test("the same key with another payload, option, function or route is 409 IdempotencyConflict naming the key", async () => {
    const fid = await register(app.url, SLOW, {}, as(ALICE));
    const other = await register(app.url, SLOW, {}, as(ALICE));
    const key = { "idempotency-key": "order-2" };
    expect((await post("/execute_function", { function_id: fid, payload: "[1]" }, ALICE, key)).status).toBe(201);
    const before = await submitted(ALICE);
    for (const body of [{ function_id: fid, payload: "[2]" }, { function_id: fid, payload: "[1]", priority: 9 }, { function_id: other, payload: "[1]" }]) {
      const r = await post("/execute_function", body, ALICE, key);
      expect([r.status, r.body.error]).toEqual([409, "IdempotencyConflict"]);
      expect(r.body.message).toContain('"order-2"');
    }
    const batch = await post("/execute_batch", { function_id: fid, payloads: ["[1]"] }, ALICE, key);
    expect([batch.status, batch.body.error]).toEqual([409, "IdempotencyConflict"]);
    expect(await submitted(ALICE)).toBe(before);
  });

  test("keys belong to a tenant: the same key from two tenants queues one task for each", async () => {
    const fa = await register(app.url, SLOW, {}, as(ALICE));
    const fb = await register(app.url, SLOW, {}, as(BOB));
    const a = await post("/execute_function", { function_id: fa, payload: "[1]" }, ALICE, { "idempotency-key": "shared" });
    const b = await post("/execute_function", { function_id: fb, payload: "[1]" }, BOB, { "idempotency-key": "shared" });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.task_id).not.toBe(b.body.task_id);
  });

  test("a request refused (404 unknown function) does not keep its key", async () => {
    const fid = await register(app.url, SLOW, {}, as(ALICE));
    const key = { "idempotency-key": "order-3" };
    expect((await post("/execute_function", { function_id: "nope", payload: "[1]" }, ALICE, key)).status).toBe(404);
    expect((await post("/execute_function", { function_id: fid, payload: "[1]" }, ALICE, key)).status).toBe(201);
  });

  test("a bad key is 400 naming the header or the field; a header and field that differ are 400; the same in both is fine", async () => {
    const fid = await register(app.url, SLOW, {}, as(ALICE));
    const body = { function_id: fid, payload: "[1]" };
    for (const bad of ["", "a b", "k".repeat(256)]) {
      const r = await post("/execute_function", body, ALICE, { "idempotency-key": bad });
      expect([JSON.stringify(bad).slice(0, 20), r.status, r.body.error, r.body.field]).toEqual([JSON.stringify(bad).slice(0, 20), 400, "InvalidRequest", "Idempotency-Key"]);
      expect(r.body.message).toStartWith("Idempotency-Key header: ");
    }
    for (const bad of ["", "a b", "k".repeat(256), "clé"]) {
      const r = await post("/execute_batch", { function_id: fid, payloads: ["[1]"], idempotency_key: bad });
      expect([r.status, r.body.error, r.body.field]).toEqual([400, "InvalidRequest", "idempotency_key"]);
    }
    const differ = await post("/execute_function", { ...body, idempotency_key: "one" }, ALICE, { "idempotency-key": "two" });
    expect([differ.status, differ.body.field]).toEqual([400, "idempotency_key"]);
    expect(differ.body.message).toContain("Idempotency-Key header and the idempotency_key field differ");
    expect((await post("/execute_function", { ...body, idempotency_key: "same" }, ALICE, { "idempotency-key": "same" })).status).toBe(201);
    expect((await post("/execute_function", body, ALICE, { "idempotency-key": "k".repeat(255) })).status).toBe(201);
  });

  test("without a key, the same request twice queues twice (201 both times)", async () => {
    const fid = await register(app.url, SLOW, {}, as(ALICE));
    const a = await post("/execute_function", { function_id: fid, payload: "[1]" });
    const b = await post("/execute_function", { function_id: fid, payload: "[1]" });
    expect([a.status, b.status, a.body.task_id === b.body.task_id]).toEqual([201, 201, false]);
  });
});
