/**
 * CURVE between our own sockets, and our CURVE server against a byte-level client: roles for
 * every socket type, peer keys, allow-lists, dropping peers, the octets on the wire, cookie
 * replays, encrypted PING/PONG.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { encodeCommand, encodeMetadata, encodePing } from "../../src/lib/zmtp/commands.ts";
import { CurveCodec, MESSAGE_OVERHEAD } from "../../src/lib/zmtp/curve-codec.ts";
import { OutBuffer } from "../../src/lib/zmtp/frame-encoder.ts";
import { encodeGreeting } from "../../src/lib/zmtp/greeting.ts";
import { curveKeyPair, Dealer, Reply, Request, Router, z85Decode, type SocketBase } from "../../src/lib/zmtp/index.ts";
import { clientOptions, echo, nextEvent, serverOptions } from "./curve-helpers.ts";
import { RawCurveClient, RawCurveConnection, rawKeys } from "./curve-raw-client.ts";
import { RawPeer } from "./raw-peer.ts";
import { waitFor, within } from "./wait.ts";

const sockets: SocketBase[] = [];
const raws: RawCurveConnection[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
  for (const r of raws.splice(0)) r.close();
});
function track<T extends SocketBase>(s: T): T {
  sockets.push(s);
  return s;
}
async function rawConnection(port: number): Promise<RawCurveConnection> {
  const c = await RawCurveConnection.open(port);
  raws.push(c);
  return c;
}
const texts = (frames: Buffer[]) => frames.map((f) => f.toString());

describe("roles: any socket type can be the CURVE server or client, whichever side binds", () => {
  const server = curveKeyPair();
  const cases: [string, () => SocketBase, () => SocketBase, boolean][] = [
    ["REP server (bound) <- REQ client", () => new Reply(serverOptions(server)), () => new Request(clientOptions(server.publicKey)), true],
    ["REP server connects to a bound REQ client", () => new Reply(serverOptions(server)), () => new Request(clientOptions(server.publicKey)), false],
    ["ROUTER server (bound) <- DEALER client", () => new Router(serverOptions(server)), () => new Dealer({ ...clientOptions(server.publicKey), routingId: "c" }), true],
    ["DEALER server (bound) <- ROUTER client", () => new Dealer({ ...serverOptions(server), routingId: "s" }), () => new Router(clientOptions(server.publicKey)), true],
    ["DEALER server connects to a bound DEALER client", () => new Dealer(serverOptions(server)), () => new Dealer(clientOptions(server.publicKey)), false],
  ];
  for (const [name, makeServer, makeClient, serverBinds] of cases) {
    test(name, async () => {
      const s = track(makeServer());
      const c = track(makeClient());
      const [binder, connector] = serverBinds ? [s, c] : [c, s];
      await binder.bind("tcp://127.0.0.1:0");
      connector.connect(binder.lastEndpoint as string);
      await waitFor(() => s.peerCount === 1 && c.peerCount === 1, "the CURVE handshake");
      if (c instanceof Request && s instanceof Reply) {
        await c.send(["ask", ""]);
        expect(texts(await within(s.receive(), "request"))).toEqual(["ask", ""]);
        await s.send("answer");
        expect(texts(await within(c.receive(), "reply"))).toEqual(["answer"]);
      } else if (c instanceof Router) {
        await c.send(["s", "to server", "2"]);
        expect(texts(await within(s.receive(), "message"))).toEqual(["to server", "2"]);
      } else {
        await (c as Dealer).send(["to server", "2"]);
        const got = texts(await within(s.receive(), "message"));
        expect(got.slice(-2)).toEqual(["to server", "2"]);
      }
    });
  }
});

describe("peers and keys", () => {
  test("handshake events on both sides; the Router reads each client's long-term key by routing id", async () => {
    const server = curveKeyPair();
    const a = curveKeyPair();
    const b = curveKeyPair();
    const router = track(new Router(serverOptions(server)));
    await router.bind("tcp://127.0.0.1:0");
    const serverSaw = nextEvent(router, "handshake");
    const da = track(new Dealer({ ...clientOptions(server.publicKey, a), routingId: "a" }));
    const db = track(new Dealer({ ...clientOptions(server.publicKey, b), routingId: "b" }));
    const clientSaw = nextEvent(da, "handshake");
    da.connect(router.lastEndpoint as string);
    db.connect(router.lastEndpoint as string);
    expect((await serverSaw).address).toBe(router.lastEndpoint as string);
    expect((await clientSaw).address).toBe(router.lastEndpoint as string);
    await waitFor(() => router.peerCount === 2, "two clients");
    expect(router.peerPublicKey("a")).toEqual(z85Decode(a.publicKey));
    expect(router.peerPublicKey(Buffer.from("b"))).toEqual(z85Decode(b.publicKey));
    expect(router.peerPublicKey("nobody")).toBeUndefined();
    expect(track(new Router()).peerPublicKey("a")).toBeUndefined();
  });

  test("curveAllow as a function; one that throws refuses the client instead of failing the socket", async () => {
    const server = curveKeyPair();
    const good = curveKeyPair();
    const bad = curveKeyPair();
    const seen: string[] = [];
    const allow = (key: Uint8Array) => {
      seen.push(Buffer.from(key).toString("hex"));
      if (Buffer.from(key).equals(z85Decode(bad.publicKey))) throw new Error("allow-list store is down");
      return Buffer.from(key).equals(z85Decode(good.publicKey));
    };
    const rep = track(new Reply(serverOptions(server, allow)));
    await rep.bind("tcp://127.0.0.1:0");
    const served = echo(rep);
    const refused = nextEvent(rep, "handshake:error:auth");
    const badReq = track(new Request(clientOptions(server.publicKey, bad)));
    const clientRefused = nextEvent(badReq, "handshake:error:auth");
    const goodReq = track(new Request(clientOptions(server.publicKey, good)));
    badReq.connect(rep.lastEndpoint as string);
    goodReq.connect(rep.lastEndpoint as string);
    await badReq.send("x");
    await goodReq.send("y");
    expect(texts(await within(goodReq.receive(), "good reply"))).toEqual(["y"]);
    expect((await refused).error.message).toContain("curveAllow threw: allow-list store is down");
    expect((await clientRefused).error.message).toContain("refused our key (ERROR 400)");
    // the refusal names the client: its address and the key it proved it holds; the client's event names no key
    expect((await refused).publicKey).toBe(bad.publicKey);
    expect((await refused).peer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((await clientRefused).peer).toBe(`127.0.0.1:${new URL((rep.lastEndpoint as string).replace("tcp:", "http:")).port}`);
    expect((await clientRefused).publicKey).toBeUndefined();
    expect(served.received.map(texts)).toEqual([["y"]]);
    expect(seen).toContain(Buffer.from(z85Decode(good.publicKey)).toString("hex"));
  });

  test("disconnectPeer drops every live connection of a key, and only those", async () => {
    const server = curveKeyPair();
    const shared = curveKeyPair();
    const other = curveKeyPair();
    const router = track(new Router(serverOptions(server)));
    await router.bind("tcp://127.0.0.1:0");
    const twins = [1, 2].map((i) => track(new Dealer({ ...clientOptions(server.publicKey, shared), routingId: `twin${i}`, reconnectInterval: -1 })));
    const third = track(new Dealer({ ...clientOptions(server.publicKey, other), routingId: "third" }));
    for (const d of [...twins, third]) d.connect(router.lastEndpoint as string);
    await waitFor(() => router.peerCount === 3, "three clients");
    const lost = twins.map((d) => nextEvent(d, "disconnect"));
    expect(router.disconnectPeer(shared.publicKey)).toBe(2);
    await Promise.all(lost);
    expect(router.routingIds.map(String)).toEqual(["third"]);
    await third.send("still served");
    expect(texts(await within(router.receive(), "message from the third client"))).toEqual(["third", "still served"]);
    expect(router.disconnectPeer(z85Decode(shared.publicKey))).toBe(0);
  });

  test("recheckCurveAllow is for CURVE servers only", () => {
    expect(() => track(new Router()).recheckCurveAllow()).toThrow("needs a CURVE server socket, this one is NULL");
  });
});

describe("on the wire", () => {
  async function curveRouter(allow?: Set<string>) {
    const server = curveKeyPair();
    const router = track(new Router(serverOptions(server, allow)));
    await router.bind("tcp://127.0.0.1:0");
    return { server, router, port: RawPeer.portOf(router.lastEndpoint) };
  }

  test("greeting says CURVE and as-server 1; WELCOME is 168 octets; READY carries the metadata; MESSAGE nonces count up", async () => {
    const { server, router, port } = await curveRouter();
    const conn = await rawConnection(port);
    const greeting = await conn.greet();
    expect(greeting.equals(encodeGreeting("CURVE", true))).toBe(true);
    expect(greeting[32]).toBe(1);
    const client = new RawCurveClient(rawKeys(server.publicKey, curveKeyPair()));
    const hello = client.hello();
    expect(hello.length).toBe(200);
    conn.command(hello);
    const welcome = await conn.frame();
    expect(welcome.flags).toBe(0x04);
    expect(welcome.body.length).toBe(168);
    expect(welcome.body.subarray(0, 8).toString("latin1")).toBe("\x07WELCOME");
    const opened = client.welcome(welcome.body);
    expect(opened?.cookie.length).toBe(96);
    conn.command(client.initiate(opened!, "DEALER"));
    const ready = await conn.frame();
    expect(ready.body.subarray(0, 6).toString("latin1")).toBe("\x05READY");
    expect(ready.body.readUInt32BE(10)).toBe(1);
    const metadata = client.ready(opened!, ready.body);
    expect(Buffer.from(metadata!.metadata).equals(encodeMetadata([["Socket-Type", Buffer.from("ROUTER")], ["Identity", new Uint8Array(0)]]))).toBe(true);

    await waitFor(() => router.peerCount === 1, "the raw client to be a peer");
    const id = router.routingIds[0] as Buffer;
    await router.send([id, "one", "two"]);
    const reader = new CurveCodec(opened!.sessionKey, "client", 3, metadata!.nonce, -1);
    const frames = [await conn.frame(), await conn.frame()];
    expect(frames.map((f) => f.flags)).toEqual([0, 0]);
    expect(frames.map((f) => f.body.readUInt32BE(12))).toEqual([2, 3]);
    expect(frames.map((f) => f.body.length)).toEqual([3 + MESSAGE_OVERHEAD, 3 + MESSAGE_OVERHEAD]);
    expect(frames.map((f) => reader.open(f.flags, f.body)?.toString())).toEqual(["one", "two"]);
  });

  test("a PING inside a MESSAGE gets a PONG inside a MESSAGE", async () => {
    const { server, port } = await curveRouter();
    const conn = await rawConnection(port);
    const { codec } = await conn.handshake(new RawCurveClient(rawKeys(server.publicKey, curveKeyPair())), "DEALER");
    const out = new OutBuffer();
    codec.sealCommand(out, encodePing(10, Buffer.from("ctx")));
    const chunks: Buffer[] = [];
    out.flushTo({ write: (d) => (chunks.push(Buffer.from(d)), d.byteLength) });
    conn.peer.write(Buffer.concat(chunks));
    const pong = await conn.message(codec);
    expect(pong.flags).toBe(0x04);
    expect(pong.body.equals(encodeCommand("PONG", Buffer.from("ctx")))).toBe(true);
  });

  test("a burst of 3,000 messages with a PING answered in the middle keeps nonces strictly increasing", async () => {
    const { server, router, port } = await curveRouter();
    const conn = await rawConnection(port);
    const { codec } = await conn.handshake(new RawCurveClient(rawKeys(server.publicKey, curveKeyPair())), "DEALER");
    await waitFor(() => router.peerCount === 1, "the raw client to be a peer");
    const id = router.routingIds[0] as Buffer;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 1500; i++) sends.push(router.send([id, `m${i}`, Buffer.alloc(i % 7 === 0 ? 3000 : 10, i)]));
    const out = new OutBuffer();
    codec.sealCommand(out, encodePing(10, Buffer.from("mid")));
    const chunks: Buffer[] = [];
    out.flushTo({ write: (d) => (chunks.push(Buffer.from(d)), d.byteLength) });
    conn.peer.write(Buffer.concat(chunks));
    for (let i = 1500; i < 3000; i++) sends.push(router.send([id, `m${i}`, Buffer.alloc(10, i)]));
    await within(Promise.all(sends), "the sends to be queued", 20_000);
    // conn.message() opens each MESSAGE with the client's codec, which refuses any nonce out of order.
    const seen: string[] = [];
    let pongs = 0;
    while (seen.length < 3000) {
      const first = await conn.message(codec);
      if (first.flags === 0x04) {
        expect(first.body.equals(encodeCommand("PONG", Buffer.from("mid")))).toBe(true);
        pongs++;
        continue;
      }
      const second = await conn.message(codec);
      expect(second.body.length).toBe(seen.length % 7 === 0 && seen.length < 1500 ? 3000 : 10);
      seen.push(first.body.toString());
    }
    expect(seen).toEqual(Array.from({ length: 3000 }, (_, i) => `m${i}`));
    expect(pongs).toBe(1);
  }, 30_000);

  for (const [fault, make] of [
    ["an altered box", (m: Buffer) => Buffer.from(m.map((b, i) => (i === m.length - 1 ? b ^ 1 : b)))],
    ["a replayed nonce", (_m: Buffer, previous: Buffer) => previous],
  ] as const) {
    test(`a bulk of 400 messages with ${fault} at 250: the 250 before it are delivered, nothing after`, async () => {
      const { server, router, port } = await curveRouter();
      const drops: string[] = [];
      router.events.on("disconnect", (e) => drops.push(e.reason));
      const conn = await rawConnection(port);
      const { codec } = await conn.handshake(new RawCurveClient(rawKeys(server.publicKey, curveKeyPair())), "DEALER");
      const sealed = Array.from({ length: 400 }, (_, i) => RawCurveConnection.sealed(codec, [`m${i}`, Buffer.alloc(200, i)]));
      sealed[250] = make(sealed[250] as Buffer, sealed[249] as Buffer);
      const bulk = Buffer.concat(sealed);
      expect(bulk.length).toBeGreaterThan(64 * 1024); // one write, read in several large chunks
      conn.peer.write(bulk);
      await within(conn.peer.closed, "the connection to be dropped");
      const got: string[] = [];
      while (router.receiveQueueLength > 0) got.push(String((await router.receive())[1]));
      expect(got).toEqual(Array.from({ length: 250 }, (_, i) => `m${i}`));
      expect(drops).toHaveLength(1);
      expect(drops[0]).toMatch(/box did not open|replayed or reordered/);
    });
  }

  test("an INITIATE replayed on another connection is refused (each cookie opens once)", async () => {
    const { server, router, port } = await curveRouter();
    const failures: string[] = [];
    router.events.on("handshake:error:protocol", (e) => failures.push(e.error.message));
    const client = new RawCurveClient(rawKeys(server.publicKey, curveKeyPair()));
    const first = await rawConnection(port);
    const { initiate, hello } = await first.handshake(client, "DEALER");
    await waitFor(() => router.peerCount === 1, "the first connection");
    const second = await rawConnection(port);
    await second.greet();
    second.command(hello);
    await second.frame();
    second.command(initiate);
    await within(second.peer.closed, "the replaying connection to be dropped");
    expect(failures).toEqual(["CURVE INITIATE cookie did not open (forged, expired, or used before)"]);
    expect(router.peerCount).toBe(1);
  });

  test("a vouch for another transient key, another server, or from a key other than the one claimed is refused", async () => {
    const { server, router, port } = await curveRouter();
    const failures: string[] = [];
    router.events.on("handshake:error:protocol", (e) => failures.push(e.error.message));
    const client = new RawCurveClient(rawKeys(server.publicKey, curveKeyPair()));
    const stranger = curveKeyPair();
    const changes = [
      { vouchTransient: new RawCurveClient(client.keys).transient.publicKey },
      { vouchServer: z85Decode(curveKeyPair().publicKey) },
    ];
    for (const change of changes) {
      const conn = await rawConnection(port);
      await conn.greet();
      conn.command(client.hello());
      const welcome = client.welcome((await conn.frame()).body)!;
      conn.command(client.initiate(welcome, "DEALER", change));
      await within(conn.peer.closed, "the connection to be dropped");
    }
    // Claims `stranger`'s public key but vouches with its own secret key.
    const conn = await rawConnection(port);
    await conn.greet();
    conn.command(client.hello());
    const welcome = client.welcome((await conn.frame()).body)!;
    const forged = { publicKey: z85Decode(stranger.publicKey), secretKey: client.keys.client.secretKey };
    conn.command(client.initiate(welcome, "DEALER", { longTerm: forged }));
    await within(conn.peer.closed, "the connection to be dropped");
    expect(failures).toEqual([
      "CURVE INITIATE vouch is for another connection or another server",
      "CURVE INITIATE vouch is for another connection or another server",
      "CURVE INITIATE vouch did not open: the client does not hold the key it claims",
    ]);
    expect(router.peerCount).toBe(0);
  });
});
