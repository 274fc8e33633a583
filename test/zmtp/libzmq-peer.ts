/**
 * Bun-side driver for scripts/zmtp-peer/libzmq-peer.cjs: a libzmq (zeromq.js under Node)
 * process the interop tests script over JSON lines.
 */
import type { Subprocess } from "bun";
import { join } from "node:path";

const SCRIPT = join(import.meta.dir, "../../scripts/zmtp-peer/libzmq-peer.cjs");

/** zeromq.js socket classes the peer can create. */
export type LibzmqType = "Request" | "Reply" | "Dealer" | "Router";

type Reply = Record<string, unknown> & { seq: number; ok: boolean; error?: string; code?: string };

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
}

/** A libzmq peer in a Node child process. */
export class LibzmqPeer {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private exited = false;
  private names = 0;

  private constructor(private readonly proc: Subprocess<"pipe", "pipe", "inherit">) {}

  /** Spawns the Node process and waits until zeromq is loaded. */
  static async start(): Promise<LibzmqPeer> {
    const proc = Bun.spawn(["node", SCRIPT], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    const peer = new LibzmqPeer(proc);
    const ready = new Promise<Reply>((resolve, reject) => peer.pending.set(0, { resolve, reject }));
    void peer.readLoop();
    await ready;
    return peer;
  }

  /** Creates a zeromq.js socket in the peer; returns its name. */
  async socket(type: LibzmqType, options: Record<string, unknown> = {}): Promise<string> {
    const name = `s${++this.names}`;
    await this.call("new", { sock: name, type, options });
    return name;
  }

  /** Binds and returns the real endpoint (lastEndpoint). */
  async bind(sock: string, endpoint = "tcp://127.0.0.1:0"): Promise<string> {
    const r = await this.call("bind", { sock, endpoint });
    return r.endpoint as string;
  }

  async connect(sock: string, endpoint: string): Promise<void> {
    await this.call("connect", { sock, endpoint });
  }

  async send(sock: string, frames: (string | Uint8Array)[]): Promise<void> {
    await this.call("send", { sock, frames: frames.map(toB64) });
  }

  async receive(sock: string): Promise<Buffer[]> {
    const r = await this.call("recv", { sock });
    return (r.frames as string[]).map((f) => Buffer.from(f, "base64"));
  }

  /** Starts an echo loop: every message is sent back (with `tag` appended as a frame). */
  async echo(sock: string, tag?: string): Promise<void> {
    await this.call("echo", { sock, tag });
  }

  /** Sends `count` messages `[...prefix, "m<i>"]` (last frame padded with dots to `size`). */
  async sendSeq(sock: string, count: number, prefix: (string | Uint8Array)[] = [], size = 0): Promise<void> {
    await this.call("sendSeq", { sock, count, prefix: prefix.map(toB64), size });
  }

  /** Receives `count` messages; returns the last frame of each as text, and the first message. */
  async receiveSeq(sock: string, count: number): Promise<{ texts: string[]; first: Buffer[] }> {
    const r = await this.call("recvSeq", { sock, count });
    return { texts: r.texts as string[], first: (r.first as string[]).map((f) => Buffer.from(f, "base64")) };
  }

  /** REQ loop in Node: sends "m<i>" and receives, `count` times; replies as frames joined by "|". */
  async requestSeq(sock: string, count: number): Promise<string[]> {
    const r = await this.call("requestSeq", { sock, count });
    return r.texts as string[];
  }

  /** Starts recording libzmq monitor events for a socket. */
  async watch(sock: string): Promise<void> {
    await this.call("watch", { sock });
  }

  /** Waits for a monitor event of one of the given types (e.g. "handshake", "disconnect"). */
  async waitEvent(sock: string, types: string[]): Promise<{ type: string; address?: string; error?: string }> {
    const r = await this.call("waitEvent", { sock, types });
    return r.event as { type: string; address?: string; error?: string };
  }

  async close(sock: string): Promise<void> {
    await this.call("close", { sock });
  }

  /** Kills the process abruptly (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    this.proc.kill(9);
    await this.proc.exited;
  }

  /** Closes all sockets and waits for the process to exit. */
  async stop(): Promise<void> {
    if (!this.exited) {
      await this.call("exit", {}).catch(() => {});
      this.proc.stdin.end();
    }
    await this.proc.exited;
  }

  /** Sends one op; rejects with the peer's error message (and `code`). */
  async call(op: string, args: Record<string, unknown>): Promise<Reply> {
    if (this.exited) throw new Error(`libzmq peer has exited; cannot run ${op}`);
    const seq = ++this.seq;
    const reply = new Promise<Reply>((resolve, reject) => this.pending.set(seq, { resolve, reject }));
    this.proc.stdin.write(JSON.stringify({ seq, op, ...args }) + "\n");
    this.proc.stdin.flush();
    const r = await reply;
    if (!r.ok) throw Object.assign(new Error(`libzmq ${op} failed: ${r.error}`), { code: r.code });
    return r;
  }

  private async readLoop(): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of this.proc.stdout) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() === "") continue;
        const reply = JSON.parse(line) as Reply;
        const p = this.pending.get(reply.seq);
        if (p !== undefined) {
          this.pending.delete(reply.seq);
          p.resolve(reply);
        }
      }
    }
    this.exited = true;
    for (const p of this.pending.values()) p.reject(new Error("libzmq peer exited"));
    this.pending.clear();
  }
}

function toB64(frame: string | Uint8Array): string {
  return Buffer.from(frame as Uint8Array).toString("base64");
}
