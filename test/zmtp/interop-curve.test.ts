/**
 * CURVE interop with libzmq (zeromq 6.8.0 under Node): libzmq as client of our CURVE servers,
 * libzmq as server for our CURVE clients, and the refusals. In every refusal test a good peer
 * connects at the same time and its answer is the control: once it has its reply, the bad
 * peer must still have nothing.
 */
import { describe, expect, test } from "bun:test";
import { curveKeyPair, Dealer, Reply, Request, Router, z85Decode } from "../../src/lib/zmtp/index.ts";
import { clientOptions, echo, nextEvent, pattern, serverOptions } from "./curve-helpers.ts";
import { texts, useLibzmq } from "./libzmq-fixture.ts";
import { waitFor, within } from "./wait.ts";

const fx = useLibzmq();
/** A mechanism mismatch as the side that notices it reports it, or as the side the other dropped sees it. */
const MISMATCH = /Expected security mechanism "(CURVE|NULL)", got "(NULL|CURVE)"|closed the connection during the (CURVE|NULL) handshake/;
const { track, libzmq } = fx;

/**
 * Sends from a libzmq client that is being refused: the message is queued if libzmq still has
 * a pipe for the connection attempt; once libzmq dropped it (after a refusal) the send fails at
 * once (`sendTimeout: 0`) instead of blocking. Either way nothing may reach the server.
 */
async function sendOrRefused(sock: string, text: string): Promise<void> {
  await fx.zmq.send(sock, [text]).catch((error: { code?: string }) => {
    if (error.code !== "EAGAIN") throw error;
  });
}

/** zeromq.js options for a CURVE client. */
function libzmqClient(serverPublicKey: string, client = curveKeyPair(), extra: Record<string, unknown> = {}) {
  return { curveServerKey: serverPublicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey, ...extra };
}

describe("CURVE: libzmq clients, our servers", () => {
  test("libzmq Dealer -> our Router: multi-frame and 1 MiB both ways; the Router sees the client's key", async () => {
    const server = curveKeyPair();
    const client = curveKeyPair();
    const router = track(new Router(serverOptions(server)));
    await router.bind("tcp://127.0.0.1:0");
    const dealer = await libzmq("Dealer", libzmqClient(server.publicKey, client, { routingId: "lz" }));
    await fx.zmq.connect(dealer, router.lastEndpoint as string);
    const big = pattern(1024 * 1024, 1);
    await fx.zmq.send(dealer, ["a", "", big, "z"]);
    const [id, ...body] = await within(router.receive(), "message from libzmq");
    expect(String(id)).toBe("lz");
    expect(body.map((b) => b.length)).toEqual([1, 0, big.length, 1]);
    expect(body[2]?.equals(big)).toBe(true);
    expect(texts([body[0]!, body[1]!, body[3]!])).toEqual(["a", "", "z"]);
    expect(router.peerPublicKey("lz")).toEqual(z85Decode(client.publicKey));

    const back = pattern(1024 * 1024, 2);
    await router.send(["lz", back, "", "end"]);
    const got = await fx.zmq.receive(dealer);
    expect(got.length).toBe(3);
    expect(got[0]?.equals(back)).toBe(true);
    expect(texts(got.slice(1))).toEqual(["", "end"]);
  });

  test("libzmq Request -> our Reply: 200 round trips in order", async () => {
    const server = curveKeyPair();
    const rep = track(new Reply(serverOptions(server)));
    await rep.bind("tcp://127.0.0.1:0");
    const served = echo(rep);
    const req = await libzmq("Request", libzmqClient(server.publicKey));
    await fx.zmq.connect(req, rep.lastEndpoint as string);
    const replies = await fx.zmq.requestSeq(req, 200);
    expect(replies).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
    expect(served.received.length).toBe(200);
  });
});

