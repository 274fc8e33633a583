import { afterAll, expect, test } from "bun:test";
import { Reply, Router } from "../../src/lib/zmtp/index.ts";
import { encodeCommand, encodePing, encodeReady } from "../../src/lib/zmtp/commands.ts";
import { encodeGreeting } from "../../src/lib/zmtp/greeting.ts";
import { LibzmqPeer } from "./libzmq-peer.ts";
import { commandFrame, RawPeer } from "./raw-peer.ts";
import { waitFor, within } from "./wait.ts";

const SEED = 0x5eed_2024;
const CONNECTIONS_PER_TARGET = 1000;
const BATCH = 50;

/** mulberry32: small, seeded, reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fuzzStream(rand: () => number): Buffer {
  const int = (n: number) => Math.floor(rand() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const types = ["REQ", "REP", "DEALER", "ROUTER", "PUB", "", "X".repeat(300)];
  const ready = () => commandFrame(encodeReady([["Socket-Type", Buffer.from(types[int(types.length)] as string)], ["Identity", bytes(int(4))]]));
  const frame = () => {
    const body = bytes(int(300));
    const more = int(2);
    const head = body.length > 255 ? Buffer.from([more | 2, 0, 0, 0, 0, 0, 0, body.length >> 8, body.length & 255]) : Buffer.from([more, body.length]);
    return Buffer.concat([head, body]);
  };
  switch (int(8)) {
    case 0:
      return bytes(int(200));
    case 1:
      return encodeGreeting().subarray(0, int(64));
    case 2:
      return Buffer.concat([encodeGreeting(), bytes(int(200))]);
    case 3: {
      const g = encodeGreeting();
      g[int(64)] = int(256);
      return Buffer.concat([g, ready(), frame()]);
    }
    case 4: {
      const s = Buffer.concat([encodeGreeting(), ready(), ...Array.from({ length: int(6) }, frame)]);
      return s.subarray(0, 64 + int(s.length - 63));
    }
    case 5:
      return Buffer.concat([encodeGreeting(), commandFrame(Buffer.concat([Buffer.from([5]), Buffer.from("READY"), bytes(int(40))]))]);
    case 6:
      return Buffer.concat([encodeGreeting(), ready(), Buffer.from([2, 0, 0, 0, int(256), 0, 0, 0, 0]), bytes(int(100))]);
    default:
      return Buffer.concat([
        encodeGreeting(),
        ready(),
        commandFrame(encodePing(int(65536), bytes(int(30)))),
        commandFrame(encodeCommand(["PONG", "ERROR", "SUBSCRIBE", "Z"][int(4)] as string, bytes(int(10)))),
        frame(),
        bytes(int(20)),
      ]);
  }
}

let zmq: LibzmqPeer | null = null;
afterAll(async () => {
  await zmq?.stop();
});

test(`fuzz: ${2 * CONNECTIONS_PER_TARGET} random and truncated streams (seed ${SEED}); good peers get every answer`, async () => {
  const router = new Router();
  const rep = new Reply();
  try {
    await router.bind("tcp://127.0.0.1:0");
    await rep.bind("tcp://127.0.0.1:0");
    const serveRouter = (async () => {
      for await (const msg of router) await router.send(msg).catch(() => {});
    })();
    const serveRep = (async () => {
      for await (const msg of rep) await rep.send(msg);
    })();

    zmq = await LibzmqPeer.start();
    const goodDealer = await zmq.socket("Dealer", { routingId: "good" });
    const goodReq = await zmq.socket("Request");
    await zmq.connect(goodDealer, router.lastEndpoint as string);
    await zmq.connect(goodReq, rep.lastEndpoint as string);
    const dealerAnswers = zmq.requestSeq(goodDealer, 500);
    const reqAnswers = zmq.requestSeq(goodReq, 500);

    // What each socket did with the connections it accepted: every one must end exactly once,
    // reported as a failed handshake or (if it got through the handshake) a disconnect.
    const ended = { handshakeFailed: 0, disconnected: 0, diagnosed: 0 };
    const reasons = new Set<string>();
    for (const socket of [router, rep]) {
      socket.events.on("handshake:error:protocol", (e) => {
        ended.handshakeFailed++;
        if (!e.error.message.startsWith("Peer closed")) ended.diagnosed++;
        reasons.add(e.error.message.split(":")[0] as string);
      });
      socket.events.on("disconnect", (e) => {
        ended.disconnected++;
        if (!e.reason.startsWith("Peer closed")) ended.diagnosed++;
        reasons.add(e.reason.split(":")[0] as string);
      });
    }

    const rand = prng(SEED);
    const ports = [RawPeer.portOf(router.lastEndpoint), RawPeer.portOf(rep.lastEndpoint)];
    for (let done = 0; done < 2 * CONNECTIONS_PER_TARGET; done += BATCH) {
      const batch: RawPeer[] = [];
      for (let i = 0; i < BATCH; i++) {
        const peer = await RawPeer.connect(ports[(done + i) % 2] as number);
        batch.push(peer);
        const stream = fuzzStream(rand);
        if (stream.length > 0 && !peer.isClosed) {
          try {
            peer.write(stream);
          } catch {
            // the server may already have closed on a bad prefix; that is fine
          }
        }
        peer.close();
      }
      await within(Promise.all(batch.map((p) => p.closed)), "fuzz connections to close");
    }
    const total = () => ended.handshakeFailed + ended.disconnected;
    await waitFor(() => total() >= 2 * CONNECTIONS_PER_TARGET, "the sockets to report every fuzz connection's end");
    expect(total()).toBe(2 * CONNECTIONS_PER_TARGET);
    // Most streams are refused by the server itself (not just abandoned by the fuzzer first).
    expect(ended.diagnosed).toBeGreaterThan(CONNECTIONS_PER_TARGET);
    expect([...reasons]).toEqual(expect.arrayContaining(["Bad greeting", "Protocol error", "Invalid socket type"]));

    const dealerReplies = await within(dealerAnswers, "good dealer answers", 20_000);
    const reqReplies = await within(reqAnswers, "good request answers", 20_000);
    expect(dealerReplies).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
    expect(reqReplies).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
    await waitFor(() => router.peerCount === 1 && rep.peerCount === 1, "only the good peers to remain");
    router.close();
    rep.close();
    await within(Promise.all([serveRouter, serveRep]), "serve loops to end");
  } finally {
    router.close();
    rep.close();
  }
}, 30_000);
