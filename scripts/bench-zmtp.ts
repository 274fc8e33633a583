/**
 * ZMTP benchmark (not a test): our TypeScript ZMTP under Bun vs libzmq (zeromq.js) under Node,
 * measured the same way in the same run, with NULL security and with CURVE.
 *
 * - DEALER -> ROUTER throughput: 100-byte messages, each `send` awaited, until the ROUTER has
 *   received them all (after 20,000 unmeasured warm-up messages).
 * - REQ/REP round trip latency: 100-byte request, echoed; p50 and p99.
 *
 * Both sockets of a measurement live in one process (ours: one Bun thread; libzmq: Node's
 * thread plus libzmq's I/O thread, where its encryption runs).
 *
 * Run: bun scripts/bench-zmtp.ts [messages=200000] [roundTrips=20000]
 */
import { join } from "node:path";
import { curveKeyPair, Dealer, Reply, Request, Router, type SocketOptions } from "../src/lib/zmtp/index.ts";

const messages = Number(process.argv[2] ?? 200_000);
const trips = Number(process.argv[3] ?? 20_000);
const SIZE = 100;

interface Result {
  msgsPerSec: number;
  p50us: number;
  p99us: number;
}

type Security = "NULL" | "CURVE";

/** Options for the server and client sockets of one measurement. */
function securityOptions(security: Security): { server: SocketOptions; client: SocketOptions } {
  if (security === "NULL") return { server: {}, client: {} };
  const server = curveKeyPair();
  const client = curveKeyPair();
  return {
    server: { curveServer: true, curveSecretKey: server.secretKey },
    client: { curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey },
  };
}

async function throughput(count: number, security: Security): Promise<number> {
  const options = securityOptions(security);
  const router = new Router(options.server);
  await router.bind("tcp://127.0.0.1:0");
  const dealer = new Dealer(options.client);
  dealer.connect(router.lastEndpoint as string);
  const payload = Buffer.alloc(SIZE, 0x61);
  // Warm-up (connection, handshake, JIT), not measured.
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

async function roundTrips(count: number, security: Security): Promise<{ p50: number; p99: number }> {
  const options = securityOptions(security);
  const rep = new Reply(options.server);
  await rep.bind("tcp://127.0.0.1:0");
  const req = new Request(options.client);
  req.connect(rep.lastEndpoint as string);
  const serving = (async () => {
    for await (const [msg] of rep) await rep.send(msg as Buffer);
  })();
  const payload = Buffer.alloc(SIZE, 0x62);
  for (let i = 0; i < 1000; i++) {
    await req.send(payload);
    await req.receive();
  }
  const samples = new Float64Array(count);
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
  return { p50: (samples[Math.floor(count * 0.5)] as number) * 1000, p99: (samples[Math.floor(count * 0.99)] as number) * 1000 };
}

async function libzmq(security: Security): Promise<Result> {
  const script = join(import.meta.dir, "zmtp-peer/bench-libzmq.cjs");
  const proc = Bun.spawn(["node", script, String(messages), String(trips), security], { stdout: "pipe", stderr: "inherit" });
  const text = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`libzmq bench failed: ${text}`);
  return JSON.parse(text) as Result;
}

async function ours(security: Security): Promise<Result> {
  const msgsPerSec = await throughput(messages, security);
  const latency = await roundTrips(trips, security);
  return { msgsPerSec, p50us: latency.p50, p99us: latency.p99 };
}

const results: Record<Security, { ours: Result; libzmq: Result }> = {
  NULL: { ours: await ours("NULL"), libzmq: await libzmq("NULL") },
  CURVE: { ours: await ours("CURVE"), libzmq: await libzmq("CURVE") },
};

const rows: string[][] = [["", "security", "ours (Bun)", "libzmq (Node)", "ours/libzmq"]];
for (const security of ["NULL", "CURVE"] as const) {
  const { ours: a, libzmq: b } = results[security];
  rows.push([`DEALER->ROUTER msgs/s (${SIZE} B, awaited)`, security, fmt(a.msgsPerSec, 0), fmt(b.msgsPerSec, 0), `${fmt(a.msgsPerSec / b.msgsPerSec, 2)}x`]);
}
for (const security of ["NULL", "CURVE"] as const) {
  const { ours: a, libzmq: b } = results[security];
  rows.push(["REQ/REP round trip p50 (us)", security, fmt(a.p50us, 1), fmt(b.p50us, 1), `${fmt(a.p50us / b.p50us, 2)}x`]);
  rows.push(["REQ/REP round trip p99 (us)", security, fmt(a.p99us, 1), fmt(b.p99us, 1), `${fmt(a.p99us / b.p99us, 2)}x`]);
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]?.length ?? 0)));
for (const r of rows) {
  process.stdout.write(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ") + "\n");
}
process.stdout.write(`(${messages} messages, ${trips} round trips, Bun ${Bun.version}, Node ${(await nodeVersion()).trim()})\n`);

function fmt(n: number, digits: number): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function nodeVersion(): Promise<string> {
  const p = Bun.spawn(["node", "--version"], { stdout: "pipe" });
  return new Response(p.stdout).text();
}