describe("CURVE: our clients, libzmq servers", () => {
  test("our Dealer -> libzmq Router: multi-frame and 1 MiB both ways", async () => {
    const server = curveKeyPair();
    const router = await libzmq("Router", { curveServer: true, curveSecretKey: server.secretKey });
    const endpoint = await fx.zmq.bind(router);
    const dealer = track(new Dealer({ ...clientOptions(server.publicKey), routingId: "ours" }));
    dealer.connect(endpoint);
    const big = pattern(1024 * 1024, 3);
    await dealer.send(["x", big, "", "y"]);
    const [id, ...body] = await fx.zmq.receive(router);
    expect(String(id)).toBe("ours");
    expect(body[1]?.equals(big)).toBe(true);
    expect(texts([body[0]!, body[2]!, body[3]!])).toEqual(["x", "", "y"]);

    const back = pattern(1024 * 1024, 4);
    await fx.zmq.send(router, ["ours", "", back]);
    const got = await within(dealer.receive(), "reply from libzmq");
    expect(got[0]?.length).toBe(0);
    expect(got[1]?.equals(back)).toBe(true);
  });

  test("our Request -> libzmq Reply: 200 round trips with a 1 MiB request in the middle", async () => {
    const server = curveKeyPair();
    const rep = await libzmq("Reply", { curveServer: true, curveSecretKey: server.secretKey });
    const endpoint = await fx.zmq.bind(rep);
    await fx.zmq.echo(rep, "lz");
    const req = track(new Request(clientOptions(server.publicKey)));
    req.connect(endpoint);
    for (let i = 0; i < 200; i++) {
      const body = i === 100 ? pattern(1024 * 1024, 5) : Buffer.from(`q${i}`);
      await req.send(body);
      const [echoed, tag] = await within(req.receive(), `reply ${i}`);
      expect(echoed?.equals(body)).toBe(true);
      expect(String(tag)).toBe("lz");
    }
  });
});

describe("CURVE bursts", () => {
  test("5,000 messages from our Dealer to a libzmq Router, and 5,000 back, in order", async () => {
    const server = curveKeyPair();
    // mandatory: a libzmq Router drops messages to a peer at its high-water mark otherwise.
    const router = await libzmq("Router", { curveServer: true, curveSecretKey: server.secretKey, mandatory: true });
    const endpoint = await fx.zmq.bind(router);
    const dealer = track(new Dealer({ ...clientOptions(server.publicKey), routingId: "burst" }));
    dealer.connect(endpoint);
    const received = fx.zmq.receiveSeq(router, 5000);
    for (let i = 0; i < 5000; i++) await dealer.send(["x", `m${i}`]);
    const { texts: got, first } = await received;
    expect(texts(first)).toEqual(["burst", "x", "m0"]);
    expect(got).toEqual(Array.from({ length: 5000 }, (_, i) => `m${i}`));

    await fx.zmq.sendSeq(router, 5000, ["burst"]);
    for (let i = 0; i < 5000; i++) expect(texts(await within(dealer.receive(), `message ${i}`))).toEqual([`m${i}`]);
  }, 30_000);

  test("5,000 messages from a libzmq Dealer to our Router, echoed back in a burst", async () => {
    const server = curveKeyPair();
    const router = track(new Router(serverOptions(server)));
    await router.bind("tcp://127.0.0.1:0");
    const dealer = await libzmq("Dealer", libzmqClient(server.publicKey, curveKeyPair(), { routingId: "lz" }));
    await fx.zmq.connect(dealer, router.lastEndpoint as string);
    const echoed = fx.zmq.receiveSeq(dealer, 5000);
    await fx.zmq.sendSeq(dealer, 5000);
    for (let i = 0; i < 5000; i++) {
      const [id, body] = await within(router.receive(), `message ${i}`);
      expect(String(body)).toBe(`m${i}`);
      void router.send([id as Buffer, body as Buffer]);
    }
    expect((await echoed).texts).toEqual(Array.from({ length: 5000 }, (_, i) => `m${i}`));
  }, 30_000);
});

