import { afterEach, describe, expect, test } from "bun:test";
import { Dealer, Reply, Request, Router, ZmtpError, type SocketBase } from "../../src/lib/zmtp/index.ts";
import { OutBuffer } from "../../src/lib/zmtp/frame-encoder.ts";
import { waitFor, within } from "./wait.ts";

const sockets: SocketBase[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});
function track<T extends SocketBase>(s: T): T {
  sockets.push(s);
  return s;
}
async function bound<T extends SocketBase>(s: T): Promise<T & { lastEndpoint: string }> {
  track(s);
  await s.bind("tcp://127.0.0.1:0");
  return s as T & { lastEndpoint: string };
}
const texts = (frames: Buffer[]) => frames.map((f) => f.toString());
async function rejection(p: Promise<unknown>): Promise<ZmtpError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof ZmtpError) return error;
    throw error;
  }
  throw new Error("Expected the promise to reject");
}

describe("Request <-> Reply", () => {
  test("round trip, both bind directions", async () => {
    const rep = await bound(new Reply());
    const req = track(new Request());
    req.connect(rep.lastEndpoint);
    await req.send(["a", "b"]);
    expect(texts(await within(rep.receive(), "request"))).toEqual(["a", "b"]);
    await rep.send("c");
    expect(texts(await within(req.receive(), "reply"))).toEqual(["c"]);

    const req2 = await bound(new Request());
    const rep2 = track(new Reply());
    rep2.connect(req2.lastEndpoint);
    await req2.send("x");
    expect(texts(await within(rep2.receive(), "request"))).toEqual(["x"]);
    await rep2.send("y");
    expect(texts(await within(req2.receive(), "reply"))).toEqual(["y"]);
  });

  test("lockstep is enforced with EFSM", async () => {
    const rep = await bound(new Reply());
    const req = track(new Request());
    req.connect(rep.lastEndpoint);
    expect((await rejection(req.receive())).code).toBe("EFSM");
    expect((await rejection(rep.send("too early"))).code).toBe("EFSM");
    await req.send("one");
    expect((await rejection(req.send("two"))).code).toBe("EFSM");
    await within(rep.receive(), "request");
    expect((await rejection(rep.receive())).code).toBe("EFSM");
    await rep.send("answer");
    expect(texts(await within(req.receive(), "reply"))).toEqual(["answer"]);
    await req.send("three");
  });

  test("Reply answers each of several Requests", async () => {
    const rep = await bound(new Reply());
    const reqs = [0, 1, 2, 3].map(() => {
      const r = track(new Request());
      r.connect(rep.lastEndpoint);
      return r;
    });
    await Promise.all(reqs.map((r, i) => r.send(`q${i}`)));
    for (let n = 0; n < 4; n++) {
      const [q] = texts(await within(rep.receive(), "request"));
      await rep.send(`a-${q}`);
    }
    for (let i = 0; i < 4; i++) expect(texts(await within((reqs[i] as Request).receive(), "reply"))).toEqual([`a-q${i}`]);
  });

  test("Request to Router and Dealer to Reply keep the envelope", async () => {
    const router = await bound(new Router());
    const req = track(new Request({ routingId: "r1" }));
    req.connect(router.lastEndpoint);
    await req.send("q");
    expect(texts(await within(router.receive(), "request"))).toEqual(["r1", "", "q"]);
    await router.send(["r1", "", "a"]);
    expect(texts(await within(req.receive(), "reply"))).toEqual(["a"]);

    const rep = await bound(new Reply());
    const dealer = track(new Dealer());
    dealer.connect(rep.lastEndpoint);
    await dealer.send(["hop1", "hop2", "", "q"]);
    expect(texts(await within(rep.receive(), "request"))).toEqual(["q"]);
    await rep.send("a");
    expect(texts(await within(dealer.receive(), "reply"))).toEqual(["hop1", "hop2", "", "a"]);
  });

  test("a Reply drops a request without delimiter and serves the next one", async () => {
    const rep = await bound(new Reply());
    const dealer = track(new Dealer());
    dealer.connect(rep.lastEndpoint);
    await dealer.send(["no delimiter"]);
    await dealer.send(["", "good"]);
    expect(texts(await within(rep.receive(), "request"))).toEqual(["good"]);
  });
});

