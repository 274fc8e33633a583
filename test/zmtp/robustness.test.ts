import { afterEach, describe, expect, test } from "bun:test";
import { freePort } from "../../scripts/lib/ports.ts";
import { Dealer, Router, type SocketBase } from "../../src/lib/zmtp/index.ts";
import { LibzmqPeer } from "./libzmq-peer.ts";
import { waitFor, within } from "./wait.ts";

const sockets: SocketBase[] = [];
const peers: LibzmqPeer[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  for (const p of peers.splice(0)) await p.stop();
});
function track<T extends SocketBase>(s: T): T {
  sockets.push(s);
  return s;
}
async function libzmqPeer(): Promise<LibzmqPeer> {
  const p = await LibzmqPeer.start();
  peers.push(p);
  return p;
}
const texts = (frames: Buffer[]) => frames.map((f) => f.toString());
const fast = { reconnectInterval: 20, reconnectMaxInterval: 200 };

/** Resolves true if `p` has settled after a few microtask turns, false if it is still pending. */
async function settledSoon(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 5; i++) await null;
  return settled;
}

describe("reconnect", () => {
  test("our Dealer reconnects after the libzmq Router restarts; messages sent meanwhile go out", async () => {
    const port = await freePort();
    const endpoint = `tcp://127.0.0.1:${port}`;
    let zmq = await LibzmqPeer.start();
    let router = await zmq.socket("Router");
    await zmq.bind(router, endpoint);
    await zmq.echo(router);
    const dealer = track(new Dealer(fast));
    dealer.connect(endpoint);
    await dealer.send("before");
    expect(texts(await within(dealer.receive(), "echo before restart"))).toEqual(["before"]);

    await zmq.kill();
    await waitFor(() => dealer.peerCount === 0, "the dealer to notice the loss");
    await dealer.send("during outage");

    zmq = await libzmqPeer();
    router = await zmq.socket("Router");
    await zmq.bind(router, endpoint);
    await zmq.echo(router);
    expect(texts(await within(dealer.receive(), "echo after restart"))).toEqual(["during outage"]);
  });

  test("our Router accepts the same libzmq Dealer identity again after the Dealer's process restarts", async () => {
    const router = track(new Router());
    await router.bind("tcp://127.0.0.1:0");
    let zmq = await LibzmqPeer.start();
    let dealer = await zmq.socket("Dealer", { routingId: "w1" });
    await zmq.connect(dealer, router.lastEndpoint as string);
    await zmq.send(dealer, ["first life"]);
    expect(texts(await within(router.receive(), "first"))).toEqual(["w1", "first life"]);

    await zmq.kill();
    await waitFor(() => router.peerCount === 0, "the router to notice the loss");
    expect(router.receiveQueueLength).toBe(0);

    zmq = await libzmqPeer();
    dealer = await zmq.socket("Dealer", { routingId: "w1" });
    await zmq.connect(dealer, router.lastEndpoint as string);
    await zmq.send(dealer, ["second life"]);
    expect(texts(await within(router.receive(), "second"))).toEqual(["w1", "second life"]);
    await router.send(["w1", "welcome back"]);
    expect(texts(await zmq.receive(dealer))).toEqual(["welcome back"]);
  });

  test("connect before bind: a libzmq Router binds later and gets the queued messages", async () => {
    const port = await freePort();
    const endpoint = `tcp://127.0.0.1:${port}`;
    const dealer = track(new Dealer({ ...fast, routingId: "early" }));
    dealer.connect(endpoint);
    for (let i = 0; i < 5; i++) await dealer.send(`queued ${i}`);
    expect(dealer.sendQueueLength).toBe(5);
    const zmq = await libzmqPeer();
    const router = await zmq.socket("Router");
    await zmq.bind(router, endpoint);
    const { texts: got, first } = await zmq.receiveSeq(router, 5);
    expect(String(first[0])).toBe("early");
    expect(got).toEqual([0, 1, 2, 3, 4].map((i) => `queued ${i}`));
  });

  test("connect before bind: a libzmq Dealer connects before our Router binds", async () => {
    const port = await freePort();
    const endpoint = `tcp://127.0.0.1:${port}`;
    const zmq = await libzmqPeer();
    const dealer = await zmq.socket("Dealer", { routingId: "eager", reconnectInterval: 20 });
    await zmq.connect(dealer, endpoint);
    await zmq.send(dealer, ["queued in libzmq"]);
    const router = track(new Router());
    await router.bind(endpoint);
    expect(texts(await within(router.receive(), "queued message"))).toEqual(["eager", "queued in libzmq"]);
  });

  test("connect before bind and reconnect between our own sockets", async () => {
    const port = await freePort();
    const endpoint = `tcp://127.0.0.1:${port}`;
    const dealer = track(new Dealer({ ...fast, routingId: "d" }));
    dealer.connect(endpoint);
    await dealer.send("hello");
    const first = track(new Router());
    await first.bind(endpoint);
    expect(texts(await within(first.receive(), "queued message"))).toEqual(["d", "hello"]);
    first.close();
    await waitFor(() => dealer.peerCount === 0, "loss of the first router");
    const second = track(new Router());
    await second.bind(endpoint);
    await dealer.send("again");
    expect(texts(await within(second.receive(), "after reconnect"))).toEqual(["d", "again"]);
  });
});

