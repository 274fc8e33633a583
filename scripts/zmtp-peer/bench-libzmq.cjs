#!/usr/bin/env node
// libzmq (zeromq.js under Node) side of scripts/bench-zmtp.ts: the same two measurements as
// the Bun side, printed as one JSON line.
// Usage: node bench-libzmq.cjs <messages> <roundTrips> [NULL|CURVE]
"use strict";
const zmq = require("zeromq");

/** Options for the server and client sockets: NULL, or a fresh CURVE server and client. */
function securityOptions(security) {
  if (security !== "CURVE") return { server: { linger: 0 }, client: { linger: 0 } };
  const server = zmq.curveKeyPair();
  const client = zmq.curveKeyPair();
  return {
    server: { linger: 0, curveServer: true, curveSecretKey: server.secretKey },
    client: { linger: 0, curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey },
  };
}

async function throughput(count, size, security) {
  const options = securityOptions(security);
  const router = new zmq.Router(options.server);
  await router.bind("tcp://127.0.0.1:0");
  const dealer = new zmq.Dealer(options.client);
  dealer.connect(router.lastEndpoint);
  const payload = Buffer.alloc(size, 0x61);
  // Warm-up (connection, JIT; for ours under CURVE also the seal worker), not measured.
  const warmup = Math.min(count, 20000);
  const warmed = (async () => {
    for (let i = 0; i < warmup; i++) await router.receive();
  })();
  for (let i = 0; i < warmup; i++) await dealer.send(payload);
  await warmed;
  const received = (async () => {
    for (let i = 0; i < count; i++) await router.receive();
  })();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await dealer.send(payload);
  await received;
  const seconds = (performance.now() - t0) / 1000;
  router.close();
  dealer.close();
  return count / seconds;
}

async function roundTrips(count, size, security) {
  const options = securityOptions(security);
  const rep = new zmq.Reply(options.server);
  await rep.bind("tcp://127.0.0.1:0");
  const req = new zmq.Request(options.client);
  req.connect(rep.lastEndpoint);
  const serving = (async () => {
    for await (const [msg] of rep) await rep.send(msg);
  })().catch(() => {});
  const payload = Buffer.alloc(size, 0x62);
  const samples = new Float64Array(count);
  for (let i = 0; i < 1000; i++) {
    await req.send(payload);
    await req.receive();
  }
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await req.send(payload);
    await req.receive();
    samples[i] = performance.now() - t0;
  }
  samples.sort();
  rep.close();
  req.close();
  await serving;
  return { p50: samples[Math.floor(count * 0.5)] * 1000, p99: samples[Math.floor(count * 0.99)] * 1000 };
}

(async () => {
  const messages = Number(process.argv[2] || 200000);
  const trips = Number(process.argv[3] || 20000);
  const security = process.argv[4] || "NULL";
  const msgsPerSec = await throughput(messages, 100, security);
  const rt = await roundTrips(trips, 100, security);
  process.stdout.write(JSON.stringify({ msgsPerSec, p50us: rt.p50, p99us: rt.p99 }) + "\n");
  process.exit(0);
})().catch((e) => {
  process.stderr.write(String(e && e.stack) + "\n");
  process.exit(1);
});
