/**
 * The dispatcher's and the worker's ZMTP sockets, as their composition roots build them, take
 * messages up to 64 MiB and no more: a peer that declares a bigger frame is disconnected before it
 * sends the body (a dispatcher never buffers a huge declared frame), while a message of exactly
 * 64 MiB is read and acted on. Raw TCP peers speak ZMTP NULL by hand, so sizes are exact.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Socket } from "bun";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../../src/adapters/remote/protocol.ts";
import { encodeReady } from "../../src/lib/zmtp/commands.ts";
import { encodeGreeting } from "../../src/lib/zmtp/greeting.ts";
import { useRedisStack } from "../helpers/redis-stack.ts";
import { startDispatcherHere, startWorkerHere } from "../helpers/roots.ts";
import { commandFrame, RawPeer } from "../zmtp/raw-peer.ts";
import { within } from "../zmtp/wait.ts";

setDefaultTimeout(60_000);
const stack = useRedisStack("remote-message-size");
const MiB64 = 64 * 1024 * 1024;

/** The head of one long message frame (flags 0x02) declaring `size` octets. */
function longFrameHead(size: number): Buffer {
  const head = Buffer.alloc(9);
  head[0] = 0x02;
  head.writeBigUInt64BE(BigInt(size), 1);
  return head;
}

/** A JSON message padded with spaces (which JSON.parse skips) to exactly `size` octets. */
function padded(message: object, size: number): Buffer {
  const body = Buffer.alloc(size, 0x20);
  body.write(JSON.stringify(message));
  return body;
}

let stopServer = () => {};
afterAll(() => stopServer());

describe("64 MiB messages", () => {
  test("the limit is 64 MiB", () => {
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(MiB64);
  });

  test("the dispatcher drops a worker declaring a frame over 64 MiB; a 64 MiB registration is read and the worker registered", async () => {
    const d = await startDispatcherHere(stack.target, ["--mode", "push"]);
    const port = RawPeer.portOf(d.endpoint ?? null);
    const over = await RawPeer.connect(port);
    over.handshake("DEALER", { identity: "over" });
    over.write(longFrameHead(MiB64 + 1));
    await within(over.closed, "the dispatcher to drop a peer that declared 64 MiB + 1", 10_000);

    const exact = await RawPeer.connect(port);
    exact.handshake("DEALER", { identity: "exact" });
    exact.write(longFrameHead(MiB64));
    await exact.writeAll(padded({ v: 1, t: "register", session: 1, capacity: 1, busy: 0, credit: 0, mode: "push" }, MiB64));
    await waitFor(() => d.log.count("worker.registered", (f) => f.worker === "exact") === 1, "the 64 MiB registration to be read", 30_000);
    expect(exact.isClosed).toBe(false);
    expect(d.log.count("worker.registered", (f) => f.worker === "over")).toBe(0);
    exact.close();
  });

  test("a worker drops a dispatcher declaring a frame over 64 MiB; a 64 MiB message from it is read", async () => {
    const sockets: Socket<{ closed: boolean }>[] = [];
    /** Called when a socket drains or closes: the writer below waits on it. */
    let wake: (() => void) | undefined;
    const server = Bun.listen<{ closed: boolean }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(sock) {
          sock.data = { closed: false };
          sockets.push(sock);
          sock.write(Buffer.concat([encodeGreeting(), commandFrame(encodeReady([["Socket-Type", Buffer.from("ROUTER")]]))]));
        },
        data() {}, // the worker's greeting, READY and register: not needed here
        drain: () => wake?.(),
        close(sock) {
          sock.data.closed = true;
          wake?.();
        },
      },
    });
    stopServer = () => server.stop(true);
    const w = startWorkerHere(["--mode", "push", "--url", `tcp://127.0.0.1:${server.port}`]);
    const first = await waitFor(() => sockets[0], "the worker to connect");
    first.write(longFrameHead(MiB64 + 1));
    await waitFor(() => first.data.closed, "the worker to drop a dispatcher that declared 64 MiB + 1", 10_000);

    const again = await waitFor(() => sockets[1], "the worker to reconnect", 10_000);
    const message = Buffer.concat([longFrameHead(MiB64), padded({ v: 1, t: "refused", reason: "a 64 MiB message" }, MiB64)]);
    for (let at = 0; at < message.length; ) {
      const woken = new Promise<void>((resolve) => (wake = resolve));
      at += Math.max(0, again.write(message.subarray(at)));
      if (at < message.length) await within(woken, "the worker to read on", 30_000);
      expect(again.data.closed).toBe(false);
    }
    await waitFor(() => w.log.count("worker.refused", (f) => f.reason === "a 64 MiB message") === 1, "the worker to read the 64 MiB message", 30_000);
  });
});
