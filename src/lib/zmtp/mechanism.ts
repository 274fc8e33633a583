/**
 * A ZMTP security mechanism (RFC 37 "Security mechanisms"): what a connection exchanges
 * between the greeting and the first message, and how frames travel afterwards.
 * {@link NullMechanism} is here; CURVE is in curve-client.ts and curve-server.ts.
 */
import { encodeReady, parseCommand, parseErrorReason, parseMetadata, type Properties } from "./commands.ts";
import type { CurveCodec } from "./curve-codec.ts";
import type { PeerGreeting } from "./greeting.ts";

/** What a mechanism may do to its connection during the handshake. */
export interface HandshakeOutput {
  /** Queues a plain command frame (READY, ERROR, HELLO, WELCOME, INITIATE). */
  sendCommand(body: Uint8Array): void;
}

/** Why a handshake failed: the peer broke the protocol (or its crypto), or was refused. */
export type HandshakeFailure = "protocol" | "auth";

/** The outcome of one handshake step. */
export type HandshakeStep =
  | { readonly kind: "continue" }
  | { readonly kind: "ready"; readonly metadata: Map<string, Buffer> }
  | {
      readonly kind: "fail";
      readonly failure: HandshakeFailure;
      readonly reason: string;
      /** Reason for an ERROR command sent to the peer before closing, if any. */
      readonly reply?: string;
    };

/** One connection's side of a security mechanism. */
export interface Mechanism {
  /** The mechanism name in the greeting. */
  readonly name: "NULL" | "CURVE";
  /** The as-server flag of our greeting. */
  readonly asServer: boolean;
  /** Frames travel through this codec once the handshake is done; `null`: as they are. */
  readonly codec: CurveCodec | null;
  /**
   * The peer's long-term CURVE public key: a client's sees the server key it was given; a server's,
   * its client's key once the vouch proved it (set even when the allow-list then refuses that key).
   */
  readonly peerPublicKey: Uint8Array | null;
  /** Checks the peer's greeting beyond the mechanism name; returns why it is refused, or null. */
  checkPeer(greeting: PeerGreeting): string | null;
  /** The peer's greeting arrived: sends what opens the handshake. */
  start(out: HandshakeOutput): HandshakeStep;
  /** A command frame arrived during the handshake. */
  command(body: Buffer, out: HandshakeOutput): HandshakeStep;
  /** The connection accepted the peer's metadata: sends what closes the handshake. */
  accept(out: HandshakeOutput): void;
  /** Whether a peer refused after the handshake's crypto (bad socket type) is told with ERROR. */
  readonly explainsRefusal: boolean;
}

/** Continue the handshake. */
export const CONTINUE: HandshakeStep = { kind: "continue" };

/**
 * A failed step; `reply` is sent to the peer in an ERROR command first.
 *
 * @example
 * ```ts
 * return fail("CURVE client key is not on the allow-list", "auth", "400");
 * ```
 */
export function fail(reason: string, failure: HandshakeFailure = "protocol", reply?: string): HandshakeStep {
  return reply === undefined ? { kind: "fail", failure, reason } : { kind: "fail", failure, reason, reply };
}

/**
 * Whether an ERROR reason is a ZAP status code (300, 400, 500), which libzmq reports as an
 * authentication failure.
 *
 * @example
 * ```ts
 * isAuthStatus("400"); // true
 * isAuthStatus("Invalid socket type"); // false
 * ```
 */
export function isAuthStatus(reason: string): boolean {
  return /^[345]00$/.test(reason);
}

/**
 * NULL (RFC 37): both sides send READY with their metadata right after the greeting; no
 * authentication, no encryption.
 *
 * @example
 * ```ts
 * const mechanism = new NullMechanism([["Socket-Type", Buffer.from("DEALER")]]);
 * ```
 */
export class NullMechanism implements Mechanism {
  readonly name = "NULL";
  readonly asServer = false;
  readonly codec = null;
  readonly peerPublicKey = null;
  readonly explainsRefusal = true;

  constructor(private readonly properties: Properties) {}

  checkPeer(): string | null {
    return null;
  }

  start(out: HandshakeOutput): HandshakeStep {
    out.sendCommand(encodeReady(this.properties));
    return CONTINUE;
  }

  command(body: Buffer): HandshakeStep {
    const command = parseCommand(body);
    if (command === null) return fail("Protocol error: malformed command during handshake");
    if (command.name === "ERROR") {
      const reason = parseErrorReason(command.data);
      return fail(`Peer refused the handshake: ${reason}`, isAuthStatus(reason) ? "auth" : "protocol");
    }
    if (command.name !== "READY") return fail(`Protocol error: expected READY, got ${command.name}`);
    const metadata = parseMetadata(command.data);
    if (typeof metadata === "string") return fail(metadata, "protocol", metadata);
    return { kind: "ready", metadata };
  }

  accept(): void {}
}
