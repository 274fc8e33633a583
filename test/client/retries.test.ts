/**
 * The SDK's retry rules against small fake servers on port 0: 503 and 429 are retried (Retry-After
 * honoured) for every call, network errors for idempotent calls (execute and executeBatch included:
 * they carry an Idempotency-Key, the same on every attempt) but not for register, other errors never.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { networkReason } from "../../src/client/errors.ts";
import { FaasClient, FaasError, FaasNetworkError } from "../../src/client/index.ts";
import { Transport } from "../../src/client/transport.ts";

type Reply = (req: Request, n: number) => Response | Promise<Response>;
const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/** A fake API answering with `reply(req, n)` for the n-th request (1-based); counts requests per path. */
function fakeServer(reply: Reply): { url: string; count: (path?: string) => number } {
  const seen: string[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req) => {
      seen.push(new URL(req.url).pathname);
      return reply(req, seen.length);
    },
  });
  stops.push(() => server.stop(true));
  return { url: `http://127.0.0.1:${server.port}`, count: (path) => (path === undefined ? seen.length : seen.filter((p) => p === path).length) };
}

/** A TCP server that reads each request and then closes the connection without a reply. */
function droppingServer(): { url: string; count: () => number } {
  let requests = 0;
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket, data) {
        if (data.toString("latin1").includes("\r\n\r\n")) {
          requests++;
          socket.terminate();
        }
      },
    },
  });
  stops.push(() => listener.stop(true));
  return { url: `http://127.0.0.1:${listener.port}`, count: () => requests };
}

