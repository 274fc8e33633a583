import { describe, expect, test } from "bun:test";
import { Reply, Request } from "../../src/lib/zmtp/index.ts";
import { texts, useLibzmq } from "./libzmq-fixture.ts";
import { within } from "./wait.ts";

const fx = useLibzmq();
const { track, libzmq } = fx;

describe("our Request <-> libzmq Reply", () => {
  test("we connect to a bound libzmq Reply; multi-frame request and reply", async () => {
    const rep = await libzmq("Reply");
    const endpoint = await fx.zmq.bind(rep);
    const req = track(new Request());
    req.connect(endpoint);
    await req.send(["hello", "", "world"]);
    expect(texts(await fx.zmq.receive(rep))).toEqual(["hello", "", "world"]);
    await fx.zmq.send(rep, ["reply", "two"]);
    expect(texts(await within(req.receive(), "reply"))).toEqual(["reply", "two"]);
  });

  test("libzmq Reply connects to our bound Request; 1,000 round trips in order", async () => {
    const req = track(new Request());
    await req.bind("tcp://127.0.0.1:0");
    const rep = await libzmq("Reply");
    await fx.zmq.connect(rep, req.lastEndpoint as string);
    await fx.zmq.echo(rep, "srv");
    for (let i = 0; i < 1000; i++) {
      await req.send(`q${i}`);
      const reply = texts(await req.receive());
      expect(reply).toEqual([`q${i}`, "srv"]);
    }
  });

  test("round-robins requests over several libzmq Reply peers", async () => {
    const req = track(new Request());
    const endpoints: string[] = [];
    for (const tag of ["A", "B", "C"]) {
      const rep = await libzmq("Reply");
      endpoints.push(await fx.zmq.bind(rep));
      await fx.zmq.echo(rep, tag);
    }
    for (const e of endpoints) req.connect(e);
    // wait until all three handshakes are done, then every server must answer in turn
    const deadline = performance.now() + 5000;
    while (req.peerCount < 3 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    expect(req.peerCount).toBe(3);
    const seen: string[] = [];
    for (let i = 0; i < 9; i++) {
      await req.send(`q${i}`);
      const [, tag] = texts(await within(req.receive(), `reply ${i}`));
      seen.push(tag as string);
    }
    expect(seen.slice(0, 3).sort()).toEqual(["A", "B", "C"]);
    expect(seen.slice(3, 6)).toEqual(seen.slice(0, 3));
    expect(seen.slice(6, 9)).toEqual(seen.slice(0, 3));
  });

  test("an empty request (0-byte frame) and a 1 MiB frame", async () => {
    const rep = await libzmq("Reply");
    const endpoint = await fx.zmq.bind(rep);
    await fx.zmq.echo(rep);
    const req = track(new Request());
    req.connect(endpoint);
    await req.send(Buffer.alloc(0));
    const [empty, ...rest] = await within(req.receive(), "empty echo");
    expect(empty?.length).toBe(0);
    expect(rest).toEqual([]);
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    await req.send(big);
    const [echoed] = await within(req.receive(), "1 MiB echo");
    expect(echoed?.equals(big)).toBe(true);
  });
});

describe("libzmq Request <-> our Reply", () => {
  test("libzmq Request connects to our bound Reply", async () => {
    const rep = track(new Reply());
    await rep.bind("tcp://127.0.0.1:0");
    const req = await libzmq("Request");
    await fx.zmq.connect(req, rep.lastEndpoint as string);
    const sent = fx.zmq.send(req, ["ping", "two"]);
    expect(texts(await within(rep.receive(), "request"))).toEqual(["ping", "two"]);
    await sent;
    await rep.send(["pong", ""]);
    expect(texts(await fx.zmq.receive(req))).toEqual(["pong", ""]);
  });

  test("our Reply connects to a bound libzmq Request", async () => {
    const req = await libzmq("Request");
    const endpoint = await fx.zmq.bind(req);
    const rep = track(new Reply());
    rep.connect(endpoint);
    await fx.zmq.send(req, ["x"]);
    expect(texts(await within(rep.receive(), "request"))).toEqual(["x"]);
    await rep.send("y");
    expect(texts(await fx.zmq.receive(req))).toEqual(["y"]);
  });

  test("replies go back to the right peer when several libzmq Requests are connected", async () => {
    const rep = track(new Reply());
    await rep.bind("tcp://127.0.0.1:0");
    const reqs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const req = await libzmq("Request", { routingId: `client-${i}` });
      await fx.zmq.connect(req, rep.lastEndpoint as string);
      reqs.push(req);
    }
    // all three send before we read anything
    await Promise.all(reqs.map((req, i) => fx.zmq.send(req, [`from-${i}`])));
    const order: string[] = [];
    for (let n = 0; n < 3; n++) {
      const [body] = texts(await within(rep.receive(), "request"));
      order.push(body as string);
      await rep.send(`reply-to-${body}`);
    }
    expect(order.sort()).toEqual(["from-0", "from-1", "from-2"]);
    for (let i = 0; i < 3; i++) {
      expect(texts(await fx.zmq.receive(reqs[i] as string))).toEqual([`reply-to-from-${i}`]);
    }
  });

  test("2,000 requests in order from libzmq", async () => {
    const rep = track(new Reply());
    await rep.bind("tcp://127.0.0.1:0");
    const req = await libzmq("Request");
    await fx.zmq.connect(req, rep.lastEndpoint as string);
    const serving = (async () => {
      let n = 0;
      for await (const [body] of rep) {
        expect(body?.toString()).toBe(`m${n}`);
        await rep.send(["ok", body as Buffer]);
        if (++n === 2000) return n;
      }
      return n;
    })();
    const replies = await fx.zmq.requestSeq(req, 2000);
    expect(replies.length).toBe(2000);
    expect(replies[0]).toBe("ok|m0");
    expect(replies[1999]).toBe("ok|m1999");
    expect(replies.every((r, i) => r === `ok|m${i}`)).toBe(true);
    expect(await serving).toBe(2000);
  });
});
