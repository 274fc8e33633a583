/**
 * The fixture the libzmq interop files share: one libzmq peer process (zeromq under Node) for the
 * file, and every socket a test opens, ours or libzmq's, closed after that test.
 *
 * @example
 * const fx = useLibzmq();
 * test("...", async () => { const rep = await fx.libzmq("Reply"); const req = fx.track(new Request()); ... });
 */
import { afterAll, afterEach, beforeAll } from "bun:test";
import type { SocketBase } from "../../src/lib/zmtp/index.ts";
import { LibzmqPeer, type LibzmqType } from "./libzmq-peer.ts";

export interface LibzmqFixture {
  /** The libzmq peer; set once beforeAll has run. */
  readonly zmq: LibzmqPeer;
  /** Registers one of our sockets to be closed after the test. */
  track<T extends SocketBase>(socket: T): T;
  /** Opens a libzmq socket (closed after the test) and returns its name in the peer. */
  libzmq(type: LibzmqType, options?: Record<string, unknown>): Promise<string>;
}

export function useLibzmq(): LibzmqFixture {
  const ours: SocketBase[] = [];
  const theirs: string[] = [];
  const fx = {
    zmq: undefined as unknown as LibzmqPeer,
    track<T extends SocketBase>(socket: T): T {
      ours.push(socket);
      return socket;
    },
    async libzmq(type: LibzmqType, options: Record<string, unknown> = {}): Promise<string> {
      const name = await fx.zmq.socket(type, options);
      theirs.push(name);
      return name;
    },
  };
  beforeAll(async () => {
    fx.zmq = await LibzmqPeer.start();
  });
  afterAll(async () => {
    await fx.zmq.stop();
  });
  afterEach(async () => {
    for (const s of ours.splice(0)) s.close();
    for (const s of theirs.splice(0)) await fx.zmq.close(s);
  });
  return fx;
}

/** Message frames as strings, for assertions. */
export const texts = (frames: Buffer[]): string[] => frames.map((f) => f.toString());