const json = (body: unknown, status: number, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const unavailable = (): Response => json({ error: "BackendUnavailable", message: "Redis is down" }, 503);

describe("retries", () => {
  test("503 twice then 201: execute succeeds on the third call", async () => {
    const fake = fakeServer((_req, n) => (n <= 2 ? unavailable() : json({ task_id: "t-1" }, 201)));
    const client = new FaasClient(fake.url, { retries: 3, backoffMs: 1 });
    expect(await client.execute("f", [1])).toBe("t-1");
    expect(fake.count("/execute_function")).toBe(3);
  });

  test("503 past the retry budget: a FaasError after retries + 1 calls", async () => {
    const fake = fakeServer(() => unavailable());
    const client = new FaasClient(fake.url, { retries: 2, backoffMs: 1 });
    const e = await client.register("() => 1").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FaasError);
    expect(e).toMatchObject({ status: 503, code: "BackendUnavailable", message: "Redis is down" });
    expect(fake.count()).toBe(3);
  });

  test("429 with Retry-After: 0 is retried", async () => {
    const fake = fakeServer((_req, n) =>
      n === 1 ? json({ error: "QueueFull", message: "queue full" }, 429, { "retry-after": "0" }) : json({ task_ids: ["a", "b"] }, 201),
    );
    const client = new FaasClient(fake.url, { retries: 3, backoffMs: 1 }); // the delay itself is checked on Transport below
    expect(await client.executeBatch("f", [[1], [2]])).toEqual(["a", "b"]);
    expect(fake.count("/execute_batch")).toBe(2);
  });

  test("the wait before a retry is Retry-After when sent, else backoff doubling from backoffMs", async () => {
    const fake = fakeServer((_req, n) =>
      n === 1 ? json({ error: "QueueFull", message: "full" }, 429, { "retry-after": "0" })
      : n === 2 ? json({ error: "QueueFull", message: "full" }, 429, { "retry-after": "2" })
      : n <= 4 ? json({ error: "BackendUnavailable", message: "down" }, 503) // no Retry-After: backoff
      : json({ ok: true }, 200),
    );
    const slept: number[] = [];
    const t = new Transport(fake.url, { retries: 5, backoffMs: 100, requestTimeoutMs: 5000, random: () => 1, sleep: async (ms) => void slept.push(ms) });
    expect(await t.send({ method: "POST", path: "/execute_function", body: {}, idempotent: false })).toEqual({ ok: true });
    expect(slept).toEqual([0, 2000, 400, 800]); // attempts 3 and 4 back off 100 * 2^2 and 100 * 2^3
    expect(fake.count()).toBe(5);
  });

  test("a network error on POST /register_function is not retried; the error says the outcome is unknown", async () => {
    const fake = droppingServer();
    const client = new FaasClient(fake.url, { retries: 3, backoffMs: 1 });
    const e = await client.register("() => 1").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FaasNetworkError);
    expect(e).toMatchObject({ method: "POST", path: "/register_function", outcomeUnknown: true, attempts: 1, url: `${fake.url}/register_function` });
    expect((e as Error).message).toStartWith(`POST ${fake.url}/register_function got no reply after 1 attempt(s): `);
    expect(fake.count()).toBe(1);
  });

  test("a network error on POST /execute_function is retried (it carries an idempotency key); the outcome is not unknown", async () => {
    const fake = droppingServer();
    const client = new FaasClient(fake.url, { retries: 3, backoffMs: 1 });
    const e = await client.execute("f", [1]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FaasNetworkError);
    expect(e).toMatchObject({ method: "POST", path: "/execute_function", outcomeUnknown: false, attempts: 4, url: `${fake.url}/execute_function` });
    expect(fake.count()).toBe(4);
  });

  test("a network error on an idempotent call (GET, POST /wait) is retried", async () => {
    const fake = droppingServer();
    const client = new FaasClient(fake.url, { retries: 2, backoffMs: 1 });
    const e = await client.status("t").catch((x: unknown) => x);
    expect(e).toMatchObject({ name: "FaasNetworkError", outcomeUnknown: false, attempts: 3 });
    expect(fake.count()).toBe(3);
    await client.wait(["t"], { timeoutS: 0 }).catch(() => undefined);
    expect(fake.count()).toBe(6);
  });

  test("a request timeout counts as a network error: retried for GET and POST /execute_batch, not for POST /register_function", async () => {
    const fake = fakeServer(() => new Promise<Response>(() => {})); // never answers
    const client = new FaasClient(fake.url, { retries: 1, backoffMs: 1, requestTimeoutMs: 100 });
    const get = await client.functions().catch((x: unknown) => x);
    expect(get).toBeInstanceOf(FaasNetworkError);
    expect(fake.count("/functions")).toBe(2);
    const batch = await client.executeBatch("f", [[1]]).catch((x: unknown) => x);
    expect(batch).toMatchObject({ name: "FaasNetworkError", outcomeUnknown: false });
    expect(fake.count("/execute_batch")).toBe(2);
    const reg = await client.register("() => 1").catch((x: unknown) => x);
    expect(reg).toMatchObject({ name: "FaasNetworkError", outcomeUnknown: true });
    expect(fake.count("/register_function")).toBe(1);
  });

  test("networkReason names the innermost cause, with its code when the message lacks it", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    expect(networkReason(new TypeError("fetch failed", { cause: refused }))).toBe("connect ECONNREFUSED 127.0.0.1:1");
    expect(networkReason(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }))).toBe("socket hang up (ECONNRESET)");
    expect(networkReason("plain")).toBe("plain");
  });

  test("400 is never retried, and its fields reach the FaasError", async () => {
    const fake = fakeServer(() => json({ error: "InvalidRequest", message: "payload must be a JSON array", field: "payload" }, 400));
    const client = new FaasClient(fake.url, { retries: 3, backoffMs: 1 });
    const e = await client.execute("f", [1]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FaasError);
    expect(e).toMatchObject({ status: 400, code: "InvalidRequest", message: "payload must be a JSON array", field: "payload" });
    const g = await client.status("t").catch((x: unknown) => x);
    expect(g).toMatchObject({ status: 400 });
    expect(fake.count()).toBe(2);
  });

  test("a reply that is not the error shape keeps its status, with code HttpError", async () => {
    const fake = fakeServer(() => new Response("<html>bad gateway</html>", { status: 502 }));
    const client = new FaasClient(fake.url, { retries: 3, backoffMs: 1 });
    const e = await client.health().catch((x: unknown) => x);
    expect(e).toMatchObject({ status: 502, code: "HttpError" });
    expect((e as FaasError).message).toContain("bad gateway");
    expect(fake.count()).toBe(1);
  });

  test("executeBatch that fails part-way reports the ids already queued", async () => {
    // 10,001 args: two chunks; the first succeeds, the second gets a 404
    const fake = fakeServer(async (req) => {
      const body = (await req.json()) as { payloads: string[] };
      if (body.payloads.length === 1) return json({ error: "UnknownFunction", message: "gone" }, 404);
      return json({ task_ids: body.payloads.map((_, i) => `t${i}`) }, 201);
    });
    const client = new FaasClient(fake.url, { retries: 0 });
    const e = (await client.executeBatch("f", Array.from({ length: 10_001 }, (_, i) => [i])).catch((x: unknown) => x)) as {
      name: string;
      taskIds: Array<string | undefined>;
      cause: unknown;
    };
    expect(e.name).toBe("BatchSubmitError");
    expect(e.taskIds.length).toBe(10_001);
    expect(e.taskIds[0]).toBe("t0");
    expect(e.taskIds[9_999]).toBe("t9999");
    expect(e.taskIds[10_000]).toBeUndefined();
    expect(e.cause).toMatchObject({ status: 404, code: "UnknownFunction" });
  });
});
