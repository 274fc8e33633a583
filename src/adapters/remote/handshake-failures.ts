/**
 * Failed ZMTP handshakes (a worker with a key not on the list, a wrong server key, NULL against
 * CURVE) as log lines, without letting a flood of them fill the log.
 *
 * Each failure is grouped under a key. The dispatcher's: the peer's host (never its port, which
 * changes on every reconnect) with the client's proven key, or else the reason with its digits left
 * out, so a refused key, a wrong server key and a NULL worker on one host each get their line. A
 * worker's: the reason. The first failure of a group is logged; more of the same group within
 * `windowMs` are only counted, and the next line of that group says how many were left out
 * (`suppressed`), or a line of its own does when the group is forgotten to make room. At most
 * `maxGroups` groups are tracked at once: failures of groups beyond that are counted under one
 * group, "(others)", so a flood from many addresses gives at most `maxGroups + 1` lines per window.
 */
import type { Clock, Logger } from "../../domain/ports.ts";
import type { HandshakeFailureFields, SocketEvents } from "../../lib/zmtp/index.ts";

/** One failed handshake, as the socket reported it. */
export interface HandshakeFailure {
  /** "protocol": the peer broke the protocol or its crypto failed; "auth": a key was refused. */
  readonly failure: "protocol" | "auth";
  readonly reason: string;
  /** The other end, "host:port" (absent when the TCP connection was never made). */
  readonly peer?: string;
  /** A CURVE client's public key (Z85), when it proved it holds it. */
  readonly publicKey?: string;
}

export interface HandshakeFailureLogOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  /** The stable `event` field of every line, e.g. "dispatcher.handshake_failed". */
  readonly event: string;
  readonly message: string;
  /** What groups failures (default: {@link peerGroup}). */
  readonly groupOf?: (f: HandshakeFailure) => string;
  /** Fields added to each line (a hint, the worker id...). */
  readonly fields?: (f: HandshakeFailure) => Record<string, unknown>;
  /** One line per group per this many ms (default 60 s). */
  readonly windowMs?: number;
  /** Groups tracked at once (default 256). */
  readonly maxGroups?: number;
}

const OTHERS = "(others)";

interface Group {
  /** Until when more failures of the group are only counted. */
  until: number;
  suppressed: number;
}

/**
 * The host of "host:port" or "[v6]:port" ("" when unknown).
 *
 * @example
 * ```ts
 * peerHost("10.0.0.7:51234"); // "10.0.0.7"
 * peerHost("[::1]:5555"); // "[::1]"
 * ```
 */
export function peerHost(peer: string | undefined): string {
  return peer === undefined ? "" : peer.replace(/:\d+$/, "");
}

/**
 * The default group of a failure: the peer's host, and the client's proven key or else the reason
 * with its digits left out (a fuzzing peer cannot make a new group per length it sends).
 *
 * @example
 * ```ts
 * peerGroup({ failure: "protocol", reason: "CURVE HELLO must be 200 octets, got 12", peer: "10.0.0.7:51234" });
 * // "10.0.0.7 CURVE HELLO must be # octets, got #"
 * ```
 */
export function peerGroup(f: HandshakeFailure): string {
  return `${peerHost(f.peer)} ${f.publicKey ?? f.reason.replace(/\d+/g, "#")}`;
}

/**
 * Logs handshake failures, one line per group per window (see the file's comment).
 *
 * @example
 * ```ts
 * const log = new HandshakeFailureLog({ logger, clock, event: "dispatcher.handshake_failed", message: "a worker's handshake failed" });
 * const stop = watchHandshakeFailures(router.events, (f) => log.record(f));
 * ```
 */
export class HandshakeFailureLog {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly o: HandshakeFailureLogOptions) {}

  /** Logs the failure, or counts it when its group was logged less than a window ago. */
  record(f: HandshakeFailure): void {
    const now = this.o.clock.now();
    let key = (this.o.groupOf ?? peerGroup)(f);
    if (!this.groups.has(key) && this.groups.size >= (this.o.maxGroups ?? 256)) {
      this.prune(now);
      if (this.groups.size >= (this.o.maxGroups ?? 256)) key = OTHERS;
    }
    const group = this.groups.get(key);
    if (group !== undefined && now < group.until) {
      group.suppressed++;
      return;
    }
    this.groups.set(key, { until: now + (this.o.windowMs ?? 60_000), suppressed: 0 });
    this.write(f, group?.suppressed ?? 0, key === OTHERS);
  }

  /** Forgets groups whose window is over, logging what they left out. */
  private prune(now: number): void {
    for (const [key, group] of this.groups) {
      if (now < group.until) continue;
      this.groups.delete(key);
      if (group.suppressed > 0) this.o.logger.log("warn", `${this.o.message} (more of the same)`, { event: this.o.event, group: key, suppressed: group.suppressed });
    }
  }

  private write(f: HandshakeFailure, suppressed: number, others: boolean): void {
    this.o.logger.log("warn", this.o.message, {
      event: this.o.event,
      failure: f.failure,
      reason: f.reason,
      ...(f.peer !== undefined && { peer: f.peer }),
      ...(f.publicKey !== undefined && { publicKey: f.publicKey }),
      ...this.o.fields?.(f),
      suppressed,
      ...(others && { group: OTHERS }),
    });
  }
}

/**
 * Calls `onFailure` for every failed handshake of a socket (both `handshake:error:*` events).
 * Returns a function that stops listening.
 *
 * @example
 * ```ts
 * const stop = watchHandshakeFailures(dealer.events, (f) => console.error(f.reason));
 * ```
 */
export function watchHandshakeFailures(events: SocketEvents, onFailure: (f: HandshakeFailure) => void): () => void {
  const report = (failure: HandshakeFailure["failure"]) => (e: HandshakeFailureFields) =>
    onFailure({ failure, reason: e.error.message, ...(e.peer !== undefined && { peer: e.peer }), ...(e.publicKey !== undefined && { publicKey: e.publicKey }) });
  const stops = [events.on("handshake:error:protocol", report("protocol")), events.on("handshake:error:auth", report("auth"))];
  return () => stops.forEach((stop) => stop());
}

/**
 * What a worker can tell its operator about a failed handshake with its dispatcher, from the
 * failure alone (the dispatcher explains a refused key with ERROR 400; a wrong server key only
 * shows as the dispatcher closing the connection). Undefined when there is nothing to add.
 *
 * @example
 * ```ts
 * workerHandshakeHint({ failure: "auth", reason: "CURVE server refused our key (ERROR 400)" }, true);
 * // "the dispatcher refused this worker's key: add its public key to the dispatcher's --authorized-workers file"
 * ```
 */
export function workerHandshakeHint(f: HandshakeFailure, curve: boolean): string | undefined {
  if (f.failure === "auth") return "the dispatcher refused this worker's key: add its public key to the dispatcher's --authorized-workers file";
  const mechanisms = /Expected security mechanism "(\w+)", got "(\w+)"/.exec(f.reason);
  if (mechanisms !== null) return `this worker uses ${mechanisms[1]} security and the dispatcher ${mechanisms[2]}: give the worker --curve-server-key and --curve-secret-key-file exactly when the dispatcher has --curve-secret-key-file`;
  if (curve && /during the CURVE handshake/.test(f.reason)) return "the dispatcher closed the connection during the CURVE handshake: --curve-server-key may not be the dispatcher's public key";
  return undefined;
}