describe("Dealer <-> Router", () => {
  test("generated ids, routingIds, EHOSTUNREACH", async () => {
    const router = await bound(new Router());
    const anonymous = track(new Dealer());
    const named = track(new Dealer({ routingId: Buffer.from([1, 2, 3]) }));
    anonymous.connect(router.lastEndpoint);
    named.connect(router.lastEndpoint);
    await anonymous.send("from anonymous");
    await named.send("from named");
    const got = new Map<string, Buffer>();
    for (let i = 0; i < 2; i++) {
      const [id, body] = await within(router.receive(), "message");
      got.set(String(body), id as Buffer);
    }
    const anonymousId = got.get("from anonymous") as Buffer;
    expect(anonymousId.length).toBe(5);
    expect(anonymousId[0]).toBe(0);
    expect([...(got.get("from named") as Buffer)]).toEqual([1, 2, 3]);
    await router.send([anonymousId, "to anonymous"]);
    await router.send([Buffer.from([1, 2, 3]), "to named"]);
    expect(texts(await within(anonymous.receive(), "reply"))).toEqual(["to anonymous"]);
    expect(texts(await within(named.receive(), "reply"))).toEqual(["to named"]);
    const error = await rejection(router.send(["nobody", "x"]));
    expect(error.code).toBe("EHOSTUNREACH");
    expect(error.message).toContain(Buffer.from("nobody").toString("hex"));
    expect((await rejection(router.send(["only-id"]))).code).toBe("EINVAL");
  });

  test("Dealer round-robins and Router fair-queues across peers", async () => {
    const routers = [await bound(new Router()), await bound(new Router())];
    const dealer = track(new Dealer());
    for (const r of routers) dealer.connect(r.lastEndpoint);
    await waitFor(() => dealer.peerCount === 2, "two handshakes");
    for (let i = 0; i < 10; i++) await dealer.send(`m${i}`);
    const a = [];
    const b = [];
    for (let i = 0; i < 5; i++) a.push(String((await within((routers[0] as Router).receive(), "a"))[1]));
    for (let i = 0; i < 5; i++) b.push(String((await within((routers[1] as Router).receive(), "b"))[1]));
    const evens = ["m0", "m2", "m4", "m6", "m8"];
    const odds = ["m1", "m3", "m5", "m7", "m9"];
    expect([a, b].sort()).toEqual([evens, odds].sort());
  });

  test("10,000 messages in order each way", async () => {
    const router = await bound(new Router());
    const dealer = track(new Dealer({ routingId: "d" }));
    dealer.connect(router.lastEndpoint);
    const receiving = (async () => {
      for (let i = 0; i < 10_000; i++) {
        const [id, body] = await router.receive();
        if (String(id) !== "d" || String(body) !== `m${i}`) throw new Error(`at ${i}: got [${id}, ${body}]`);
      }
    })();
    for (let i = 0; i < 10_000; i++) await dealer.send(`m${i}`);
    await within(receiving, "10,000 messages at the router");
    const back = (async () => {
      for (let i = 0; i < 10_000; i++) {
        const [body] = await dealer.receive();
        if (String(body) !== `r${i}`) throw new Error(`at ${i}: got ${body}`);
      }
    })();
    for (let i = 0; i < 10_000; i++) await router.send(["d", `r${i}`]);
    await within(back, "10,000 messages at the dealer");
  });

  test("Dealer <-> Dealer and Router <-> Router", async () => {
    const d1 = await bound(new Dealer());
    const d2 = track(new Dealer());
    d2.connect(d1.lastEndpoint);
    await d2.send(["x", ""]);
    expect(texts(await within(d1.receive(), "dealer message"))).toEqual(["x", ""]);
    await d1.send("y");
    expect(texts(await within(d2.receive(), "dealer reply"))).toEqual(["y"]);

    const r1 = await bound(new Router({ routingId: "r1" }));
    const r2 = track(new Router({ routingId: "r2" }));
    r2.connect(r1.lastEndpoint);
    await waitFor(() => r2.peerCount === 1, "router handshake");
    await r2.send(["r1", "hello"]);
    expect(texts(await within(r1.receive(), "router message"))).toEqual(["r2", "hello"]);
    await r1.send(["r2", "back"]);
    expect(texts(await within(r2.receive(), "router reply"))).toEqual(["r1", "back"]);
  });
});

