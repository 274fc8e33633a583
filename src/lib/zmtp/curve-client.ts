/**
 * The CURVE client's side of the handshake (RFC 26): HELLO, then WELCOME in, INITIATE out,
 * then READY in. See curve-handshake.ts for the command layouts.
 */
import { parseCommand, parseErrorReason, parseMetadata, type Properties, encodeMetadata } from "./commands.ts";
import { boxKey, KEY_SIZE, newKeyPair, nonceOf, open, randomBytes, seal, type RawKeyPair } from "./curve-box.ts";
import { CurveCodec } from "./curve-codec.ts";
import { COOKIE_SIZE } from "./curve-cookie.ts";
import {
  commandHead,
  commandName,
  concat,
  CURVE,
  HELLO_PADDING,
  HELLO_PREFIX,
  HELLO_SIGNATURE_SIZE,
  INITIATE_PREFIX,
  isCommand,
  READY_MIN_SIZE,
  READY_PREFIX,
  readShortNonce,
  shortNonce,
  VOUCH_PREFIX,
  WELCOME_PREFIX,
  WELCOME_SIZE,
} from "./curve-handshake.ts";
import type { PeerGreeting } from "./greeting.ts";
import { CONTINUE, fail, isAuthStatus, type HandshakeOutput, type HandshakeStep, type Mechanism } from "./mechanism.ts";

/** A CURVE client's long-term keys and the server key it expects. */
export interface CurveClientKeys {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
  readonly serverKey: Uint8Array;
}

type State = "start" | "expect-welcome" | "expect-ready" | "ready";

const HELLO_NONCE = 1;
const INITIATE_NONCE = 2;
const FIRST_MESSAGE_NONCE = 3;

/**
 * One connection of a CURVE client.
 *
 * @example
 * ```ts
 * const mechanism = new CurveClientMechanism(keys, [["Socket-Type", Buffer.from("DEALER")]], -1);
 * ```
 */
export class CurveClientMechanism implements Mechanism {
  readonly name = CURVE;
  readonly asServer = false;
  readonly explainsRefusal = false;
  codec: CurveCodec | null = null;
  readonly peerPublicKey: Uint8Array;
  private state: State = "start";
  private transient: RawKeyPair | null = null;
  /** box key of (S, c'): HELLO and WELCOME. */
  private helloKey: Uint8Array | null = null;
  /** box key of (S', c'): INITIATE, READY and messages. */
  private sessionKey: Uint8Array | null = null;

  constructor(
    private readonly keys: CurveClientKeys,
    private readonly properties: Properties,
    private readonly maxMessageSize: number,
  ) {
    this.peerPublicKey = keys.serverKey;
  }

  /** Any as-server flag is accepted: libzmq's CURVE servers send 0 (only the mechanism tells roles). */
  checkPeer(_greeting: PeerGreeting): string | null {
    return null;
  }

  start(out: HandshakeOutput): HandshakeStep {
    const transient = newKeyPair();
    const helloKey = boxKey(this.keys.serverKey, transient.secretKey);
    if (helloKey === null) return fail("curveServerKey is not a usable X25519 public key (low order)");
    this.transient = transient;
    this.helloKey = helloKey;
    const nonce = shortNonce(HELLO_NONCE);
    const signature = seal(helloKey, nonceOf(HELLO_PREFIX, nonce), new Uint8Array(HELLO_SIGNATURE_SIZE));
    out.sendCommand(concat(commandHead("HELLO"), Uint8Array.of(1, 0), new Uint8Array(HELLO_PADDING), transient.publicKey, nonce, signature));
    this.state = "expect-welcome";
    return CONTINUE;
  }

  command(body: Buffer, out: HandshakeOutput): HandshakeStep {
    if (isCommand(body, "ERROR")) return this.onError(body);
    if (this.state === "expect-welcome") {
      if (!isCommand(body, "WELCOME")) return fail(`CURVE client expected WELCOME, got ${commandName(body)}`);
      return this.onWelcome(body, out);
    }
    if (this.state === "expect-ready") {
      if (!isCommand(body, "READY")) return fail(`CURVE client expected READY, got ${commandName(body)}`);
      return this.onReady(body);
    }
    return fail(`CURVE client got ${commandName(body)} after the handshake`);
  }

  accept(): void {}

  private onWelcome(body: Buffer, out: HandshakeOutput): HandshakeStep {
    if (body.length !== WELCOME_SIZE) return fail(`CURVE WELCOME must be ${WELCOME_SIZE} octets, got ${body.length}`);
    const transient = this.transient as RawKeyPair;
    const plaintext = open(this.helloKey as Uint8Array, nonceOf(WELCOME_PREFIX, body.subarray(8, 24)), body.subarray(24));
    if (plaintext === null) return fail("CURVE WELCOME box did not open: wrong curveServerKey, or altered octets");
    const serverTransient = plaintext.subarray(0, KEY_SIZE);
    const cookie = plaintext.subarray(KEY_SIZE, KEY_SIZE + COOKIE_SIZE);
    const sessionKey = boxKey(serverTransient, transient.secretKey);
    const vouchKey = boxKey(serverTransient, this.keys.secretKey);
    if (sessionKey === null || vouchKey === null) return fail("CURVE WELCOME carries an unusable server transient key (low order)");
    this.sessionKey = sessionKey;
    this.helloKey = null;

    const vouchNonce = randomBytes(16);
    const vouchBox = seal(vouchKey, nonceOf(VOUCH_PREFIX, vouchNonce), concat(transient.publicKey, this.keys.serverKey));
    const nonce = shortNonce(INITIATE_NONCE);
    const box = seal(sessionKey, nonceOf(INITIATE_PREFIX, nonce), concat(this.keys.publicKey, vouchNonce, vouchBox, encodeMetadata(this.properties)));
    out.sendCommand(concat(commandHead("INITIATE"), cookie, nonce, box));
    transient.secretKey.fill(0);
    vouchKey.fill(0);
    this.transient = null;
    this.state = "expect-ready";
    return CONTINUE;
  }

  private onReady(body: Buffer): HandshakeStep {
    if (body.length < READY_MIN_SIZE) return fail(`CURVE READY must be at least ${READY_MIN_SIZE} octets, got ${body.length}`);
    const key = this.sessionKey as Uint8Array;
    const plaintext = open(key, nonceOf(READY_PREFIX, body.subarray(6, 14)), body.subarray(14));
    if (plaintext === null) return fail("CURVE READY box did not open (altered octets)");
    const metadata = parseMetadata(Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength));
    if (typeof metadata === "string") return fail(`CURVE READY: ${metadata}`);
    this.codec = new CurveCodec(key, "client", FIRST_MESSAGE_NONCE, readShortNonce(body, 6), this.maxMessageSize);
    this.state = "ready";
    return { kind: "ready", metadata };
  }

  private onError(body: Buffer): HandshakeStep {
    const command = parseCommand(body);
    const reason = command === null ? "" : parseErrorReason(command.data);
    if (isAuthStatus(reason)) return fail(`CURVE server refused our key (ERROR ${reason})`, "auth");
    return fail(`CURVE server sent ERROR: ${reason}`);
  }
}
