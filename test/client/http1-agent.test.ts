/**
 * The SDK's HTTP/1.1 client against Bun.serve and against raw TCP servers that count connections and
 * misbehave on purpose: requests on the wire, kept-alive connections and when they are not reused,
 * stale connections, aborts and time-outs, network failures, what goes to the fallback, and a
 * process with idle connections still exits.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Http1Agent, SDK_USER_AGENT, utf8Length } from "../../src/client/http1-agent.ts";
import type { FetchLike } from "../../src/client/transport.ts";
import { FaasClient } from "../../src/client/index.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/** Bun.serve on port 0 that echoes what it got (method, path, headers, body) as JSON. */
function echoServer(): string {
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const u = new URL(req.url);
      if (u.pathname === "/missing") return Response.json({ error: "NotFound", message: "no such thing" }, { status: 404 });
      return Response.json({ method: req.method, path: u.pathname + u.search, headers: Object.fromEntries(req.headers), body: await req.text() }, { headers: { "x-reply": "yes" } });
    },
  });
  stops.push(() => server.stop(true));
  return `http://127.0.0.1:${server.port}`;
}

interface RawServer {
  readonly url: string;
  /** Connections opened so far. */
  opened(): number;
  /** Connections the server has seen closed. */
  closed(): number;
  /** Requests received so far. */
  requests(): number;
}

/**
 * A raw TCP server: for the n-th request (1-based, over all connections) `answer(n)` gives the bytes
 * to write back, or "close" (close the connection without a reply), or "hold" (never answer).
 */
function rawServer(answer: (n: number) => string | "close" | "hold"): RawServer {
  let opened = 0;
  let closed = 0;
  let requests = 0;
  const listener = Bun.listen<{ buf: string }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        opened++;
        s.data = { buf: "" };
      },
      data(s, bytes) {
        s.data.buf += bytes.toString("latin1");
        for (;;) {
          const end = s.data.buf.indexOf("\r\n\r\n");
          if (end < 0) return;
          const length = Number(/content-length: (\d+)/i.exec(s.data.buf.slice(0, end))?.[1] ?? 0);
          if (s.data.buf.length < end + 4 + length) return;
          s.data.buf = s.data.buf.slice(end + 4 + length);
          const a = answer(++requests);
          if (a === "close") s.end();
          else if (a !== "hold") s.write(a);
        }
      },
      close() {
        closed++;
      },
    },
  });
  stops.push(() => listener.stop(true));
  return { url: `http://127.0.0.1:${listener.port}`, opened: () => opened, closed: () => closed, requests: () => requests };
}

const ok = (body = "ok", extra = ""): string => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

