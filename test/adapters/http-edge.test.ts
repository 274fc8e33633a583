/**
 * The HTTP edge against what a web page can make a browser do, on a real server bound to loopback:
 * DNS rebinding (a foreign Host gets 421), cross-site requests (a foreign Origin gets 403 and nothing
 * is done), and the dashboard's sign-in: `?key=` answered with a redirect that drops the key, sign-out,
 * failed sign-ins limited per client address (never globally), the form's 4 KiB cap, a foreign Origin
 * refused on the sign-in itself, Secure cookies behind a trusted proxy.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { call, register } from "../../scripts/lib/http.ts";
import { embeddedConfig } from "../../src/app/config.ts";
import { startEmbeddedHere, stopAllHere } from "../helpers/roots.ts";

const KEY = "edge-key-0123456789abcdef";
afterAll(() => stopAllHere());

function edge(flags: string[] = []) {
  return embeddedConfig(flags, {}).edge;
}

describe("Host and Origin", () => {
  const app = startEmbeddedHere({ edge: edge(["--allowed-hosts", "faas.internal", "--allowed-origins", "https://tools.example"]) });

  test("a loopback server answers Host localhost, 127.0.0.1, [::1] and allowed names; another name gets 421", async () => {
    for (const host of ["localhost", `localhost:${app.port}`, `127.0.0.1:${app.port}`, `[::1]:${app.port}`, `faas.internal:${app.port}`]) {
      expect([host, (await call(`${app.url}/healthz`, undefined, { headers: { host } })).status]).toEqual([host, 200]);
    }
    const r = await call(`${app.url}/functions`, undefined, { headers: { host: `attacker.example:${app.port}` } });
    expect(r.status).toBe(421);
    expect(r.body.error).toBe("MisdirectedRequest");
    expect(r.body.message).toContain("DNS-rebinding");
  });

  test("a foreign Origin is refused before anything is done; its own origin, an allowed one and no Origin pass", async () => {
    const before = (await call(`${app.url}/functions`)).body.functions.length;
    const body = { name: "from-a-page", payload: "() => 1" };
    const foreign = await call(`${app.url}/register_function`, body, { headers: { origin: "https://evil.example" } });
    expect([foreign.status, foreign.body.error]).toEqual([403, "ForbiddenOrigin"]);
    const nullOrigin = await call(`${app.url}/register_function`, body, { headers: { origin: "null" } });
    expect(nullOrigin.status).toBe(403);
    expect((await call(`${app.url}/functions`)).body.functions.length).toBe(before);
    expect((await call(`${app.url}/register_function`, body, { headers: { origin: app.url } })).status).toBe(201);
    expect((await call(`${app.url}/register_function`, body, { headers: { origin: "https://tools.example" } })).status).toBe(201);
    expect((await call(`${app.url}/register_function`, body)).status).toBe(201);
  });
});

describe("dashboard sign-in", () => {
  const keys = [{ tenant: "default", key: KEY }];

  test("?key= starts a session and redirects to the same page without the key", async () => {
    const app = startEmbeddedHere({ apiKeys: keys });
    const r = await fetch(`${app.url}/dashboard?task=abc&key=${KEY}`, { redirect: "manual" });
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/dashboard?task=abc");
    const cookie = (r.headers.get("set-cookie") ?? "").split(";")[0] as string;
    expect(cookie).toMatch(/^faas_session=[\w-]{43}$/);
    expect(await r.text()).not.toContain(KEY);
    const page = await fetch(`${app.url}/dashboard?task=abc`, { headers: { cookie }, redirect: "manual" });
    expect(page.status).toBe(200);
  });

  test("sign-out ends the session: the same cookie no longer opens the page", async () => {
    const app = startEmbeddedHere({ apiKeys: keys });
    const login = await fetch(`${app.url}/dashboard/login`, { method: "POST", body: `key=${KEY}`, headers: { "content-type": "application/x-www-form-urlencoded" }, redirect: "manual" });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const page = await fetch(`${app.url}/dashboard`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('action="/dashboard/logout"');
    const out = await fetch(`${app.url}/dashboard/logout`, { method: "POST", headers: { cookie }, redirect: "manual" });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await fetch(`${app.url}/dashboard`, { headers: { cookie } })).status).toBe(401);
  });

  test("failed sign-ins are limited per client address, not globally; X-Forwarded-For counts only behind --trust-proxy", async () => {
    const app = startEmbeddedHere({ apiKeys: keys, edge: edge(["--trust-proxy"]) });
    const attempt = (key: string, from: string) =>
      fetch(`${app.url}/dashboard/login`, { method: "POST", body: `key=${key}`, headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": from }, redirect: "manual" });
    for (let i = 0; i < 10; i++) expect((await attempt("wrong-key-0123456789abcdef", "203.0.113.7")).status).toBe(403);
    const blocked = await attempt(KEY, "203.0.113.7");
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await attempt(KEY, "198.51.100.2")).status).toBe(303); // someone else still signs in

    const direct = startEmbeddedHere({ apiKeys: keys }); // no proxy: the header is not believed
    const tryDirect = (from: string) => fetch(`${direct.url}/dashboard/login`, { method: "POST", body: "key=nope-0123456789abcdef", headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": from }, redirect: "manual" });
    for (let i = 0; i < 10; i++) await tryDirect(`192.0.2.${i}`); // all count for the one real address
    expect((await tryDirect("192.0.2.99")).status).toBe(429);
  });

  test("the sign-in form stops at 4 KiB, declared or streamed: 413 with a clear message, and nobody is signed in", async () => {
    const app = startEmbeddedHere({ apiKeys: keys });
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const body = (size: number) => `key=${KEY}&pad=${"x".repeat(size - `key=${KEY}&pad=`.length)}`;
    const signIn = (b: string | ReadableStream<Uint8Array>) => fetch(`${app.url}/dashboard/login`, { method: "POST", body: b, headers: form, redirect: "manual" });
    const streamed = (text: string) => {
      const bytes = new TextEncoder().encode(text);
      return new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < bytes.length; i += 1000) c.enqueue(bytes.subarray(i, i + 1000)); // chunked: no Content-Length
          c.close();
        },
      });
    };
    for (const [what, tooBig] of [["declared", body(4097)], ["streamed", streamed(body(64 * 1024))]] as const) {
      const r = await signIn(tooBig);
      expect([what, r.status, r.headers.get("set-cookie")]).toEqual([what, 413, null]);
      const reply = (await r.json()) as { error: string; message: string };
      expect(reply.error).toBe("PayloadTooLarge");
      expect(reply.message).toContain("A sign-in form must be at most 4096 bytes");
    }
    // the same valid key in a form of exactly 4 KiB signs in
    const fits = await signIn(body(4096));
    expect(fits.status).toBe(303);
    expect(fits.headers.get("set-cookie")).toMatch(/^faas_session=/);
  });

  test("a sign-in posted from a foreign Origin is refused (403) even with a valid key; the server's own origin signs in", async () => {
    const app = startEmbeddedHere({ apiKeys: keys });
    const signIn = (origin: string) =>
      fetch(`${app.url}/dashboard/login`, { method: "POST", body: `key=${KEY}`, headers: { "content-type": "application/x-www-form-urlencoded", origin }, redirect: "manual" });
    for (const origin of ["https://evil.example", "null"]) {
      const r = await signIn(origin);
      expect([origin, r.status, r.headers.get("set-cookie")]).toEqual([origin, 403, null]);
      expect(((await r.json()) as { error: string }).error).toBe("ForbiddenOrigin");
    }
    const own = await signIn(app.url);
    expect(own.status).toBe(303);
    expect(own.headers.get("set-cookie")).toMatch(/^faas_session=/);
  });

  test("behind a trusted proxy that says https, the session cookie is Secure", async () => {
    const app = startEmbeddedHere({ apiKeys: keys, edge: edge(["--trust-proxy", "--allowed-origins", "https://faas.example"]) });
    const r = await fetch(`${app.url}/dashboard/login`, { method: "POST", body: `key=${KEY}`, headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-proto": "https" }, redirect: "manual" });
    expect(r.headers.get("set-cookie")).toContain("; Secure");
    const plain = startEmbeddedHere({ apiKeys: keys });
    const p = await fetch(`${plain.url}/dashboard/login`, { method: "POST", body: `key=${KEY}`, headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-proto": "https" }, redirect: "manual" });
    expect(p.headers.get("set-cookie")).not.toContain("Secure");
  });
});

describe("start-up rules", () => {
  test("no API keys on a non-loopback address refuses to start, unless --insecure-no-auth", () => {
    expect(() => embeddedConfig(["--host", "0.0.0.0"], {})).toThrow("Refusing to listen on 0.0.0.0 without API keys");
    expect(embeddedConfig(["--host", "0.0.0.0", "--insecure-no-auth"], {}).edge.insecureNoAuth).toBe(true);
    expect(embeddedConfig(["--host", "0.0.0.0"], { FAAS_API_KEYS: KEY }).apiKeys).toHaveLength(1);
    expect(embeddedConfig(["--host", "127.0.0.1"], {}).apiKeys).toEqual([]);
  });
});
