/**
 * The CURVE server's side of the handshake (RFC 26): HELLO in, WELCOME out; INITIATE in,
 * READY out. Between WELCOME and INITIATE the connection holds no keys: its transient
 * secret and the client's transient key travel in the cookie (curve-cookie.ts).
 * A client whose long-term key the allow-list refuses gets ERROR "400" (as a libzmq ZAP
 * denial) and is dropped.
 */
import { encodeMetadata, parseMetadata, type Properties } from "./commands.ts";
import { boxKey, KEY_SIZE, newKeyPair, nonceOf, open, randomBytes, sameBytes, seal } from "./curve-box.ts";
import { CurveCodec } from "./curve-codec.ts";
import { COOKIE_SIZE, type CookieJar } from "./curve-cookie.ts";
import {
  commandHead,
  commandName,
  concat,
  CURVE,
  DENIED_STATUS,
  HELLO_PADDING,
  HELLO_PREFIX,
  HELLO_SIGNATURE_SIZE,
  HELLO_SIZE,
  INITIATE_MIN_SIZE,
  INITIATE_PREFIX,
  isCommand,
  nonceAfter,
  READY_PREFIX,
  readShortNonce,
  shortNonce,
  type ShortNonce,
  VOUCH_PREFIX,
  VOUCH_SIZE,
  WELCOME_PREFIX,
} from "./curve-handshake.ts";
import type { PeerGreeting } from "./greeting.ts";
import { CONTINUE, fail, type HandshakeOutput, type HandshakeStep, type Mechanism } from "./mechanism.ts";

/** What every connection of one CURVE server socket shares. */
export interface CurveServerConfig {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
  readonly cookies: CookieJar;
  /** Whether a client's long-term public key may connect. */
  readonly allows: (clientPublicKey: Uint8Array) => boolean;
}

type State = "expect-hello" | "expect-initiate" | "accepting" | "ready";

const READY_NONCE = 1;
const FIRST_MESSAGE_NONCE = 2;

/**
 * One connection of a CURVE server.
 *
 * @example
 * ```ts
 * const mechanism = new CurveServerMechanism(config, [["Socket-Type", Buffer.from("ROUTER")]], -1);
 * ```
 */
export class CurveServerMechanism implements Mechanism {
  readonly name = CURVE;
  readonly asServer = true;
  readonly explainsRefusal = false;
  codec: CurveCodec | null = null;
  peerPublicKey: Uint8Array | null = null;
  private state: State = "expect-hello";
  /** Set from INITIATE until READY is sent. */
  private session: { key: Uint8Array; initiateNonce: ShortNonce } | null = null;

  constructor(
    private readonly config: CurveServerConfig,
    private readonly properties: Properties,
    private readonly maxMessageSize: number,
  ) {}

  /** A peer claiming to be a server too is refused (libzmq clients send as-server 0, as we do). */
  checkPeer(greeting: PeerGreeting): string | null {
    return greeting.asServer ? "Expected a CURVE client (as-server 0) for our CURVE server, got as-server 1" : null;
  }

  start(): HandshakeStep {
    return CONTINUE;
  }

  command(body: Buffer, out: HandshakeOutput): HandshakeStep {
    if (this.state === "expect-hello") {
      if (!isCommand(body, "HELLO")) return fail(`CURVE server expected HELLO, got ${commandName(body)}`);
      return this.onHello(body, out);
    }
    if (this.state === "expect-initiate") {
      if (!isCommand(body, "INITIATE")) return fail(`CURVE server expected INITIATE, got ${commandName(body)}`);
      return this.onInitiate(body);
    }
    return fail(`CURVE server got ${commandName(body)} after the handshake`);
  }

  accept(out: HandshakeOutput): void {
    const session = this.session;
    if (session === null) return;
    const nonce = shortNonce(READY_NONCE);
    const box = seal(session.key, nonceOf(READY_PREFIX, nonce), encodeMetadata(this.properties));
    out.sendCommand(concat(commandHead("READY"), nonce, box));
    this.codec = new CurveCodec(session.key, "server", FIRST_MESSAGE_NONCE, session.initiateNonce, this.maxMessageSize);
    this.session = null;
    this.state = "ready";
  }