describe("Http1Agent", () => {
  test("sends method, path, headers and a UTF-8 body with its byte length; reads status, headers and text", async () => {
    const url = echoServer();
    const agent = new Http1Agent();
    const body = JSON.stringify({ say: "héllo ✓ 😀" });
    const r = await agent.send(`${url}/execute_function?wait=10`, { method: "post", headers: { "content-type": "application/json", "X-Custom": "1" }, body });
    expect(r.status).toBe(200);
    expect(r.headers).toContainEqual(["x-reply", "yes"]);
    const seen = JSON.parse(r.text);
    expect(seen.method).toBe("POST");
    expect(seen.path).toBe("/execute_function?wait=10");
    expect(seen.body).toBe(body);
    expect(seen.headers["content-length"]).toBe(String(new TextEncoder().encode(body).length));
    expect(seen.headers["x-custom"]).toBe("1");
    expect(seen.headers["user-agent"]).toBe(SDK_USER_AGENT);
    const withAgent = JSON.parse((await agent.send(url, { headers: new Headers({ "user-agent": "mine/1" }) })).text);
    expect(withAgent.headers["user-agent"]).toBe("mine/1");
    const missing = await agent.send(`${url}/missing`, { method: "GET" });
    expect([missing.status, JSON.parse(missing.text).error]).toEqual([404, "NotFound"]);
    agent.close();
  });

  test("a body larger than the socket takes at once is written whole (the rest on drain)", async () => {
    const url = echoServer();
    const agent = new Http1Agent();
    const body = "é".repeat(8 << 20); // 16 MiB of UTF-8
    const r = await agent.send(`${url}/big`, { method: "POST", body });
    const seen = JSON.parse(r.text) as { body: string; headers: Record<string, string> };
    expect(seen.headers["content-length"]).toBe(String(16 << 20));
    expect(seen.body.length).toBe(body.length);
    expect(seen.body === body).toBe(true);
    expect(JSON.parse((await agent.send(`${url}/after`, {})).text).path).toBe("/after");
    agent.close();
  });

  test("a connection whose reply came before its request was all written is not reused", async () => {
    let opened = 0;
    const listener = Bun.listen<{ answered: boolean }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(sock) {
          opened++;
          sock.data = { answered: false };
        },
        data(sock, bytes) {
          // answers at the first bytes of each connection, reads nothing more, keeps it open
          if (sock.data.answered || !bytes.toString("latin1").includes("\r\n\r\n")) return;
          sock.data.answered = true;
          sock.write("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 2\r\n\r\nno");
        },
      },
    });
    stops.push(() => listener.stop(true));
    const url = `http://127.0.0.1:${listener.port}`;
    const agent = new Http1Agent();
    const r = await agent.send(`${url}/big`, { method: "POST", body: "x".repeat(16 << 20) });
    expect([r.status, r.text]).toEqual([413, "no"]);
    expect(agent.idleCount).toBe(0);
    expect((await agent.send(`${url}/next`, {})).status).toBe(413);
    expect(opened).toBe(2);
    agent.close();
  });

  test("utf8Length counts bytes as TextEncoder writes them", () => {
    for (const s of ["", "abc", "é", "✓", "😀", "a😀b", "\ud800", "x\udc00y"]) expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
  });

  test("one connection carries requests one after another; concurrent requests get one each; idle ones are capped", async () => {
    const server = rawServer(() => ok());
    const agent = new Http1Agent({ maxIdle: 2 });
    for (let i = 0; i < 20; i++) expect((await agent.send(server.url, {})).text).toBe("ok");
    expect(server.opened()).toBe(1);
    await Promise.all(Array.from({ length: 5 }, () => agent.send(server.url, {})));
    expect(server.opened()).toBe(5);
    expect(agent.idleCount).toBe(2);
    await waitFor(() => server.closed() === 3, "the 3 connections over the cap to close", 5000);
    agent.close();
    await waitFor(() => server.closed() === 5, "close() to close the idle ones", 5000);
  });

  test("at most maxSockets requests in flight per server: the rest wait their turn and may be aborted while waiting", async () => {
    const server = rawServer((n) => ok(`reply ${n}`));
    const agent = new Http1Agent({ maxSockets: 2 });
    const texts = await Promise.all(Array.from({ length: 6 }, () => agent.send(server.url, {}).then((r) => r.text)));
    expect(texts.sort()).toEqual(["reply 1", "reply 2", "reply 3", "reply 4", "reply 5", "reply 6"]);
    expect(server.opened()).toBe(2);

    const hold = rawServer(() => "hold");
    const ctl = new AbortController();
    const first = agent.send(hold.url, {}).catch((x: unknown) => x);
    const second = agent.send(hold.url, {}).catch((x: unknown) => x);
    const queued = agent.send(hold.url, { signal: ctl.signal }).catch((x: unknown) => x);
    await waitFor(() => hold.requests() === 2, "two requests to arrive", 5000);
    ctl.abort();
    expect(((await queued) as Error).name).toBe("AbortError");
    expect(hold.opened()).toBe(2);
    stops.splice(-1, 1)[0]!(); // the held ones fail as the server goes
    expect(await first).toBeInstanceOf(TypeError);
    expect(await second).toBeInstanceOf(TypeError);
    agent.close();
  });

  test("a connection idle for idleMs, or whose reply said Connection: close or ran to the end, is not reused", async () => {
    let now = 0;
    const server = rawServer((n) => (n === 3 ? ok("ok", "Connection: close\r\n") : ok()));
    const agent = new Http1Agent({ idleMs: 1000, now: () => now });
    await agent.send(server.url, {});
    now = 999;
    await agent.send(server.url, {});
    expect(server.opened()).toBe(1);
    now = 2000;
    await agent.send(server.url, {}); // idle 1,001 ms: a new connection, and its reply closes it
    await agent.send(server.url, {});
    expect(server.opened()).toBe(3);
    agent.close();

    const toEnd = rawServer(() => "HTTP/1.0 200 OK\r\n\r\nall of it");
    const a2 = new Http1Agent();
    // (the server does not end the connection: close it from there after the first bytes)
    const first = a2.send(toEnd.url, {});
    await waitFor(() => toEnd.requests() === 1, "the request", 5000);
    stops.splice(-1, 1)[0]!(); // stop(true) closes the open connection
    expect((await first).text).toBe("all of it");
    expect(a2.idleCount).toBe(0);
  });

  test("a reused connection the server closed: GET goes again on a new one, POST fails as a network error", async () => {
    const server = rawServer((n) => (n === 2 || n === 5 ? "close" : ok(`reply ${n}`)));
    const agent = new Http1Agent();
    expect((await agent.send(server.url, {})).text).toBe("reply 1");
    expect((await agent.send(server.url, { method: "GET" })).text).toBe("reply 3"); // request 2 was dropped
    expect(server.opened()).toBe(2);
    expect((await agent.send(server.url, { method: "POST", body: "{}" })).text).toBe("reply 4");
    const e = await agent.send(server.url, { method: "POST", body: "{}" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TypeError);
    expect(String((e as Error).message)).toContain("fetch failed");
    expect(server.requests()).toBe(5); // the POST was not sent again
    expect((await agent.send(server.url, { method: "POST", body: "{}" })).text).toBe("reply 6");
    agent.close();
  });

  test("a signal aborts: the call rejects with its reason and the connection closes; an aborted signal sends nothing", async () => {
    const server = rawServer(() => "hold");
    const agent = new Http1Agent();
    const ctl = new AbortController();
    const call = agent.send(server.url, { signal: ctl.signal });
    await waitFor(() => server.requests() === 1, "the request to arrive", 5000);
    ctl.abort();
    const e = await call.catch((x: unknown) => x);
    expect((e as Error).name).toBe("AbortError");
    await waitFor(() => server.closed() === 1, "the aborted call's connection to close", 5000);
    const t = await agent.send(server.url, { signal: AbortSignal.timeout(50) }).catch((x: unknown) => x);
    expect((t as Error).name).toBe("TimeoutError");
    const before = server.opened();
    const pre = await agent.send(server.url, { signal: AbortSignal.abort() }).catch((x: unknown) => x);
    expect((pre as Error).name).toBe("AbortError");
    expect(server.opened()).toBe(before);
    expect(agent.idleCount).toBe(0);
  });

  test("network failures and replies that are not HTTP reject with a TypeError; the next call works", async () => {
    const agent = new Http1Agent();
    const refused = rawServer(() => ok());
    const port = new URL(refused.url).port;
    stops.splice(-1, 1)[0]!();
    const e = await agent.send(`http://127.0.0.1:${port}/`, {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TypeError);

    const garbage = rawServer((n) => (n === 1 ? "SSH-2.0-nope\r\n\r\n" : ok("fine")));
    const bad = await agent.send(garbage.url, {}).catch((x: unknown) => x);
    expect(bad).toBeInstanceOf(TypeError);
    expect(String((bad as Error).message)).toContain("not HTTP/1.1");
    expect((await agent.send(garbage.url, {})).text).toBe("fine");
    const injected = await agent.send(garbage.url, { headers: { "x-bad": "a\r\nInjected: 1" } }).catch((x: unknown) => x);
    expect(injected).toBeInstanceOf(TypeError);
    expect(String((injected as Error).message)).toContain("line break");
    expect(garbage.requests()).toBe(2);
    agent.close();
  });

  test("https, a body that is not a string, redirect other than follow, and a redirect go to the fallback", async () => {
    const asked: string[] = [];
    const fallback: FetchLike = async (input) => {
      asked.push(input);
      return new Response("from fallback", { status: 200 });
    };
    const server = rawServer(() => "HTTP/1.1 307 Temporary Redirect\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n");
    const agent = new Http1Agent({ fallback });
    expect((await agent.send("https://example.invalid/x", {})).text).toBe("from fallback");
    expect((await agent.send(`${server.url}/blob`, { method: "POST", body: new Uint8Array([1]) })).text).toBe("from fallback");
    expect((await agent.send(`${server.url}/manual`, { redirect: "manual" })).text).toBe("from fallback");
    expect(server.requests()).toBe(0);
    expect((await agent.send(`${server.url}/moved`, {})).text).toBe("from fallback");
    expect(server.requests()).toBe(1);
    expect(asked).toEqual(["https://example.invalid/x", `${server.url}/blob`, `${server.url}/manual`, `${server.url}/moved`]);
    agent.close();
  });

  test("a redirect of a POST: 307/308 asks the same again through the fallback; 301/302/303 becomes a GET there, never a second POST", async () => {
    const asked: { url: string; method: string; body: unknown }[] = [];
    const fallback: FetchLike = async (input, init) => {
      asked.push({ url: input, method: init.method ?? "GET", body: init.body });
      return new Response("followed", { status: 200 });
    };
    const server = rawServer((n) => `HTTP/1.1 ${n === 1 ? "307 Temporary Redirect" : "303 See Other"}\r\nLocation: /result/${n}\r\nContent-Length: 0\r\n\r\n`);
    const agent = new Http1Agent({ fallback });
    expect((await agent.send(`${server.url}/execute`, { method: "POST", body: "{}" })).text).toBe("followed");
    expect((await agent.send(`${server.url}/execute`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } })).text).toBe("followed");
    expect(asked).toEqual([
      { url: `${server.url}/execute`, method: "POST", body: "{}" },
      { url: `${server.url}/result/2`, method: "GET", body: undefined },
    ]);
    expect(server.requests()).toBe(2);
    agent.close();
  });

  test("a chunked reply is read whole", async () => {
    const server = rawServer(() => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n");
    const agent = new Http1Agent();
    expect((await agent.send(server.url, {})).text).toBe("abcdef");
    expect((await agent.send(server.url, {})).text).toBe("abcdef");
    expect(server.opened()).toBe(1);
    agent.close();
  });

  test("a process whose agent holds an idle connection still exits", async () => {
    const url = echoServer();
    const code = `import { Http1Agent } from ${JSON.stringify(new URL("../../src/client/http1-agent.ts", import.meta.url).pathname)};
      const a = new Http1Agent();
      const r = await a.send(${JSON.stringify(url)} + "/", {});
      console.log(r.status, a.idleCount);`;
    const proc = Bun.spawn([process.execPath, "-e", code], { stdout: "pipe", stderr: "pipe" });
    const exited = await Promise.race([proc.exited, new Promise<"stuck">((r) => setTimeout(() => r("stuck"), 20_000))]);
    if (exited === "stuck") proc.kill();
    expect(exited).toBe(0);
    expect((await new Response(proc.stdout).text()).trim()).toBe("200 1");
  }, 30_000);

  test("the SDK's default transport under Bun is this agent (its User-Agent reaches the server)", async () => {
    const agents: string[] = [];
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch(req) {
        agents.push(req.headers.get("user-agent") ?? "");
        return Response.json({ status: "ok" });
      },
    });
    stops.push(() => server.stop(true));
    await new FaasClient(`http://127.0.0.1:${server.port}`).health();
    await new FaasClient(`http://127.0.0.1:${server.port}`, { fetch: (i, init) => fetch(i, init) }).health();
    expect(agents[0]).toBe(SDK_USER_AGENT);
    expect(agents[1]).not.toBe(SDK_USER_AGENT);
  });
});
