/**
 * Tenants in every mode (embedded, and on Redis with a local, push or pull dispatcher): with
 * `FAAS_API_KEYS="alice:K1,bob:K2,admin:K3"`, each tenant sees only its own functions and tasks, and
 * another tenant's are "not found" (404) on every route, never 403; GET /functions, /metrics and the
 * dashboard show the caller's tenant; `admin` sees everything.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { call } from "../../scripts/lib/http.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { parsePrometheus } from "../helpers/prometheus-text.ts";
import { startApiHere, startDispatcherHere, startEmbeddedHere, startWorkerHere, stopAllHere } from "../helpers/roots.ts";

setDefaultTimeout(20_000);
const ALICE = "alice-key-0123456789abcdef";
const BOB = "bob-key-0123456789abcdef";
const ADMIN = "admin-key-0123456789abcdef";
const KEYS = `alice:${ALICE},bob:${BOB},admin:${ADMIN}`;
const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await stopAllHere();
  await redis?.[Symbol.asyncDispose]();
});

const modes: Record<string, () => Promise<string>> = {
  embedded: async () => startEmbeddedHere({ apiKeys: KEYS.split(",").map((e) => ({ tenant: e.split(":")[0] as string, key: e.split(":")[1] as string })) }).url,
  "redis, local dispatcher": async () => {
    const target = { url: redis.url, prefix: "tenants-local" };
    await startDispatcherHere(target);
    return (await startApiHere(target, ["--api-keys", KEYS])).url;
  },
  "redis, push workers": async () => remote("push"),
  "redis, pull workers": async () => remote("pull"),
};

async function remote(mode: "push" | "pull"): Promise<string> {
  const target = { url: redis.url, prefix: `tenants-${mode}` };
  const d = await startDispatcherHere(target, ["--mode", mode]);
  startWorkerHere(["--mode", mode, "--url", d.endpoint as string]);
  await waitFor(() => d.log.count("worker.registered") > 0, "the worker to register");
  return (await startApiHere(target, ["--api-keys", KEYS])).url;
}

for (const [mode, start] of Object.entries(modes)) {
  describe(`tenants, ${mode}`, () => {
    let url = "";
    let fid = "";
    let tid = "";
    beforeAll(async () => {
      url = await start();
      const reg = await call(`${url}/register_function`, { name: "alice-fn", payload: "(x) => x + 1" }, as(ALICE));
      expect(reg.status).toBe(201);
      fid = reg.body.function_id;
      const ex = await call(`${url}/execute_function`, { function_id: fid, payload: "[41]" }, as(ALICE));
      tid = ex.body.task_id;
      const done = await call(`${url}/result/${tid}?wait=15`, undefined, as(ALICE));
      expect(done.body).toEqual({ task_id: tid, status: "COMPLETED", result: "42" });
    });

    test("another tenant gets 404 for them on every route, never 403, and no hint they exist", async () => {
      const bob = as(BOB);
      const replies = {
        function: await call(`${url}/functions/${fid}`, undefined, bob),
        execute: await call(`${url}/execute_function`, { function_id: fid, payload: "[1]" }, bob),
        batch: await call(`${url}/execute_batch`, { function_id: fid, payloads: ["[1]"] }, bob),
        status: await call(`${url}/status/${tid}`, undefined, bob),
        result: await call(`${url}/result/${tid}`, undefined, bob),
        longPoll: await call(`${url}/result/${tid}?wait=1`, undefined, bob),
        cancel: await call(`${url}/tasks/${tid}`, undefined, { ...bob, method: "DELETE" }),
      };
      const missing = await call(`${url}/status/no-such-task`, undefined, bob);
      for (const [route, r] of Object.entries(replies)) {
        expect([route, r.status]).toEqual([route, 404]);
        expect(Object.keys(r.body).sort()).toEqual(["error", "message"]);
      }
      expect(replies.status.body.error).toBe(missing.body.error);
      expect(replies.status.body.message).toBe(missing.body.message.replace("no-such-task", tid));
      const wait = await call(`${url}/wait`, { task_ids: [tid], timeout_s: 0 }, bob);
      expect(wait.body).toEqual({ results: [], pending: [], unknown: [tid] });
      expect((await call(`${url}/functions`, undefined, bob)).body.functions).toEqual([]);
      const page = await fetch(`${url}/dashboard?task=${tid}`, as(BOB));
      const html = await page.text();
      expect(html).toContain(`No task ${tid}`);
      expect(html).not.toContain("alice-fn");
      // and alice's task is untouched by bob's cancel
      expect((await call(`${url}/status/${tid}`, undefined, as(ALICE))).body.status).toBe("COMPLETED");
    });

    test("GET /functions and /metrics show the caller's tenant; admin sees everyone's", async () => {
      const bobFn = await call(`${url}/register_function`, { name: "bob-fn", payload: "() => 'b'" }, as(BOB));
      const bobTask = await call(`${url}/execute_function`, { function_id: bobFn.body.function_id, payload: "[]" }, as(BOB));
      await call(`${url}/result/${bobTask.body.task_id}?wait=15`, undefined, as(BOB));
      const names = async (key: string) => (await call(`${url}/functions`, undefined, as(key))).body.functions.map((f: { name: string }) => f.name).sort();
      expect(await names(ALICE)).toEqual(["alice-fn"]);
      expect(await names(BOB)).toEqual(["bob-fn"]);
      expect(await names(ADMIN)).toEqual(["alice-fn", "bob-fn"]);
      const submitted = async (key: string) => parsePrometheus((await call(`${url}/metrics`, undefined, as(key))).body as string);
      const [a, b, all] = [await submitted(ALICE), await submitted(BOB), await submitted(ADMIN)];
      expect([a.value("faas_tasks_submitted_total"), a.value("faas_functions_registered")]).toEqual([1, 1]);
      expect([b.value("faas_tasks_submitted_total"), b.value("faas_functions_registered")]).toEqual([1, 1]);
      expect([all.value("faas_tasks_submitted_total"), all.value("faas_functions_registered")]).toEqual([2, 2]);
      expect((await call(`${url}/status/${tid}`, undefined, as(ADMIN))).body.status).toBe("COMPLETED");
      const adminPage = await (await fetch(`${url}/dashboard`, as(ADMIN))).text();
      expect(adminPage).toContain("alice-fn");
      expect(adminPage).toContain("bob-fn");
    });

    test("POST /wait: a tenant's own unfinished task is pending for it and unknown to another tenant", async () => {
      const later = await call(`${url}/execute_function`, { function_id: fid, payload: "[1]", delay_ms: 60_000 }, as(ALICE));
      expect(later.status).toBe(201);
      const id = later.body.task_id;
      expect((await call(`${url}/wait`, { task_ids: [id, tid], timeout_s: 0 }, as(ALICE))).body).toMatchObject({ pending: [id], unknown: [] });
      expect((await call(`${url}/wait`, { task_ids: [id], timeout_s: 0 }, as(BOB))).body).toEqual({ results: [], pending: [], unknown: [id] });
      await call(`${url}/tasks/${id}`, undefined, { ...as(ALICE), method: "DELETE" });
    });
  });
}