  private onHello(body: Buffer, out: HandshakeOutput): HandshakeStep {
    if (body.length !== HELLO_SIZE) return fail(`CURVE HELLO must be ${HELLO_SIZE} octets, got ${body.length}`);
    if (body[6] !== 1 || body[7] !== 0) return fail(`CURVE HELLO must be version 1.0, got ${body[6]}.${body[7]}`);
    for (let i = 8; i < 8 + HELLO_PADDING; i++) {
      if (body[i] !== 0) return fail("CURVE HELLO padding must be zeros");
    }
    const clientTransient = Uint8Array.from(body.subarray(80, 112));
    const helloNonce = body.subarray(112, 120);
    const key = boxKey(clientTransient, this.config.secretKey);
    if (key === null) return fail("CURVE HELLO carries an unusable client transient key (low order)");
    const signature = open(key, nonceOf(HELLO_PREFIX, helloNonce), body.subarray(120, HELLO_SIZE));
    if (signature === null) return fail("CURVE HELLO box did not open: the client has the wrong server key, or altered octets");
    if (!sameBytes(signature, new Uint8Array(HELLO_SIGNATURE_SIZE))) return fail("CURVE HELLO signature must be 64 zeros");

    const transient = newKeyPair();
    const cookie = this.config.cookies.seal(clientTransient, transient.secretKey, helloNonce);
    transient.secretKey.fill(0);
    const welcomeNonce = randomBytes(16);
    const box = seal(key, nonceOf(WELCOME_PREFIX, welcomeNonce), concat(transient.publicKey, cookie));
    key.fill(0);
    out.sendCommand(concat(commandHead("WELCOME"), welcomeNonce, box));
    this.state = "expect-initiate";
    return CONTINUE;
  }

  private onInitiate(body: Buffer): HandshakeStep {
    if (body.length < INITIATE_MIN_SIZE) return fail(`CURVE INITIATE must be at least ${INITIATE_MIN_SIZE} octets, got ${body.length}`);
    const cookie = this.config.cookies.open(body.subarray(9, 9 + COOKIE_SIZE));
    if (cookie === null) return fail("CURVE INITIATE cookie did not open (forged, expired, or used before)");
    const nonceAt = 9 + COOKIE_SIZE;
    const initiateNonce = readShortNonce(body, nonceAt);
    if (!nonceAfter(initiateNonce, readShortNonce(cookie.helloNonce, 0))) {
      return fail("CURVE INITIATE nonce must exceed the HELLO nonce (replayed or reordered)");
    }
    const key = boxKey(cookie.clientTransient, cookie.serverTransientSecret);
    if (key === null) return fail("CURVE INITIATE: unusable transient keys");
    const plaintext = open(key, nonceOf(INITIATE_PREFIX, body.subarray(nonceAt, nonceAt + 8)), body.subarray(nonceAt + 8));
    if (plaintext === null) return fail("CURVE INITIATE box did not open (altered octets)");

    const clientKey = plaintext.slice(0, KEY_SIZE);
    const vouch = plaintext.subarray(KEY_SIZE, KEY_SIZE + VOUCH_SIZE);
    const vouchKey = boxKey(clientKey, cookie.serverTransientSecret);
    cookie.serverTransientSecret.fill(0);
    if (vouchKey === null) return fail("CURVE INITIATE carries an unusable client key (low order)");
    const vouched = open(vouchKey, nonceOf(VOUCH_PREFIX, vouch.subarray(0, 16)), vouch.subarray(16));
    if (vouched === null) return fail("CURVE INITIATE vouch did not open: the client does not hold the key it claims");
    if (!sameBytes(vouched.subarray(0, KEY_SIZE), cookie.clientTransient) || !sameBytes(vouched.subarray(KEY_SIZE), this.config.publicKey)) {
      return fail("CURVE INITIATE vouch is for another connection or another server");
    }
    this.peerPublicKey = clientKey; // proven by the vouch: reported with a refusal, never trusted before READY
    let allowed = false;
    try {
      allowed = this.config.allows(clientKey);
    } catch (error) {
      return fail(`curveAllow threw: ${(error as Error).message}`, "auth", DENIED_STATUS);
    }
    if (!allowed) return fail("CURVE client key is not on the allow-list", "auth", DENIED_STATUS);

    const meta = plaintext.subarray(KEY_SIZE + VOUCH_SIZE);
    const metadata = parseMetadata(Buffer.from(meta.buffer, meta.byteOffset, meta.byteLength));
    if (typeof metadata === "string") return fail(`CURVE INITIATE: ${metadata}`);
    this.session = { key, initiateNonce };
    this.state = "accepting";
    return { kind: "ready", metadata };
  }
}
