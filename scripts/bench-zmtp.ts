/**
 * ZMTP benchmark (not a test): our TypeScript ZMTP under Bun vs libzmq (zeromq.js) under Node,
 * measured the same way in the same run.
 *
 * - DEALER -> ROUTER throughput: 100-byte messages, each `send` awaited, until the ROUTER has
 *   received them all.
 * - REQ/REP round trip latency: 100-byte request, echoed; p50 and p99.
 *
 * Run: bun scripts/bench-zmtp.ts [messages=200000] [roundTrips=20000]
 */
import { join } from "node:path";
import { Dealer, Reply, Request, Router } from "../src/lib/zmtp/index.ts";

const messages = Number(process.argv[2] ?? 200_000);
const trips = Number(process.argv[3] ?? 20_000);
const SIZE = 100;

interface Result {
  msgsPerSec: number;
  p50us: number;
  p99us: number;
}

async function throughput(count: number): Promise<number> {
  const router = new Router();
  await router.bind("tcp://127.0.0.1:0");
  const dealer = new Dealer();
  dealer.connect(router.lastEndpoint as string);
  const payload = Buffer.alloc(SIZE, 0x61);
  await dealer.send(payload);
  await router.receive();
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

async function roundTrips(count: number): Promise<{ p50: number; p99: number }> {
  const rep = new Reply();
  await rep.bind("tcp://127.0.0.1:0");
  const req = new Request();
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

async function libzmq(): Promise<Result> {
  const script = join(import.meta.dir, "zmtp-peer/bench-libzmq.cjs");
  const proc = Bun.spawn(["node", script, String(messages), String(trips)], { stdout: "pipe", stderr: "inherit" });
  const text = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`libzmq bench failed: ${text}`);
  return JSON.parse(text) as Result;
}

const oursThroughput = await throughput(messages);
const oursLatency = await roundTrips(trips);
const ours: Result = { msgsPerSec: oursThroughput, p50us: oursLatency.p50, p99us: oursLatency.p99 };
const theirs = await libzmq();

const rows: [string, string, string][] = [
  ["", "ours (Bun)", "libzmq (Node)"],
  [`DEALER->ROUTER msgs/s (${SIZE} B, awaited)`, fmt(ours.msgsPerSec, 0), fmt(theirs.msgsPerSec, 0)],
  ["REQ/REP round trip p50 (us)", fmt(ours.p50us, 1), fmt(theirs.p50us, 1)],
  ["REQ/REP round trip p99 (us)", fmt(ours.p99us, 1), fmt(theirs.p99us, 1)],
];
const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]?.length ?? 0)));
for (const r of rows) process.stdout.write(`${r[0].padEnd(widths[0] as number)}  ${r[1].padStart(widths[1] as number)}  ${r[2].padStart(widths[2] as number)}\n`);
process.stdout.write(`(${messages} messages, ${trips} round trips, Bun ${Bun.version}, Node ${(await nodeVersion()).trim()})\n`);

function fmt(n: number, digits: number): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function nodeVersion(): Promise<string> {
  const p = Bun.spawn(["node", "--version"], { stdout: "pipe" });
  return new Response(p.stdout).text();
}