describe("writes", () => {
  test("the first message of a turn on an idle connection is written at once; the rest of the turn's go together at its end", async () => {
    const router = await bound(new Router());
    const dealer = track(new Dealer());
    dealer.connect(router.lastEndpoint);
    await dealer.send("hello"); // connected and idle
    await within(router.receive(), "the first message");
    const flushTo = OutBuffer.prototype.flushTo;
    const writes: string[] = [];
    let when = "during the turn";
    OutBuffer.prototype.flushTo = function (this: OutBuffer, sink) {
      if (this.bytes > 0) writes.push(when);
      return flushTo.call(this, sink);
    };
    try {
      for (const turn of [1, 2]) {
        when = "during the turn";
        const sent = ["a", "b", "c"].map((m) => dealer.send(`${m}${turn}`));
        when = "after the turn";
        await Promise.all(sent);
        for (const m of ["a", "b", "c"]) expect(texts(await within(router.receive(), "a message")).at(-1)).toBe(`${m}${turn}`);
      }
    } finally {
      OutBuffer.prototype.flushTo = flushTo;
    }
    expect(writes).toEqual(["during the turn", "after the turn", "during the turn", "after the turn"]);
  });
});

describe("socket lifecycle", () => {
  test("for await ends when the socket closes; a waiting receive rejects with ETERM", async () => {
    const router = await bound(new Router());
    const dealer = track(new Dealer());
    dealer.connect(router.lastEndpoint);
    const seen: string[] = [];
    const loop = (async () => {
      for await (const [, body] of router) seen.push(String(body));
    })();
    await dealer.send("one");
    await waitFor(() => seen.length === 1, "one message");
    router.close();
    await within(loop, "iterator end");
    expect(seen).toEqual(["one"]);

    const lonely = track(new Dealer());
    const pending = lonely.receive();
    expect((await rejection(lonely.receive())).code).toBe("EBUSY");
    lonely.close();
    expect((await rejection(pending)).code).toBe("ETERM");
    expect((await rejection(lonely.send("x"))).code).toBe("ETERM");
  });

  test("bad endpoints and busy ports are reported clearly", async () => {
    const dealer = track(new Dealer());
    expect(() => dealer.connect("udp://1.2.3.4:5")).toThrow('Expected an endpoint like "tcp://127.0.0.1:5555", got "udp://1.2.3.4:5"');
    expect(() => dealer.connect("tcp://127.0.0.1:0")).toThrow("Cannot connect to port 0");
    const router = await bound(new Router());
    const other = track(new Router());
    expect((await rejection(other.bind(router.lastEndpoint))).code).toBe("EADDRINUSE");
    expect(() => new Dealer({ routingId: Buffer.from([0, 1]) })).toThrow("zero octet");
  });

  test("disconnect drops the connection; unbind stops accepting", async () => {
    const router = await bound(new Router());
    const dealer = track(new Dealer({ reconnectInterval: 10 }));
    dealer.connect(router.lastEndpoint);
    await waitFor(() => router.peerCount === 1 && dealer.peerCount === 1, "handshake");
    dealer.disconnect(router.lastEndpoint);
    await waitFor(() => router.peerCount === 0 && dealer.peerCount === 0, "both sides to drop the connection");
    await dealer.send("queued, nowhere to go");
    expect(dealer.sendQueueLength).toBe(1);

    const { RawPeer } = await import("./raw-peer.ts");
    const port = RawPeer.portOf(router.lastEndpoint);
    const first = await RawPeer.connect(port);
    first.close();
    await router.unbind(router.lastEndpoint);
    let refused = false;
    try {
      (await RawPeer.connect(port)).close();
    } catch {
      refused = true;
    }
    expect(refused).toBe(true);
    expect((await rejection(router.unbind("tcp://127.0.0.1:1"))).code).toBe("EINVAL");
  });

  test("messages sent before the peer is connected are delivered after the handshake", async () => {
    const router = await bound(new Router());
    const dealer = track(new Dealer({ routingId: "early" }));
    dealer.connect(router.lastEndpoint);
    await dealer.send("sent before handshake 1");
    await dealer.send("sent before handshake 2");
    expect(texts(await within(router.receive(), "first"))).toEqual(["early", "sent before handshake 1"]);
    expect(texts(await within(router.receive(), "second"))).toEqual(["early", "sent before handshake 2"]);
  });
});
