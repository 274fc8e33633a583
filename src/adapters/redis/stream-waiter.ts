/**
 * Blocking reads that wake a dispatcher when an entry is added to any of its shards' streams (the
 * wake stream, and its own hand-out stream: lua/claim-core.ts), with no polling sleep, on connections
 * of their own (a blocking command holds its connection).
 *
 * On a single Redis (or a Sentinel's master) one connection reads every stream with one
 * `XREAD BLOCK ... STREAMS s1 s2 ... id1 id2 ...` (on one server, a lean connection: lean-lanes.ts;
 * while it is not ready, an ioredis one). On a Cluster one XREAD may only name keys of one
 * slot, so each group of positions (a shard's streams) gets its own connection and read; a read still
 * waiting when another shard woke the dispatcher is reused by the next wait rather than queued behind.
 *
 * @example
 * const waiter = new StreamWaiter(client, { blockMs: 1000, name: "bunfaas-claim-d-1" });
 * const read = await waiter.wait([{ stream: "faas:wake", after: "1700000000000-0" }], 1000, signal);
 */
import { AbortWatch } from "../../lib/abort-watch.ts";
import type { Logger } from "../../domain/ports.ts";
import { duplicateClient, isCluster, type RedisClient } from "./client.ts";
import { guarded } from "./connection.ts";
import { leanConnection } from "./lean-lanes.ts";
import type { RespConnection } from "../../lib/resp/index.ts";
import { traceMark } from "../system/trace.ts";

export interface StreamPosition {
  readonly stream: string;
  /** Wake on an entry newer than this id. */
  readonly after: string;
  /** Positions of one group are read together (on a Cluster: keys of one slot). Default: the stream. */
  readonly group?: string;
}

/** Entries a read returned: [stream, [[entry id, [field, value, ...]], ...]] per stream with any. */
export type StreamEntries = readonly (readonly [string, readonly (readonly [string, readonly string[]])[]])[];

/** Entries read per stream at most. */
const COUNT = 16;

/** How long a read waits for its lean connection to be ready before it goes through ioredis, in ms. */
const LEAN_GRACE_MS = 200;

export class StreamWaiter {
  private readonly connections = new Map<string, RedisClient>();
  /** Lean connections (lean-lanes.ts) in their place on one server; null: this client has none. */
  private lean: Map<string, RespConnection> | null = new Map();
  /** Cluster: the read still waiting on each group's connection. */
  private readonly waiting = new Map<string, Promise<StreamEntries>>();
  /** The callers' signals, each listened to once (not once per wait). */
  private readonly aborts = new AbortWatch();

  constructor(
    private readonly client: RedisClient,
    private readonly o: { readonly blockMs: number; readonly name: string; readonly logger?: Logger },
  ) {}

  /**
   * Resolves when an entry newer than its position is added to one of `positions` (with what the read
   * returned), after about `ms`, on abort, or when a read fails (the caller's next look at the shards
   * finds out why): then with no entries.
   */
  async wait(positions: readonly StreamPosition[], ms: number, signal: AbortSignal): Promise<StreamEntries> {
    if (positions.length === 0 || signal.aborted) return [];
    const block = Math.max(1, Math.min(ms, this.o.blockMs));
    const reads = isCluster(this.client) ? [...groupsOf(positions)].map(([group, ps]) => this.readGroup(group, ps, block)) : [this.read("all", positions, block)];
    let forget = (): void => {};
    const aborted = new Promise<StreamEntries>((resolve) => {
      forget = this.aborts.on(signal, () => resolve([]));
    });
    try {
      return await Promise.race([Promise.race(reads).catch((): StreamEntries => []), aborted]);
    } finally {
      forget();
      for (const r of reads) r.catch(() => undefined); // an abandoned read may still fail later
    }
  }

  private async read(key: string, positions: readonly StreamPosition[], block: number): Promise<StreamEntries> {
    const args = ["COUNT", COUNT, "BLOCK", block, "STREAMS", ...positions.map((p) => p.stream), ...positions.map((p) => p.after)];
    const lean = this.leanConnection(key);
    // A lean connection still opening (or reconnecting) gets a moment; one that cannot connect leaves
    // the read to ioredis (the entries are read from the positions, so none added meanwhile is missed).
    if (lean !== undefined && (lean.ready || (await lean.whenReady(Math.min(block, LEAN_GRACE_MS))))) return this.leanRead(lean, args, block);
    const conn = this.connection(key);
    return guarded(() => conn.call("XREAD", args)).then((r) => {
      traceMark("d.wake");
      return (r ?? []) as StreamEntries;
    });
  }

  private readGroup(group: string, positions: readonly StreamPosition[], block: number): Promise<StreamEntries> {
    const pending = this.waiting.get(group);
    if (pending !== undefined) return pending;
    const read = this.read(group, positions, block).finally(() => this.waiting.delete(group));
    this.waiting.set(group, read);
    return read;
  }

  /** A read on a lean connection (one that is not ready leaves the read to ioredis meanwhile). */
  private async leanRead(conn: RespConnection, args: readonly (string | number)[], block: number): Promise<StreamEntries> {
    const r = await guarded(() => conn.call(["XREAD", ...args], block + 2000));
    traceMark("d.wake");
    return (r ?? []) as unknown as StreamEntries;
  }

  private leanConnection(key: string): RespConnection | undefined {
    if (this.lean === null) return undefined;
    let conn = this.lean.get(key);
    if (conn === undefined) {
      conn = leanConnection(this.client, { name: this.o.name });
      if (conn === undefined) {
        this.lean = null;
        return undefined;
      }
      this.lean.set(key, conn);
    }
    return conn;
  }

  private connection(key: string): RedisClient {
    let conn = this.connections.get(key);
    if (conn === undefined) {
      // Queues its first read until connected; a read still fails once the block time has passed.
      conn = duplicateClient(this.client, { offlineQueue: true, commandTimeoutMs: this.o.blockMs + 2000, name: this.o.name }, this.o.logger);
      this.connections.set(key, conn);
    }
    return conn;
  }

  close(): void {
    for (const c of this.connections.values()) c.disconnect();
    this.connections.clear();
    for (const c of this.lean?.values() ?? []) c.close();
    this.lean?.clear();
  }
}

function groupsOf(positions: readonly StreamPosition[]): Map<string, StreamPosition[]> {
  const out = new Map<string, StreamPosition[]>();
  for (const p of positions) {
    const g = p.group ?? p.stream;
    const list = out.get(g);
    if (list === undefined) out.set(g, [p]);
    else list.push(p);
  }
  return out;
}
