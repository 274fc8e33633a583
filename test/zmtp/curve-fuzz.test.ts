/**
 * Fuzzes the CURVE handshake and MESSAGE stream of a CURVE Router (with an allow-list) and a
 * CURVE Reply: truncated, bit-flipped, replayed, reordered and out-of-turn HELLO, INITIATE and
 * MESSAGE commands from byte-level clients (seeded), while libzmq clients and clients of ours
 * keep making requests. Every request of the good clients must be answered, every bad
 * connection dropped, and the sockets must report exactly one failure per bad connection.
 */
import { afterAll, expect, test } from "bun:test";
import { encodeMetadata } from "../../src/lib/zmtp/commands.ts";
import { encodeGreeting } from "../../src/lib/zmtp/greeting.ts";
import { curveKeyPair, Dealer, Reply, Request, Router, type SocketBase } from "../../src/lib/zmtp/index.ts";
import { clientOptions, echo, serverOptions } from "./curve-helpers.ts";
import { RawCurveClient, RawCurveConnection, rawKeys } from "./curve-raw-client.ts";
import { LibzmqPeer } from "./libzmq-peer.ts";
import { RawPeer } from "./raw-peer.ts";
import { waitFor, within } from "./wait.ts";

const SEED = 0xc0ffee25;
const CASES_PER_TARGET = 1000;
const BATCH = 25;
const GOOD_REQUESTS = 300;

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

/** What the server must report for a case. */
type Expect = "protocol" | "auth" | "protocol-disconnect" | "clean";

interface Target {
  readonly name: string;
  readonly socket: Router | Reply;
  readonly port: number;
  readonly socketType: string;
  /** Frames a valid request to this target starts with (REP needs the empty delimiter). */
  readonly envelope: string[];
  readonly allowList: boolean;
}

interface Tally {
  protocol: number;
  auth: number;
  protocolDisconnect: number;
  otherDisconnect: number;
  handshakes: number;
  reasons: Map<string, number>;
}

function tally(socket: SocketBase): Tally {
  const t: Tally = { protocol: 0, auth: 0, protocolDisconnect: 0, otherDisconnect: 0, handshakes: 0, reasons: new Map() };
  const note = (reason: string) => {
    const key = reason.replace(/\d+/g, "N").slice(0, 70);
    t.reasons.set(key, (t.reasons.get(key) ?? 0) + 1);
  };
  socket.events.on("handshake:error:protocol", (e) => (t.protocol++, note(e.error.message)));
  socket.events.on("handshake:error:auth", (e) => (t.auth++, note(e.error.message)));
  socket.events.on("handshake", () => t.handshakes++);
  socket.events.on("disconnect", (e) => {
    if (e.reason.startsWith("Protocol error")) t.protocolDisconnect++;
    else t.otherDisconnect++;
    note(e.reason);
  });
  return t;
}

/** A copy with one random bit flipped at or after octet `from`. */
function flip(bytes: Uint8Array, rand: () => number, from = 0): Uint8Array {
  const copy = Uint8Array.from(bytes);
  const bit = from * 8 + Math.floor(rand() * (copy.length - from) * 8);
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

/** A message frame without the COMMAND flag. */
function dataFrame(body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([0, body.length]), body]);
}

let zmq: LibzmqPeer | null = null;
const sockets: SocketBase[] = [];
afterAll(async () => {
  for (const s of sockets) s.close();
  await zmq?.stop();
});