describe("high-water marks", () => {
  test("a stalled reader makes send wait; queues stay bounded; everything arrives once reading resumes", async () => {
    const hwm = 8;
    const router = track(new Router({ receiveHighWaterMark: hwm }));
    await router.bind("tcp://127.0.0.1:0");
    const dealer = track(new Dealer({ sendHighWaterMark: hwm, routingId: "d" }));
    dealer.connect(router.lastEndpoint as string);
    await waitFor(() => dealer.peerCount === 1 && router.peerCount === 1, "handshake");

    const payload = Buffer.alloc(64 * 1024, 1);
    let sent = 0;
    let blocked: Promise<void> | null = null;
    // Enough to fill the kernel buffers many times over; send must block long before the end.
    while (sent < 20_000) {
      const p = dealer.send([`m${sent}`, payload]);
      sent++;
      if (!(await settledSoon(p))) {
        // give the event loop turns to flush and deliver; if it is really blocked it stays pending
        let turns = 0;
        while (!(await settledSoon(p)) && turns++ < 200) await new Promise((r) => setImmediate(r));
        if (!(await settledSoon(p))) {
          blocked = p;
          break;
        }
      }
    }
    expect(blocked).not.toBeNull();
    expect(sent).toBeLessThan(20_000);
    expect(router.receiveQueueLength).toBeLessThanOrEqual(hwm);
    expect(dealer.sendQueueLength).toBeLessThanOrEqual(hwm);

    for (let i = 0; i < sent; i++) {
      const [, index] = texts(await within(router.receive(), `message ${i}`));
      expect(index).toBe(`m${i}`);
    }
    await within(blocked as Promise<void>, "the blocked send to complete");
  });

  test("our Router waits when a libzmq Dealer does not read", async () => {
    const zmq = await libzmqPeer();
    const dealer = await zmq.socket("Dealer", { routingId: "slow", receiveHighWaterMark: 4 });
    const router = track(new Router({ sendHighWaterMark: 4 }));
    await router.bind("tcp://127.0.0.1:0");
    await zmq.connect(dealer, router.lastEndpoint as string);
    await zmq.send(dealer, ["hello"]);
    await within(router.receive(), "hello");
    const payload = Buffer.alloc(64 * 1024, 2);
    let sent = 0;
    let blocked: Promise<void> | null = null;
    while (sent < 20_000) {
      const p = router.send(["slow", payload, `m${sent}`]);
      sent++;
      let turns = 0;
      while (!(await settledSoon(p)) && turns++ < 200) await new Promise((r) => setImmediate(r));
      if (!(await settledSoon(p))) {
        blocked = p;
        break;
      }
    }
    expect(blocked).not.toBeNull();
    expect(router.sendQueueLength).toBeLessThanOrEqual(4);
    const { texts: got } = await zmq.receiveSeq(dealer, sent);
    expect(got).toEqual(Array.from({ length: sent }, (_, i) => `m${i}`));
    await within(blocked as Promise<void>, "the blocked send to complete");
  });
});

describe("high-water marks on the connecting side", () => {
  test("a connected Dealer that does not read pauses its TCP reads; the Router's send waits", async () => {
    const hwm = 8;
    const router = track(new Router({ sendHighWaterMark: hwm }));
    await router.bind("tcp://127.0.0.1:0");
    const dealer = track(new Dealer({ receiveHighWaterMark: hwm, routingId: "d" }));
    dealer.connect(router.lastEndpoint as string);
    await dealer.send("hello");
    await within(router.receive(), "hello");
    const payload = Buffer.alloc(64 * 1024, 3);
    let sent = 0;
    let blocked: Promise<void> | null = null;
    while (sent < 20_000) {
      const p = router.send(["d", `m${sent}`, payload]);
      sent++;
      let turns = 0;
      while (!(await settledSoon(p)) && turns++ < 200) await new Promise((r) => setImmediate(r));
      if (!(await settledSoon(p))) {
        blocked = p;
        break;
      }
    }
    expect(blocked).not.toBeNull();
    expect(dealer.receiveQueueLength).toBeLessThanOrEqual(hwm);
    expect(router.sendQueueLength).toBeLessThanOrEqual(hwm);
    for (let i = 0; i < sent; i++) expect(String((await within(dealer.receive(), `message ${i}`))[0])).toBe(`m${i}`);
    await within(blocked as Promise<void>, "the blocked send to complete");
  });
});

describe("handshake deadline", () => {
  test("a peer that connects and stays silent is dropped after handshakeInterval", async () => {
    const router = track(new Router({ handshakeInterval: 50 }));
    await router.bind("tcp://127.0.0.1:0");
    const { RawPeer } = await import("./raw-peer.ts");
    const silent = await RawPeer.connect(RawPeer.portOf(router.lastEndpoint));
    await within(silent.closed, "the silent peer to be dropped");
    expect((await silent.read(64)).length).toBe(64);
  });
});

describe("maxMessageSize", () => {
  test("a peer sending a larger frame is disconnected; the socket keeps serving others", async () => {
    const router = track(new Router({ maxMessageSize: 1000 }));
    await router.bind("tcp://127.0.0.1:0");
    const zmq = await libzmqPeer();
    const big = await zmq.socket("Dealer", { routingId: "big", reconnectInterval: -1 });
    const small = await zmq.socket("Dealer", { routingId: "small" });
    await zmq.watch(big);
    await zmq.connect(big, router.lastEndpoint as string);
    await zmq.connect(small, router.lastEndpoint as string);
    await zmq.send(big, ["fits"]);
    expect(texts(await within(router.receive(), "small message from big"))).toEqual(["big", "fits"]);
    await zmq.send(big, [Buffer.alloc(1001, 7)]);
    await zmq.waitEvent(big, ["disconnect"]);
    await waitFor(() => router.peerCount === 1, "the oversized peer to be dropped");
    await zmq.send(small, [Buffer.alloc(1000, 1)]);
    const [id, body] = await within(router.receive(), "message from the other peer");
    expect(String(id)).toBe("small");
    expect(body?.length).toBe(1000);
  });
});