describe("CURVE refusals: nothing passes, while a good peer at the same time gets its answer", () => {
  test("a libzmq client with the wrong server key", async () => {
    const server = curveKeyPair();
    const router = track(new Router(serverOptions(server)));
    await router.bind("tcp://127.0.0.1:0");
    const served = echo(router);
    const refused = nextEvent(router, "handshake:error:protocol");
    const bad = await libzmq("Dealer", libzmqClient(curveKeyPair().publicKey, curveKeyPair(), { routingId: "bad", sendTimeout: 0 }));
    const good = await libzmq("Dealer", libzmqClient(server.publicKey, curveKeyPair(), { routingId: "good" }));
    await fx.zmq.connect(bad, router.lastEndpoint as string);
    await fx.zmq.connect(good, router.lastEndpoint as string);
    await sendOrRefused(bad, "from bad");
    await fx.zmq.send(good, ["from good"]);
    expect(texts(await fx.zmq.receive(good))).toEqual(["from good"]);
    expect((await refused).error.message).toContain("HELLO box did not open");
    expect(served.received.map(texts)).toEqual([["good", "from good"]]);
    expect(router.routingIds.map(String)).toEqual(["good"]);
  });

  test("a libzmq client not on the allow-list gets ERROR 400 (auth failure on both sides)", async () => {
    const server = curveKeyPair();
    const allowed = curveKeyPair();
    const router = track(new Router(serverOptions(server, new Set([allowed.publicKey]))));
    await router.bind("tcp://127.0.0.1:0");
    const served = echo(router);
    const refused = nextEvent(router, "handshake:error:auth");
    const bad = await libzmq("Dealer", libzmqClient(server.publicKey, curveKeyPair(), { routingId: "stranger", sendTimeout: 0 }));
    const good = await libzmq("Dealer", libzmqClient(server.publicKey, allowed, { routingId: "member" }));
    await fx.zmq.watch(bad);
    await fx.zmq.connect(bad, router.lastEndpoint as string);
    await fx.zmq.connect(good, router.lastEndpoint as string);
    await sendOrRefused(bad, "let me in");
    await fx.zmq.send(good, ["hello"]);
    expect(texts(await within(fx.zmq.receive(good), "reply to the allowed client"))).toEqual(["hello"]);
    expect((await refused).error.message).toContain("not on the allow-list");
    const seen = await within(fx.zmq.waitEvent(bad, ["handshake:error:auth", "handshake:error:protocol", "handshake:error:other"]), "libzmq's handshake failure");
    expect(seen.type).toBe("handshake:error:auth");
    expect(served.received.map(texts)).toEqual([["member", "hello"]]);
  });

  test("a libzmq NULL client against our CURVE Router", async () => {
    const server = curveKeyPair();
    const router = track(new Router(serverOptions(server)));
    await router.bind("tcp://127.0.0.1:0");
    const served = echo(router);
    const refused = nextEvent(router, "handshake:error:protocol");
    const bad = await libzmq("Dealer", { routingId: "plain", sendTimeout: 0 });
    const good = await libzmq("Dealer", libzmqClient(server.publicKey, curveKeyPair(), { routingId: "good" }));
    await fx.zmq.connect(bad, router.lastEndpoint as string);
    await fx.zmq.connect(good, router.lastEndpoint as string);
    await sendOrRefused(bad, "in the clear");
    await fx.zmq.send(good, ["sealed"]);
    expect(texts(await fx.zmq.receive(good))).toEqual(["sealed"]);
    expect((await refused).error.message).toMatch(MISMATCH);
    expect(served.received.map(texts)).toEqual([["good", "sealed"]]);
  });

  test("a libzmq CURVE client against our NULL Router", async () => {
    const router = track(new Router());
    await router.bind("tcp://127.0.0.1:0");
    const served = echo(router);
    const refused = nextEvent(router, "handshake:error:protocol");
    const bad = await libzmq("Dealer", libzmqClient(curveKeyPair().publicKey, curveKeyPair(), { routingId: "curve", sendTimeout: 0 }));
    const good = await libzmq("Dealer", { routingId: "plain" });
    await fx.zmq.connect(bad, router.lastEndpoint as string);
    await fx.zmq.connect(good, router.lastEndpoint as string);
    await sendOrRefused(bad, "sealed");
    await fx.zmq.send(good, ["in the clear"]);
    expect(texts(await fx.zmq.receive(good))).toEqual(["in the clear"]);
    expect((await refused).error.message).toMatch(MISMATCH);
    expect(served.received.map(texts)).toEqual([["plain", "in the clear"]]);
  });

  test("our client with the wrong server key against a libzmq CURVE Router", async () => {
    const server = curveKeyPair();
    const router = await libzmq("Router", { curveServer: true, curveSecretKey: server.secretKey });
    const endpoint = await fx.zmq.bind(router);
    await fx.zmq.echo(router);
    const bad = track(new Dealer({ ...clientOptions(curveKeyPair().publicKey), routingId: "bad" }));
    const good = track(new Dealer({ ...clientOptions(server.publicKey), routingId: "good" }));
    const failed = nextEvent(bad, "handshake:error:protocol");
    bad.connect(endpoint);
    good.connect(endpoint);
    await bad.send("from bad");
    await good.send("from good");
    expect(texts(await within(good.receive(), "good reply"))).toEqual(["from good"]);
    expect((await failed).error.message).toContain("closed the connection during the CURVE handshake");
    expect(bad.peerCount).toBe(0);
    expect(bad.receiveQueueLength).toBe(0);
  });

  test("our CURVE client against a libzmq NULL Router, our NULL client against a libzmq CURVE Router", async () => {
    const server = curveKeyPair();
    const nullRouter = await libzmq("Router");
    const curveRouter = await libzmq("Router", { curveServer: true, curveSecretKey: server.secretKey });
    const nullEndpoint = await fx.zmq.bind(nullRouter);
    const curveEndpoint = await fx.zmq.bind(curveRouter);
    await fx.zmq.echo(nullRouter);
    await fx.zmq.echo(curveRouter);
    const curveToNull = track(new Dealer(clientOptions(server.publicKey)));
    const nullToCurve = track(new Dealer());
    const goodCurve = track(new Dealer(clientOptions(server.publicKey)));
    const goodNull = track(new Dealer());
    const mismatches = [nextEvent(curveToNull, "handshake:error:protocol"), nextEvent(nullToCurve, "handshake:error:protocol")];
    curveToNull.connect(nullEndpoint);
    nullToCurve.connect(curveEndpoint);
    goodCurve.connect(curveEndpoint);
    goodNull.connect(nullEndpoint);
    for (const d of [curveToNull, nullToCurve, goodCurve, goodNull]) await d.send("ping");
    expect(texts(await within(goodCurve.receive(), "good CURVE reply"))).toEqual(["ping"]);
    expect(texts(await within(goodNull.receive(), "good NULL reply"))).toEqual(["ping"]);
    const [a, b] = await Promise.all(mismatches);
    expect(a?.error.message).toMatch(MISMATCH);
    expect(b?.error.message).toMatch(MISMATCH);
    expect(curveToNull.receiveQueueLength + nullToCurve.receiveQueueLength).toBe(0);
    expect(curveToNull.peerCount + nullToCurve.peerCount).toBe(0);
  });

  test("a key removed from the allow-list: recheckCurveAllow drops the libzmq client, which is then refused", async () => {
    const server = curveKeyPair();
    const worker = curveKeyPair();
    const other = curveKeyPair();
    const allowed = new Set([worker.publicKey, other.publicKey]);
    const router = track(new Router(serverOptions(server, allowed)));
    await router.bind("tcp://127.0.0.1:0");
    const served = echo(router);
    const dealer = await libzmq("Dealer", libzmqClient(server.publicKey, worker, { routingId: "w", reconnectInterval: 20 }));
    const stays = await libzmq("Dealer", libzmqClient(server.publicKey, other, { routingId: "o" }));
    await fx.zmq.watch(dealer);
    await fx.zmq.connect(dealer, router.lastEndpoint as string);
    await fx.zmq.connect(stays, router.lastEndpoint as string);
    await fx.zmq.send(dealer, ["before"]);
    expect(texts(await fx.zmq.receive(dealer))).toEqual(["before"]);

    allowed.delete(worker.publicKey);
    const dropped = nextEvent(router, "disconnect");
    const refusedAgain = nextEvent(router, "handshake:error:auth");
    expect(router.recheckCurveAllow()).toBe(1);
    expect((await dropped).reason).toContain("no longer allowed");
    // The libzmq client reconnects by itself and is refused at INITIATE.
    expect((await refusedAgain).error.message).toContain("not on the allow-list");
    await fx.zmq.send(stays, ["still here"]);
    expect(texts(await fx.zmq.receive(stays))).toEqual(["still here"]);
    await waitFor(() => served.received.length === 2, "the remaining client's message");
    expect(served.received.map(texts)).toEqual([
      ["w", "before"],
      ["o", "still here"],
    ]);
    expect(router.routingIds.map(String)).toEqual(["o"]);
  });
});
