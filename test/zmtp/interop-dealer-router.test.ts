import { describe, expect, test } from "bun:test";
import { Dealer, Reply, Router } from "../../src/lib/zmtp/index.ts";
import { texts, useLibzmq } from "./libzmq-fixture.ts";
import { waitFor, within } from "./wait.ts";

const fx = useLibzmq();
const { track, libzmq } = fx;

function pattern(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

describe("our Dealer <-> libzmq Router", () => {
  test("libzmq Router sees a generated 5-octet id, multi-frame with empty frames both ways", async () => {
    const router = await libzmq("Router");
    const endpoint = await fx.zmq.bind(router);
    const dealer = track(new Dealer());
    dealer.connect(endpoint);
    await dealer.send(["a", "", "b", ""]);
    const [id, ...body] = await fx.zmq.receive(router);
    expect(id?.length).toBe(5);
    expect(id?.[0]).toBe(0);
    expect(texts(body)).toEqual(["a", "", "b", ""]);
    await fx.zmq.send(router, [id as Buffer, "", "reply", ""]);
    expect(texts(await within(dealer.receive(), "reply"))).toEqual(["", "reply", ""]);
  });

  test("our routingId is the id libzmq Router sees and can address", async () => {
    const router = await libzmq("Router", { mandatory: true });
    const endpoint = await fx.zmq.bind(router);
    const dealer = track(new Dealer({ routingId: "our-dealer" }));
    dealer.connect(endpoint);
    await dealer.send("hi");
    expect(texts(await fx.zmq.receive(router))).toEqual(["our-dealer", "hi"]);
    await fx.zmq.send(router, ["our-dealer", "to you"]);
    expect(texts(await within(dealer.receive(), "addressed message"))).toEqual(["to you"]);
  });

  test("0-byte and 1 MiB frames (long form) both ways", async () => {
    const router = await libzmq("Router");
    const endpoint = await fx.zmq.bind(router);
    await fx.zmq.echo(router);
    const dealer = track(new Dealer());
    dealer.connect(endpoint);
    const big = pattern(1024 * 1024, 3);
    const medium = pattern(300, 5); // just over the short-frame limit
    await dealer.send([Buffer.alloc(0), big, medium, ""]);
    const echoed = await within(dealer.receive(), "echo of large message");
    expect(echoed.length).toBe(4);
    expect(echoed[0]?.length).toBe(0);
    expect(echoed[1]?.equals(big)).toBe(true);
    expect(echoed[2]?.equals(medium)).toBe(true);
    expect(echoed[3]?.length).toBe(0);
  });

  test("10,000 messages from our Dealer arrive in order", async () => {
    const router = await libzmq("Router");
    const endpoint = await fx.zmq.bind(router);
    const dealer = track(new Dealer());
    dealer.connect(endpoint);
    const received = fx.zmq.receiveSeq(router, 10_000);
    for (let i = 0; i < 10_000; i++) await dealer.send(["x", `m${i}`]);
    const { texts: got, first } = await received;
    expect(texts(first.slice(1))).toEqual(["x", "m0"]);
    expect(got.length).toBe(10_000);
    expect(got.every((t, i) => t === `m${i}`)).toBe(true);
  });

  test("round-robins over several libzmq Routers", async () => {
    const routers: string[] = [];
    const dealer = track(new Dealer());
    for (let i = 0; i < 3; i++) {
      const router = await libzmq("Router");
      routers.push(router);
      dealer.connect(await fx.zmq.bind(router));
    }
    await waitFor(() => dealer.peerCount === 3, "three handshakes");
    for (let i = 0; i < 30; i++) await dealer.send(`m${i}`);
    const residues: number[] = [];
    for (const router of routers) {
      const { texts: got } = await fx.zmq.receiveSeq(router, 10);
      const indexes = got.map((t) => Number(t.slice(1)));
      const residue = (indexes[0] as number) % 3;
      expect(indexes.every((n) => n % 3 === residue)).toBe(true);
      expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
      residues.push(residue);
    }
    expect(residues.sort()).toEqual([0, 1, 2]);
  });

  test("our Dealer talks to a libzmq Reply with the empty delimiter", async () => {
    const rep = await libzmq("Reply");
    const endpoint = await fx.zmq.bind(rep);
    const dealer = track(new Dealer());
    dealer.connect(endpoint);
    await dealer.send(["", "hello"]);
    expect(texts(await fx.zmq.receive(rep))).toEqual(["hello"]);
    await fx.zmq.send(rep, ["world"]);
    expect(texts(await within(dealer.receive(), "reply"))).toEqual(["", "world"]);
  });
});

describe("libzmq Dealer <-> our Router", () => {
  test("a libzmq Dealer's routingId is the first frame, and we can address it", async () => {
    const router = track(new Router());
    await router.bind("tcp://127.0.0.1:0");
    const dealer = await libzmq("Dealer", { routingId: "their-dealer" });
    await fx.zmq.connect(dealer, router.lastEndpoint as string);
    await fx.zmq.send(dealer, ["one", "", "three"]);
    expect(texts(await within(router.receive(), "message"))).toEqual(["their-dealer", "one", "", "three"]);
    await router.send(["their-dealer", "back", ""]);
    expect(texts(await fx.zmq.receive(dealer))).toEqual(["back", ""]);
  });

  test("a libzmq Dealer without routingId gets a generated 5-octet id starting with 0", async () => {
    const router = track(new Router());
    await router.bind("tcp://127.0.0.1:0");
    const dealer = await libzmq("Dealer");
    await fx.zmq.connect(dealer, router.lastEndpoint as string);
    await fx.zmq.send(dealer, ["x"]);
    const [id, body] = await within(router.receive(), "message");
    expect(id?.length).toBe(5);
    expect(id?.[0]).toBe(0);
    expect(body?.toString()).toBe("x");
    await router.send([id as Buffer, "y"]);
    expect(texts(await fx.zmq.receive(dealer))).toEqual(["y"]);
  });

  test("our Router connects to a bound libzmq Dealer", async () => {
    const dealer = await libzmq("Dealer", { routingId: "bound-dealer" });
    const endpoint = await fx.zmq.bind(dealer);
    const router = track(new Router());
    router.connect(endpoint);
    await fx.zmq.send(dealer, ["hello"]);
    expect(texts(await within(router.receive(), "message"))).toEqual(["bound-dealer", "hello"]);
  });

  test("0-byte and 1 MiB frames from libzmq", async () => {
    const router = track(new Router());
    await router.bind("tcp://127.0.0.1:0");
    const dealer = await libzmq("Dealer", { routingId: "d" });
    await fx.zmq.connect(dealer, router.lastEndpoint as string);
    const big = pattern(1024 * 1024, 9);
    await fx.zmq.send(dealer, [Buffer.alloc(0), big]);
    const [id, empty, got] = await within(router.receive(), "large message");
    expect(id?.toString()).toBe("d");
    expect(empty?.length).toBe(0);
    expect(got?.equals(big)).toBe(true);
    await router.send(["d", big, Buffer.alloc(0)]);
    const back = await fx.zmq.receive(dealer);
    expect(back[0]?.equals(big)).toBe(true);
    expect(back[1]?.length).toBe(0);
  });

  test("10,000 messages from libzmq arrive in order", async () => {
    const router = track(new Router());
    await router.bind("tcp://127.0.0.1:0");
    const dealer = await libzmq("Dealer", { routingId: "seq" });
    await fx.zmq.connect(dealer, router.lastEndpoint as string);
    const sending = fx.zmq.sendSeq(dealer, 10_000);
    for (let i = 0; i < 10_000; i++) {
      const [id, body] = await within(router.receive(), `message ${i}`);
      if (id?.toString() !== "seq" || body?.toString() !== `m${i}`) {
        throw new Error(`Message ${i}: expected [seq, m${i}], got [${id}, ${body}]`);
      }
    }
    await sending;
  });

  test("fair-queues messages from several libzmq Dealers", async () => {
    const router = track(new Router());
    await router.bind("tcp://127.0.0.1:0");
    const ids = ["p0", "p1", "p2"];
    for (const id of ids) {
      const dealer = await libzmq("Dealer", { routingId: id });
      await fx.zmq.connect(dealer, router.lastEndpoint as string);
      await fx.zmq.sendSeq(dealer, 100);
    }
    await waitFor(() => router.receiveQueueLength === 300, "300 queued messages");
    const nextIndex = new Map(ids.map((id) => [id, 0]));
    for (let round = 0; round < 100; round++) {
      const seen = new Set<string>();
      for (let k = 0; k < 3; k++) {
        const [id, body] = texts(await router.receive());
        seen.add(id as string);
        expect(body).toBe(`m${nextIndex.get(id as string)}`);
        nextIndex.set(id as string, (nextIndex.get(id as string) as number) + 1);
      }
      expect([...seen].sort()).toEqual(ids);
    }
  });

  test("libzmq Request to our Router keeps the delimiter in the envelope", async () => {
    const router = track(new Router());
    await router.bind("tcp://127.0.0.1:0");
    const req = await libzmq("Request", { routingId: "client" });
    await fx.zmq.connect(req, router.lastEndpoint as string);
    await fx.zmq.send(req, ["question"]);
    expect(texts(await within(router.receive(), "request"))).toEqual(["client", "", "question"]);
    await router.send(["client", "", "answer"]);
    expect(texts(await fx.zmq.receive(req))).toEqual(["answer"]);
  });

  test("libzmq Dealer to our Reply", async () => {
    const rep = track(new Reply());
    await rep.bind("tcp://127.0.0.1:0");
    const dealer = await libzmq("Dealer");
    await fx.zmq.connect(dealer, rep.lastEndpoint as string);
    await fx.zmq.send(dealer, ["route-a", "", "q"]);
    expect(texts(await within(rep.receive(), "request"))).toEqual(["q"]);
    await rep.send("r");
    expect(texts(await fx.zmq.receive(dealer))).toEqual(["route-a", "", "r"]);
  });
});

describe("socket-type checks with libzmq", () => {
  test("libzmq completes the handshake with a compatible socket and is dropped by an incompatible one", async () => {
    const dealer = track(new Dealer());
    await dealer.bind("tcp://127.0.0.1:0");
    const compatible = await libzmq("Router", { reconnectInterval: -1 });
    await fx.zmq.watch(compatible);
    await fx.zmq.connect(compatible, dealer.lastEndpoint as string);
    expect((await fx.zmq.waitEvent(compatible, ["handshake", "disconnect"])).type).toBe("handshake");
    await waitFor(() => dealer.peerCount === 1, "the compatible peer");

    const incompatible = await libzmq("Request", { reconnectInterval: -1 });
    await fx.zmq.watch(incompatible);
    await fx.zmq.connect(incompatible, dealer.lastEndpoint as string);
    expect((await fx.zmq.waitEvent(incompatible, ["handshake", "disconnect"])).type).toBe("disconnect");
    expect(dealer.peerCount).toBe(1);
  });
});

describe("Router <-> Router", () => {
  test("libzmq Router and our Router address each other by routingId", async () => {
    const router = track(new Router({ routingId: "ours" }));
    await router.bind("tcp://127.0.0.1:0");
    const theirRouter = await libzmq("Router", { routingId: "theirs", mandatory: true });
    await fx.zmq.connect(theirRouter, router.lastEndpoint as string);
    // libzmq can address us only once the handshake is done; mandatory makes it report that
    const deadline = performance.now() + 5000;
    for (;;) {
      try {
        await fx.zmq.send(theirRouter, ["ours", "hi"]);
        break;
      } catch (error) {
        if (performance.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    expect(texts(await within(router.receive(), "message"))).toEqual(["theirs", "hi"]);
    await router.send(["theirs", "hello back"]);
    expect(texts(await fx.zmq.receive(theirRouter))).toEqual(["ours", "hello back"]);
  });
});
