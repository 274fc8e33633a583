/**
 * Blocking reads that wake a dispatcher when an entry is added to any of its shards' queue streams (no
 * polling sleep), on connections of their own (a blocking command holds its connection).
 *
 * On a single Redis (or a Sentinel's master) one connection reads every stream with one
 * `XREAD BLOCK ... STREAMS q0 q1 ... id0 id1 ...`. On a Cluster one XREAD may only name keys of one
 * slot, so each shard gets its own connection and read; a read still waiting when another shard woke
 * the dispatcher is reused by the next wait rather than queued behind.
 *
 * @example
 * const waiter = new StreamWaiter(client, { blockMs: 1000, name: "bunfaas-claim-d-1" });
 * await waiter.wait([{ stream: "faas:queue", after: "1700000000000-0" }], 1000, signal);
 */
import type { Logger } from "../../domain/ports.ts";
import { duplicateClient, isCluster, type RedisClient } from "./client.ts";
import { guarded } from "./connection.ts";

export interface StreamPosition {
  readonly stream: string;
  /** Wake on an entry newer than this id. */
  readonly after: string;
}

export class StreamWaiter {
  private readonly connections = new Map<string, RedisClient>();
  /** Cluster: the read still waiting on each stream's connection. */
  private readonly waiting = new Map<string, Promise<unknown>>();

  constructor(
    private readonly client: RedisClient,
    private readonly o: { readonly blockMs: number; readonly name: string; readonly logger?: Logger },
  ) {}

  /**
   * Resolves when an entry newer than its position is added to one of `positions`, after about `ms`,
   * on abort, or when a read fails (the caller's next look at the shards finds out why).
   */
  async wait(positions: readonly StreamPosition[], ms: number, signal: AbortSignal): Promise<void> {
    if (positions.length === 0 || signal.aborted) return;
    const block = Math.max(1, Math.min(ms, this.o.blockMs));
    const reads = isCluster(this.client) ? positions.map((p) => this.readOne(p, block)) : [this.readAll(positions, block)];
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<void>((resolve) => {
      onAbort = resolve;
      signal.addEventListener("abort", onAbort);
    });
    try {
      await Promise.race([Promise.race(reads).catch(() => undefined), aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort as () => void);
      for (const r of reads) r.catch(() => undefined); // an abandoned read may still fail later
    }
  }

  private readAll(positions: readonly StreamPosition[], block: number): Promise<unknown> {
    const conn = this.connection("all");
    return guarded(() => conn.call("XREAD", ["COUNT", 1, "BLOCK", block, "STREAMS", ...positions.map((p) => p.stream), ...positions.map((p) => p.after)]));
  }

  private readOne(p: StreamPosition, block: number): Promise<unknown> {
    const pending = this.waiting.get(p.stream);
    if (pending !== undefined) return pending;
    const conn = this.connection(p.stream);
    const read = guarded(() => conn.call("XREAD", ["COUNT", 1, "BLOCK", block, "STREAMS", p.stream, p.after])).finally(() => this.waiting.delete(p.stream));
    this.waiting.set(p.stream, read);
    return read;
  }

  private connection(key: string): RedisClient {
    let conn = this.connections.get(key);
    if (conn === undefined) {
      // Queues its first read until connected; a read still fails once the block time has passed.
      conn = duplicateClient(this.client, { offlineQueue: true, commandTimeoutMs: this.o.blockMs + 2000, autoPipelining: false, name: this.o.name }, this.o.logger);
      this.connections.set(key, conn);
    }
    return conn;
  }

  close(): void {
    for (const c of this.connections.values()) c.disconnect();
    this.connections.clear();
  }
}
