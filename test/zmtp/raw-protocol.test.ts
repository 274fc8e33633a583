import { afterEach, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { Dealer, Router, type SocketBase } from "../../src/lib/zmtp/index.ts";
import { encodeCommand, encodePing } from "../../src/lib/zmtp/commands.ts";
import { encodeGreeting } from "../../src/lib/zmtp/greeting.ts";
import { commandFrame, messageFrames, RawPeer } from "./raw-peer.ts";
import { within } from "./wait.ts";

const sockets: SocketBase[] = [];
const raws: RawPeer[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
  for (const r of raws.splice(0)) r.close();
});

async function boundRouter(options = {}): Promise<{ router: Router; port: number }> {
  const router = new Router(options);
  sockets.push(router);
  await router.bind("tcp://127.0.0.1:0");
  return { router, port: RawPeer.portOf(router.lastEndpoint) };
}
async function raw(port: number): Promise<RawPeer> {
  const peer = await RawPeer.connect(port);
  raws.push(peer);
  return peer;
}
/** READY body as libzmq would send it for the given type and identity. */
function readyBytes(type: string, identity?: string): Buffer {
  const parts: number[] = [5, ...Buffer.from("READY"), 11, ...Buffer.from("Socket-Type"), 0, 0, 0, type.length, ...Buffer.from(type)];
  if (identity !== undefined) parts.push(8, ...Buffer.from("Identity"), 0, 0, 0, identity.length, ...Buffer.from(identity));
  return Buffer.from(parts);
}

describe("handshake octets", () => {
  test("a bound Router sends the RFC 37 greeting and a READY with Socket-Type and empty Identity", async () => {
    const { port } = await boundRouter();
    const peer = await raw(port);
    const greeting = await peer.read(64);
    expect(greeting.equals(encodeGreeting())).toBe(true);
    peer.handshake("DEALER");
    const head = await peer.read(2);
    expect(head[0]).toBe(0x04);
    const body = await peer.read(head[1] as number);
    expect(body.equals(readyBytes("ROUTER", ""))).toBe(true);
  });

  test("a connecting Dealer announces its routingId as Identity", async () => {
    let serverSide: Socket<undefined> | null = null;
    let received = Buffer.alloc(0);
    const server = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open: (s) => {
          serverSide = s;
        },
        data: (_s, chunk) => {
          received = Buffer.concat([received, chunk]);
        },
      },
    });
    try {
      const dealer = new Dealer({ routingId: "worker-7" });
      sockets.push(dealer);
      dealer.connect(`tcp://127.0.0.1:${server.port}`);
      const deadline = performance.now() + 5000;
      while (received.length < 64 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      expect(received.subarray(0, 64).equals(encodeGreeting())).toBe(true);
      // READY is sent only after our greeting arrives
      (serverSide as Socket<undefined> | null)?.write(encodeGreeting());
      const expected = readyBytes("DEALER", "worker-7");
      while (received.length < 66 + expected.length && performance.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      expect([...received.subarray(64, 66)]).toEqual([0x04, expected.length]);
      expect(received.subarray(66).equals(expected)).toBe(true);
    } finally {
      server.stop(true);
    }
  });
});

describe("commands after the handshake", () => {
  test("PING is answered with PONG echoing the context", async () => {
    const { port } = await boundRouter();
    const peer = await raw(port);
    peer.handshake("DEALER");
    await peer.read(64);
    const head = await peer.read(2);
    await peer.read(head[1] as number);
    peer.write(commandFrame(encodePing(30, Buffer.from("ctx-42"))));
    const pong = await peer.read(2 + 1 + 4 + 6);
    expect([...pong]).toEqual([0x04, 11, 4, ...Buffer.from("PONG"), ...Buffer.from("ctx-42")]);
  });

  test("a PING between frames of a multipart message is answered and the message is intact", async () => {
    const { router, port } = await boundRouter();
    const peer = await raw(port);
    peer.handshake("DEALER", { identity: "raw" });
    const frames = messageFrames("one", "two");
    peer.write(Buffer.concat([frames.subarray(0, 5), commandFrame(encodePing(0, Buffer.alloc(0))), frames.subarray(5)]));
    const message = await within(router.receive(), "message");
    expect(message.map(String)).toEqual(["raw", "one", "two"]);
    await peer.read(64);
    const head = await peer.read(2);
    await peer.read(head[1] as number);
    expect([...(await peer.read(7))]).toEqual([0x04, 5, 4, ...Buffer.from("PONG")]);
  });
});

describe("version negotiation", () => {
  test("a ZMTP 3.0 peer (minor version 0) is accepted and can exchange messages", async () => {
    const { router, port } = await boundRouter();
    const peer = await raw(port);
    peer.handshake("DEALER", { minor: 0, identity: "old" });
    peer.write(messageFrames("from", "3.0"));
    expect((await within(router.receive(), "message")).map(String)).toEqual(["old", "from", "3.0"]);
    await router.send(["old", "hi"]);
    await peer.read(64);
    const head = await peer.read(2);
    await peer.read(head[1] as number);
    expect([...(await peer.read(4))]).toEqual([0, 2, ...Buffer.from("hi")]);
  });

  test("a ZMTP 2.0 greeting is refused after 11 octets", async () => {
    const { port } = await boundRouter();
    const peer = await raw(port);
    const old = Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 1]);
    peer.write(old);
    await within(peer.closed, "connection close");
    expect(peer.isClosed).toBe(true);
  });
});

describe("refused peers", () => {
  test("an incompatible socket type gets ERROR and is disconnected", async () => {
    const { router, port } = await boundRouter();
    const peer = await raw(port);
    peer.handshake("REP");
    await peer.read(64);
    const readyHead = await peer.read(2);
    await peer.read(readyHead[1] as number);
    const head = await peer.read(2);
    expect(head[0]).toBe(0x04);
    const error = await peer.read(head[1] as number);
    expect(error.subarray(0, 6).equals(Buffer.from([5, ...Buffer.from("ERROR")]))).toBe(true);
    expect(error.subarray(7).toString()).toContain("ROUTER does not accept REP");
    expect(error[6]).toBe(error.length - 7);
    await within(peer.closed, "connection close");
    expect(router.peerCount).toBe(0);
  });

  test("a wrong mechanism, a bad signature, and a message before READY each close the connection", async () => {
    const { router, port } = await boundRouter();
    const plain = await raw(port);
    plain.write(encodeGreeting("PLAIN"));
    const badSignature = await raw(port);
    badSignature.write(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    const early = await raw(port);
    early.write(Buffer.concat([encodeGreeting(), messageFrames("too early")]));
    const unknownCommand = await raw(port);
    unknownCommand.write(Buffer.concat([encodeGreeting(), commandFrame(encodeCommand("HELLO"))]));
    await within(Promise.all([plain.closed, badSignature.closed, early.closed, unknownCommand.closed]), "all four closed");
    expect(router.peerCount).toBe(0);
    // the socket still serves a good peer
    const good = await raw(port);
    good.handshake("DEALER", { identity: "good" });
    good.write(messageFrames("still", "up"));
    expect((await within(router.receive(), "message")).map(String)).toEqual(["good", "still", "up"]);
  });
});