test(`CURVE fuzz: ${2 * CASES_PER_TARGET} bad and good handshakes (seed 0x${SEED.toString(16)}); good peers get every answer`, async () => {
  const server = curveKeyPair();
  const fuzzer = curveKeyPair();
  const stranger = curveKeyPair();
  const goodKeys = [curveKeyPair(), curveKeyPair()];
  const allowed = new Set([fuzzer.publicKey, ...goodKeys.map((k) => k.publicKey)]);
  const router = new Router(serverOptions(server, allowed));
  const rep = new Reply(serverOptions(server));
  sockets.push(router, rep);
  await router.bind("tcp://127.0.0.1:0");
  await rep.bind("tcp://127.0.0.1:0");
  const routerTally = tally(router);
  const repTally = tally(rep);
  const served = [echo(router), echo(rep)];
  const targets: Target[] = [
    { name: "Router", socket: router, port: RawPeer.portOf(router.lastEndpoint), socketType: "DEALER", envelope: [], allowList: true },
    { name: "Reply", socket: rep, port: RawPeer.portOf(rep.lastEndpoint), socketType: "REQ", envelope: [""], allowList: false },
  ];

  // Good peers: libzmq and ours, one of each on each target, requesting all along.
  zmq = await LibzmqPeer.start();
  const lzDealer = await zmq.socket("Dealer", { routingId: "lz", curveServerKey: server.publicKey, curvePublicKey: goodKeys[0]!.publicKey, curveSecretKey: goodKeys[0]!.secretKey });
  const lzReq = await zmq.socket("Request", { curveServerKey: server.publicKey, curvePublicKey: goodKeys[0]!.publicKey, curveSecretKey: goodKeys[0]!.secretKey });
  await zmq.connect(lzDealer, router.lastEndpoint as string);
  await zmq.connect(lzReq, rep.lastEndpoint as string);
  const ourDealer = new Dealer({ ...clientOptions(server.publicKey, goodKeys[1]), routingId: "ours" });
  const ourReq = new Request(clientOptions(server.publicKey, goodKeys[1]));
  sockets.push(ourDealer, ourReq);
  ourDealer.connect(router.lastEndpoint as string);
  ourReq.connect(rep.lastEndpoint as string);
  const good = Promise.all([
    zmq.requestSeq(lzDealer, GOOD_REQUESTS),
    zmq.requestSeq(lzReq, GOOD_REQUESTS),
    (async () => {
      const got: string[] = [];
      for (let i = 0; i < GOOD_REQUESTS; i++) {
        await ourDealer.send(`m${i}`);
        got.push(String((await ourDealer.receive())[0]));
      }
      return got;
    })(),
    (async () => {
      const got: string[] = [];
      for (let i = 0; i < GOOD_REQUESTS; i++) {
        await ourReq.send(`m${i}`);
        got.push(String((await ourReq.receive())[0]));
      }
      return got;
    })(),
  ]);

  const clients = [0, 1, 2, 3].map(() => new RawCurveClient(rawKeys(server.publicKey, fuzzer)));
  const outsider = new RawCurveClient(rawKeys(server.publicKey, stranger));
  const expected = new Map<string, Record<Expect, number>>(targets.map((t) => [t.name, { protocol: 0, auth: 0, "protocol-disconnect": 0, clean: 0 }]));
  const validMessages = new Map<string, string[]>(targets.map((t) => [t.name, []]));
  const usedInitiates: Uint8Array[] = [];
  const kinds = new Map<string, number>();

  /** Runs one case on a fresh connection; returns what the server must report. */
  async function runCase(target: Target, id: number): Promise<void> {
    // Each case draws from its own sequence, so concurrent cases stay reproducible.
    const rand = prng(SEED ^ Math.imul(id + 1, 0x9e3779b1));
    const int = (n: number) => Math.floor(rand() * n);
    const client = clients[int(clients.length)] as RawCurveClient;
    const conn = await RawCurveConnection.open(target.port);
    const stage = int(3);
    const kind = int(stage === 1 ? 9 : 8);
    const label = `${["hello", "initiate", "message"][stage]}-${kind}`;
    kinds.set(label, (kinds.get(label) ?? 0) + 1);
    let outcome: Expect = "protocol";
    try {
      if (stage === 0) {
        // HELLO stage: the server expects HELLO after the greeting.
        const hello = client.hello();
        if (kind === 6) {
          const greeting = encodeGreeting(int(2) === 0 ? "NULL" : "CURVE", true);
          conn.peer.write(greeting);
        } else {
          await conn.greet();
          if (kind === 0) conn.command(hello.subarray(0, 1 + int(hello.length - 1)));
          else if (kind === 1) conn.command(flip(hello, rand));
          else if (kind === 2) conn.command(Buffer.concat([hello, Buffer.alloc(1 + int(40))]));
          else if (kind === 3) conn.peer.write(dataFrame(hello.subarray(0, 200)));
          else if (kind === 4) conn.command(usedInitiates[int(usedInitiates.length)] ?? client.hello(2).subarray(0, 150));
          else if (kind === 5) conn.command(Buffer.from([4, ...Buffer.from("PING"), 0, 1]));
          else {
            // A HELLO frame cut short, then the connection closes.
            conn.peer.write(Buffer.concat([Buffer.from([4, 200]), hello.subarray(0, 1 + int(198))]));
            conn.close();
          }
        }
      } else if (stage === 1) {
        // INITIATE stage: a valid HELLO first.
        await conn.greet();
        conn.command(client.hello());
        const welcome = client.welcome((await conn.frame()).body);
        if (welcome === null) throw new Error("WELCOME did not open");
        const initiate = client.initiate(welcome, target.socketType);
        if (kind === 0) conn.command(initiate.subarray(0, 1 + int(initiate.length - 1)));
        else if (kind === 1) conn.command(flip(initiate, rand));
        else if (kind === 2) conn.command(client.hello());
        else if (kind === 3 && usedInitiates.length > 0) conn.command(usedInitiates[int(usedInitiates.length)] as Uint8Array);
        else if (kind === 3) conn.command(client.initiate(welcome, target.socketType, { nonce: 1 }));
        else if (kind === 4) conn.command(client.initiate(welcome, target.socketType, { nonce: int(2) }));
        else if (kind === 5) conn.command(client.initiate(welcome, target.socketType, { vouchServer: outsider.keys.server.map((b, i) => (i === 0 ? b ^ 1 : b)) }));
        else if (kind === 6) {
          const metadata = int(2) === 0 ? encodeMetadata([["Socket-Type", Buffer.from("PUB")]]) : Uint8Array.of(11, 65, 66);
          conn.command(client.initiate(welcome, target.socketType, { metadata }));
        } else if (kind === 8 && target.allowList) {
          // Valid, but claims the routing id a connected good peer already has.
          const metadata = encodeMetadata([["Socket-Type", Buffer.from(target.socketType)], ["Identity", Buffer.from("ours")]]);
          conn.command(client.initiate(welcome, target.socketType, { metadata }));
        } else if (kind === 8) {
          conn.command(flip(initiate, rand));
        } else if (target.allowList) {
          // A client whose key is not on the allow-list: refused with ERROR 400.
          const otherWelcome = await (async () => {
            const c2 = await RawCurveConnection.open(target.port);
            await c2.greet();
            c2.command(outsider.hello());
            const w = outsider.welcome((await c2.frame()).body);
            c2.command(outsider.initiate(w!, target.socketType));
            const error = await c2.frame();
            c2.close();
            await c2.peer.closed;
            return error.body.toString("latin1");
          })();
          expect(otherWelcome).toBe("\x05ERROR\x03400");
          expected.get(target.name)!.auth++;
          conn.command(flip(initiate, rand));
        } else {
          conn.command(client.initiate(welcome, target.socketType, { vouchTransient: outsider.transient.publicKey }));
        }
      } else {
        // MESSAGE stage: a full handshake first.
        const { codec, initiate } = await conn.handshake(client, target.socketType);
        usedInitiates.push(initiate);
        if (usedInitiates.length > 20) usedInitiates.shift();
        const text = `${target.name}-${id}`;
        const message = RawCurveConnection.sealed(codec, [...target.envelope, text]);
        // The last frame (the text) starts here; its header is 2 octets.
        const last = message.length - (text.length + 35);
        if (kind === 0) conn.peer.write(flip(message, rand, last + 2));
        else if (kind === 1) {
          // Cut inside the last frame's box, re-framed with the shorter size.
          const body = message.subarray(last + 2, last + 2 + 1 + int(text.length + 32));
          conn.peer.write(Buffer.concat([message.subarray(0, last), Buffer.from([0, body.length]), body]));
        } else if (kind === 2) {
          conn.peer.write(message);
          conn.peer.write(message);
          validMessages.get(target.name)!.push(text);
        } else if (kind === 3) {
          const later = RawCurveConnection.sealed(codec, [...target.envelope, `${text}-later`]);
          conn.peer.write(later);
          conn.peer.write(message);
          validMessages.get(target.name)!.push(`${text}-later`);
        } else if (kind === 4) conn.peer.write(dataFrame(Buffer.from("in the clear")));
        else if (kind === 5) conn.command(client.hello());
        else if (kind === 6) conn.peer.write(Buffer.from([message[0]! | 1, ...message.subarray(1)]));
        else {
          // A good client: sends a valid request, in pieces, and leaves.
          const cut = 1 + int(message.length - 1);
          conn.peer.write(message.subarray(0, cut));
          conn.peer.write(message.subarray(cut));
          validMessages.get(target.name)!.push(text);
          outcome = "clean";
        }
        if (outcome !== "clean") outcome = "protocol-disconnect";
      }
      if (outcome === "clean") {
        await waitFor(() => served[targets.indexOf(target)]!.received.some((m) => String(m[m.length - 1]) === `${target.name}-${id}`), `valid message ${id}`);
        conn.close();
      }
      await within(conn.peer.closed, `${label} connection ${id} to be dropped`);
    } finally {
      conn.close();
    }
    expected.get(target.name)![outcome]++;
  }

  for (let done = 0; done < 2 * CASES_PER_TARGET; done += BATCH) {
    const batch: Promise<void>[] = [];
    for (let i = done; i < done + BATCH; i++) batch.push(runCase(targets[i % 2] as Target, i));
    await within(Promise.all(batch), `fuzz batch at ${done}`, 20_000);
  }

  const answers = await within(good, "the good peers' answers", 30_000);
  const inOrder = Array.from({ length: GOOD_REQUESTS }, (_, i) => `m${i}`);
  for (const got of answers) expect(got).toEqual(inOrder);

  // What the sockets did: one failure per bad connection, a clean disconnect per good raw one.
  for (const [target, t] of [[targets[0]!, routerTally], [targets[1]!, repTally]] as const) {
    const want = expected.get(target.name)!;
    await waitFor(() => t.protocol + t.auth + t.protocolDisconnect + t.otherDisconnect >= want.protocol + want.auth + want["protocol-disconnect"] + want.clean, `${target.name}'s reports`);
    expect({ name: target.name, protocol: t.protocol, auth: t.auth, protocolDisconnect: t.protocolDisconnect, cleanDisconnect: t.otherDisconnect }).toEqual({
      name: target.name,
      protocol: want.protocol,
      auth: want.auth,
      protocolDisconnect: want["protocol-disconnect"],
      cleanDisconnect: want.clean,
    });
    expect(want.protocol + want["protocol-disconnect"]).toBeGreaterThan(CASES_PER_TARGET / 2);
  }
  // Only good peers' requests and the raw clients' valid messages reached the application.
  for (const [i, target] of targets.entries()) {
    const raw = served[i]!.received.map((m) => String(m[m.length - 1])).filter((t) => !/^m\d+$/.test(t));
    expect(raw.sort()).toEqual(validMessages.get(target.name)!.sort());
  }
  expect(router.peerCount).toBe(2);
  expect(rep.peerCount).toBe(2);
  expect([...kinds.keys()].length).toBe(25);
  if (process.env.CURVE_FUZZ_REPORT) console.log(Object.fromEntries(routerTally.reasons), Object.fromEntries(repTally.reasons));
}, 120_000);
