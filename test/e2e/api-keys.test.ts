/**
 * API keys in real processes: a short key stops `bun src/app/start.ts` and `bun src/app/api.ts` with
 * exit code 2 and a message naming the flag (never the key); `--api-keys` and `FAAS_API_KEYS` turn
 * keys on in the embedded server, and in `bun run api` on Redis, where the SDK with `apiKey` runs a
 * task through a dispatcher and the dashboard answers.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { FaasClient, FaasError } from "../../src/client/index.ts";
import { killAll, spawnServer } from "../../scripts/lib/processes.ts";
import { startRedisServer, type RedisServer } from "../../scripts/lib/redis-server.ts";
import { spawnDispatcher } from "../helpers/redis-stack.ts";

// Every test spawns processes (a server waits up to 20 s to be listening): more than the 5 s default.
setDefaultTimeout(60_000);

const root = new URL("../../", import.meta.url).pathname;
const KEY = "e2e-key-0123456789abcdef";

/** Runs an entry to its exit; returns the exit code and stderr. */
async function runToExit(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; err: string }> {
  const proc = Bun.spawn([process.execPath, ...argv], { cwd: root, env: { PATH: process.env.PATH ?? "", ...env }, stdout: "ignore", stderr: "pipe", stdin: "ignore" });
  const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  return { code, err };
}

describe("start-up with a bad key", () => {
  test("bun src/app/start.ts --api-keys short: exit 2, the message names --api-keys and the minimum", async () => {
    const r = await runToExit(["src/app/start.ts", "--api-keys", "short", "--port", "0"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("--api-keys");
    expect(r.err).toContain("at least 16 characters");
    expect(r.err).not.toContain('"short"');
  });

  test("FAAS_API_KEYS with a short key among good ones stops bun src/app/api.ts with exit 2, without echoing it", async () => {
    const r = await runToExit(["src/app/api.ts", "--port", "0"], { FAAS_API_KEYS: `${KEY},secret-tiny`, REDIS_URL: "redis://127.0.0.1:1" });
    expect(r.code).toBe(2);
    expect(r.err).toContain("FAAS_API_KEYS");
    expect(r.err).toContain("entry 2 of 2");
    expect(r.err).not.toContain("secret-tiny");
    expect(r.err).not.toContain(KEY);
  });
});

describe("embedded process with keys", () => {
  test("--api-keys: 401 without a key, 200 with it, /healthz open", async () => {
    const server = await spawnServer("start", ["--api-keys", KEY, "--workers", "1"]);
    try {
      expect((await fetch(`${server.url}/functions`)).status).toBe(401);
      expect((await fetch(`${server.url}/functions`, { headers: { "x-api-key": KEY } })).status).toBe(200);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.kill();
    }
  });

  test("FAAS_API_KEYS in the environment turns keys on", async () => {
    const m = await spawnServer("start", ["--workers", "1"], { FAAS_API_KEYS: KEY });
    try {
      const url = m.url;
      expect((await fetch(`${url}/functions`)).status).toBe(401);
      expect((await fetch(`${url}/functions`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
    } finally {
      await m.kill();
    }
  });
});

describe("bun run api on Redis with keys", () => {
  let redis: RedisServer | undefined;
  afterAll(async () => {
    await killAll();
    await redis?.[Symbol.asyncDispose]();
  });

  test("the SDK with apiKey runs a task through a dispatcher; without it, 401; /dashboard with ?key= lists the function", async () => {
    redis = await startRedisServer();
    const target = { url: redis.url, prefix: "e2e-api-keys" };
    const api = await spawnServer("api", ["--api-keys", KEY], { REDIS_URL: target.url, FAAS_PREFIX: target.prefix });
    spawnDispatcher(target, ["--workers", "1"]);
    const faas = new FaasClient(api.url, { apiKey: KEY });
    const id = await faas.register((a: number, b: number) => a * b, { name: "times" });
    expect(await faas.run(id, [6, 7], { waitS: 30 })).toBe(42);
    const anonymous = await new FaasClient(api.url, { retries: 0 }).functions().catch((e: unknown) => e);
    expect(anonymous).toBeInstanceOf(FaasError);
    expect(anonymous).toMatchObject({ status: 401, code: "Unauthorized" });
    const signIn = await fetch(`${api.url}/dashboard?key=${KEY}`, { redirect: "manual" }); // a redirect without the key, and a session
    expect(signIn.status).toBe(303);
    const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const page = await fetch(`${api.url}/dashboard`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`data-function="${id}"`);
    expect(html).toContain(">times</td>");
    expect((await fetch(`${api.url}/dashboard`)).status).toBe(401);
  });
});
