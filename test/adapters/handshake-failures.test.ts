/**
 * Failed handshakes as log lines (src/adapters/remote/handshake-failures.ts), on a fake clock: one line
 * per group per window with the count left out, groups per host and key or reason, a bounded number of
 * groups under a flood from many addresses; the worker's hints; the socket events it listens to.
 */
import { describe, expect, test } from "bun:test";
import { HandshakeFailureLog, peerGroup, watchHandshakeFailures, workerHandshakeHint, type HandshakeFailure } from "../../src/adapters/remote/handshake-failures.ts";
import { SocketEvents, ZmtpError } from "../../src/lib/zmtp/index.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { MemoryLog } from "../helpers/roots.ts";

const EVENT = "dispatcher.handshake_failed";

function setup(o: { windowMs?: number; maxGroups?: number } = {}) {
  const clock = new FakeClock();
  const log = new MemoryLog();
  const failures = new HandshakeFailureLog({ logger: log, clock, event: EVENT, message: "a handshake failed", ...o });
  return { clock, log, failures };
}

const refused = (peer: string, publicKey = "k".repeat(40)): HandshakeFailure => ({ failure: "auth", reason: "CURVE client key is not on the allow-list", peer, publicKey });
const garbled = (peer: string, n = 12): HandshakeFailure => ({ failure: "protocol", reason: `CURVE HELLO must be 200 octets, got ${n}`, peer });

describe("HandshakeFailureLog", () => {
  test("a peer that keeps failing gets one line per window; the next line says how many were left out", () => {
    const { clock, log, failures } = setup({ windowMs: 60_000 });
    for (let i = 0; i < 1000; i++) failures.record(refused(`10.0.0.7:${40000 + i}`)); // a new port on every reconnect
    expect(log.count(EVENT)).toBe(1);
    expect(log.entries[0]?.level).toBe("warn");
    expect(log.entries[0]?.fields).toMatchObject({ failure: "auth", peer: "10.0.0.7:40000", publicKey: "k".repeat(40), suppressed: 0 });
    clock.advance(59_999);
    failures.record(refused("10.0.0.7:1"));
    expect(log.count(EVENT)).toBe(1);
    clock.advance(1);
    failures.record(refused("10.0.0.7:2"));
    expect(log.entries.map((e) => e.fields.suppressed)).toEqual([0, 1000]);
  });

  test("on one host, another key or another reason is another line; lengths in a reason are not", () => {
    const { log, failures } = setup();
    failures.record(refused("10.0.0.7:1", "a".repeat(40)));
    failures.record(refused("10.0.0.7:2", "b".repeat(40)));
    failures.record(garbled("10.0.0.7:3", 12));
    failures.record(garbled("10.0.0.7:4", 13));
    failures.record({ failure: "protocol", reason: 'Bad greeting: Expected security mechanism "CURVE", got "NULL"', peer: "10.0.0.7:5" });
    failures.record(garbled("10.0.0.8:3", 12));
    expect(log.count(EVENT)).toBe(5);
    expect(peerGroup(garbled("[::1]:5555", 1))).toBe(peerGroup(garbled("[::1]:6666", 99)));
  });

  test("a flood from many addresses is bounded: past maxGroups, the rest share one line per window", () => {
    const { clock, log, failures } = setup({ windowMs: 60_000, maxGroups: 8 });
    for (let i = 0; i < 10_000; i++) failures.record(garbled(`10.1.${i >> 8}.${i & 255}:1234`));
    expect(log.count(EVENT)).toBe(9);
    expect(log.entries.at(-1)?.fields.group).toBe("(others)");
    // after the window, the old groups are forgotten (with what they left out) and new peers are logged again
    clock.advance(60_000);
    failures.record(garbled("10.9.9.9:1"));
    expect(log.entries.slice(9).map((e) => e.fields)).toEqual([
      { event: EVENT, group: "(others)", suppressed: 10_000 - 9 },
      { event: EVENT, failure: "protocol", reason: "CURVE HELLO must be 200 octets, got 12", peer: "10.9.9.9:1", suppressed: 0 },
    ]);
  });

  test("every handshake failure a socket reports reaches the log, with its peer and proven key", () => {
    const { log, failures } = setup();
    const events = new SocketEvents();
    const stop = watchHandshakeFailures(events, (f) => failures.record(f));
    events.emit({ type: "handshake:error:auth", address: "tcp://0.0.0.0:5555", error: new ZmtpError("EACCES", "CURVE client key is not on the allow-list"), peer: "10.0.0.7:1", publicKey: "p".repeat(40) });
    events.emit({ type: "handshake:error:protocol", address: "tcp://0.0.0.0:5555", error: new ZmtpError("EPROTO", "Bad greeting"), peer: "10.0.0.8:1" });
    events.emit({ type: "disconnect", address: "tcp://0.0.0.0:5555", reason: "Peer closed the connection" });
    expect(log.entries.map((e) => [e.fields.failure, e.fields.peer, e.fields.publicKey])).toEqual([
      ["auth", "10.0.0.7:1", "p".repeat(40)],
      ["protocol", "10.0.0.8:1", undefined],
    ]);
    stop();
    events.emit({ type: "handshake:error:protocol", address: "tcp://0.0.0.0:5555", error: new ZmtpError("EPROTO", "Bad greeting"), peer: "10.0.0.9:1" });
    expect(log.count(EVENT)).toBe(2);
  });
});

describe("workerHandshakeHint", () => {
  test("says what to check for a refused key, a mechanism mismatch and a server that closes mid-handshake", () => {
    expect(workerHandshakeHint({ failure: "auth", reason: "CURVE server refused our key (ERROR 400)" }, true)).toContain("--authorized-workers");
    expect(workerHandshakeHint({ failure: "protocol", reason: 'Bad greeting: Expected security mechanism "NULL", got "CURVE"' }, false)).toContain("uses NULL security and the dispatcher CURVE");
    expect(workerHandshakeHint({ failure: "protocol", reason: "Peer closed the connection during the CURVE handshake" }, true)).toContain("--curve-server-key");
    expect(workerHandshakeHint({ failure: "protocol", reason: "No ZMTP handshake within 30000 ms" }, true)).toBeUndefined();
  });
});
