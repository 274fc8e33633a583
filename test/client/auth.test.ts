/**
 * The SDK and CLI with API keys: `apiKey` goes out as `Authorization: Bearer <key>` on every call; a
 * 401 or 403 is a FaasError at once, never retried (requests counted on a fake server); the CLI takes
 * `--api-key` and `FAAS_API_KEY` against an embedded server with keys on.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { Embedded } from "../../src/app/roots/embedded.ts";
import { main, type CliIo } from "../../src/client/cli-main.ts";
import { FaasClient, FaasError } from "../../src/client/index.ts";
import { startEmbeddedHere as startTestServer } from "../helpers/roots.ts";

const KEY = "sdk-key-0123456789abcdef";
const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/** A fake API that records each request's Authorization header and answers with `reply`. */
function fakeServer(reply: () => Response): { url: string; auth: Array<string | null> } {
  const auth: Array<string | null> = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req) => {
      auth.push(req.headers.get("authorization"));
      return reply();
    },
  });
  stops.push(() => server.stop(true));
  return { url: `http://127.0.0.1:${server.port}`, auth };
}

const json = (body: unknown, status: number, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

describe("SDK apiKey", () => {
  test("is sent as Authorization: Bearer on GET and POST calls; no header without it", async () => {
    const fake = fakeServer(() => json({ task_id: "t-1", status: "QUEUED", function_id: "f", functions: [] }, 200));
    const client = new FaasClient(fake.url, { apiKey: KEY });
    await client.execute("f", [1]);
    await client.status("t-1");
    await client.functions();
    expect(fake.auth).toEqual([`Bearer ${KEY}`, `Bearer ${KEY}`, `Bearer ${KEY}`]);
    await new FaasClient(fake.url).status("t-1");
    expect(fake.auth[3]).toBeNull();
  });

  test("a 401 is a FaasError after exactly one call, even for idempotent calls with retries left", async () => {
    const fake = fakeServer(() => json({ error: "Unauthorized", message: "This server requires an API key" }, 401, { "www-authenticate": "Bearer" }));
    const client = new FaasClient(fake.url, { retries: 5, backoffMs: 1 });
    for (const call of [() => client.status("t"), () => client.execute("f", []), () => client.wait(["t"], { timeoutS: 1 })]) {
      const before = fake.auth.length;
      const e = await call().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(FaasError);
      expect(e).toMatchObject({ status: 401, code: "Unauthorized" });
      expect(fake.auth.length - before).toBe(1);
    }
  });

  test("a 403 is a FaasError after exactly one call", async () => {
    const fake = fakeServer(() => json({ error: "Forbidden", message: "The API key sent is not valid for this server" }, 403));
    const client = new FaasClient(fake.url, { apiKey: "not-the-right-key-at-all", retries: 5, backoffMs: 1 });
    const e = await client.health().catch((x: unknown) => x);
    expect(e).toMatchObject({ status: 403, code: "Forbidden" });
    expect(fake.auth.length).toBe(1);
  });

  test("a key that cannot go in a header is refused before any request, without echoing it", () => {
    let message = "";
    try {
      new FaasClient("http://127.0.0.1:1", { apiKey: "has a space in it" });
    } catch (e) {
      expect(e).toBeInstanceOf(TypeError);
      message = (e as Error).message;
    }
    expect(message).toContain("apiKey");
    expect(message).not.toContain("has a space");
  });
});

describe("SDK and CLI against a server with keys", () => {
  let app: Embedded;
  beforeAll(() => {
    app = startTestServer({ apiKeys: [{ tenant: "default", key: KEY }] });
  });
  afterAll(() => app.stop());

  function io(): CliIo & { outText: () => string; errText: () => string } {
    let out = "";
    let err = "";
    return { out: (t) => void (out += t), err: (t) => void (err += t), stdin: async () => "", outText: () => out, errText: () => err };
  }

  test("run with the key works; a wrong key is a 403 FaasError", async () => {
    const faas = new FaasClient(app.url, { apiKey: KEY });
    expect(await faas.run((s: string) => s.length, ["hello"], { waitS: 30 })).toBe(5);
    const e = await new FaasClient(app.url, { apiKey: "wrong-key-0123456789abcdef" }).functions().catch((x: unknown) => x);
    expect(e).toMatchObject({ status: 403, code: "Forbidden" });
  });

  test("CLI: without a key exit 1 naming Unauthorized and FAAS_API_KEY; with --api-key or FAAS_API_KEY exit 0", async () => {
    const none = io();
    expect(await main(["functions", "--url", app.url], {}, none)).toBe(1);
    expect(none.errText()).toContain("Unauthorized (HTTP 401)");
    expect(none.errText()).toContain("FAAS_API_KEY");
    const flag = io();
    expect(await main(["health", "--url", app.url, "--api-key", KEY], {}, flag)).toBe(0);
    expect(await main(["functions", "--url", app.url, "--api-key", KEY], {}, flag)).toBe(0);
    expect(flag.errText()).toBe("");
    const env = io();
    expect(await main(["functions"], { FAAS_URL: app.url, FAAS_API_KEY: KEY }, env)).toBe(0);
    expect(env.errText()).toBe("");
    const wrong = io();
    expect(await main(["functions", "--url", app.url, "--api-key", "wrong-key-0123456789abcdef"], {}, wrong)).toBe(1);
    expect(wrong.errText()).toContain("Forbidden (HTTP 403)");
    expect(wrong.errText()).not.toContain("wrong-key-0123456789abcdef");
  });
});
