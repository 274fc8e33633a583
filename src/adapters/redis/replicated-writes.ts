/**
 * Writes that are acknowledged only once replicas have them (`--redis-wait-replicas N`): Redis
 * replicates asynchronously, so a master that dies right after answering can take the last writes with
 * it; `WAIT N timeout` after a write returns how many replicas confirmed everything the connection
 * wrote so far.
 *
 * With N = 0 a script runs on the shared connection like any other command. With N > 0 it runs on a
 * dedicated connection (WAIT blocks its connection; other commands are not held up behind it) followed
 * by WAIT in the same pipeline, which on a Cluster goes to the node that ran the script. Fewer than N
 * replicas in time throws BackendTimeoutError (504): the write is on the master and may or may not
 * survive a failover.
 *
 * At most WRITES_IN_FLIGHT writes are sent at once; later ones wait here, their command deadline not
 * yet running, so a burst of big enqueues (50 batches of 1,000 at once, say) is not answered 504 for
 * the time Redis spends on the ones before it.
 *
 * @example
 * const writes = new ReplicatedWrites(client, { replicas: 1, timeoutMs: 1000, clock: systemClock });
 * await writes.run(ENQUEUE, keys, args, (reply) => (reply as number[])[0] === 1);
 */
import { BackendTimeoutError } from "../../domain/errors.ts";
import type { Clock, Logger } from "../../domain/ports.ts";
import type { Cluster } from "ioredis";
import { duplicateClient, isCluster, type RedisClient } from "./client.ts";
import { guarded, whenReady } from "./connection.ts";
import { LuaScript } from "./lua-script.ts";
import { Window } from "../../lib/window.ts";

/** Writes (enqueue scripts of up to 1,000 tasks, each a few ms of Redis time) sent at once per process. */
export const WRITES_IN_FLIGHT = 8;

export interface ReplicatedWritesOptions {
  /** Replicas that must confirm a write before it is acknowledged; 0: none (no WAIT). */
  readonly replicas: number;
  /** How long WAIT waits for them, in ms. */
  readonly timeoutMs: number;
  /** Times the wait for the dedicated connection (`ready`). */
  readonly clock: Clock;
  readonly logger?: Logger;
}

export class ReplicatedWrites {
  private readonly conn: RedisClient;
  private readonly window = new Window(WRITES_IN_FLIGHT);

  constructor(
    private readonly client: RedisClient,
    private readonly o: ReplicatedWritesOptions,
  ) {
    if (!Number.isInteger(o.replicas) || o.replicas < 0) throw new Error(`replicas must be a whole number >= 0, got ${o.replicas}`);
    this.conn = o.replicas === 0 ? client : duplicateClient(client, { offlineQueue: false, commandTimeoutMs: o.timeoutMs + 1000, name: "bunfaas-writes" }, o.logger);
  }

  /** Runs `script`; when `wrote(reply)` says it changed something, waits for the replicas. */
  run(script: LuaScript, keys: readonly string[], args: readonly (string | number)[], wrote: (reply: unknown) => boolean = () => true): Promise<unknown> {
    return this.window.run(() => this.send(script, keys, args, wrote));
  }

  private async send(script: LuaScript, keys: readonly string[], args: readonly (string | number)[], wrote: (reply: unknown) => boolean): Promise<unknown> {
    if (this.o.replicas === 0) return guarded(() => script.run(this.client, keys, args));
    return guarded(async () => {
      let [reply, acked] = await this.withWait("EVALSHA", script.sha, keys, args);
      // A pipeline is not redirected when only some of its commands are: after a Cluster failover the
      // script answers MOVED (it did not run; WAIT ran elsewhere). Learn the new owner and send it again.
      for (let tries = 0; tries < 3 && reply instanceof Error && /^(MOVED|ASK) /.test(reply.message) && isCluster(this.conn); tries++) {
        await refreshSlots(this.conn);
        [reply, acked] = await this.withWait("EVALSHA", script.sha, keys, args);
      }
      if (reply instanceof Error && LuaScript.isNoScript(reply)) [reply, acked] = await this.withWait("EVAL", script.source, keys, args);
      if (reply instanceof Error) throw reply;
      if (wrote(reply) && (acked instanceof Error || Number(acked) < this.o.replicas)) {
        const got = acked instanceof Error ? `WAIT failed (${acked.message})` : `${Number(acked)} of ${this.o.replicas} replica(s) confirmed it within ${this.o.timeoutMs} ms`;
        throw new BackendTimeoutError(`Redis applied the write but ${got} (--redis-wait-replicas ${this.o.replicas}); it may have been applied, and may be lost if the master fails now: check before sending it again`);
      }
      return reply;
    });
  }

  /** The script's reply (or error) and WAIT's, from one pipeline. */
  private async withWait(command: "EVALSHA" | "EVAL", body: string, keys: readonly string[], args: readonly (string | number)[]): Promise<[unknown, unknown]> {
    const results = await this.conn
      .pipeline()
      .call(command, [body, keys.length, ...keys, ...args])
      .call("WAIT", [this.o.replicas, this.o.timeoutMs])
      .exec();
    if (results === null || results.length !== 2) throw new Error(`a pipeline of a script and WAIT must answer twice, got ${JSON.stringify(results)}`);
    const [[scriptError, reply], [waitError, acked]] = results as [[Error | null, unknown], [Error | null, unknown]];
    return [scriptError ?? reply, waitError ?? acked];
  }

  /** True once the dedicated connection (if any) is connected; false after `timeoutMs`. */
  ready(timeoutMs: number): Promise<boolean> {
    return whenReady(this.conn, timeoutMs, this.o.clock).then(
      () => true,
      () => false,
    );
  }

  /** Closes the dedicated connection, if any. */
  close(): void {
    if (this.conn !== this.client) this.conn.disconnect();
  }
}

/** Asks the Cluster which node serves which slots now. */
function refreshSlots(cluster: Cluster): Promise<void> {
  return new Promise((resolve, reject) => cluster.refreshSlotsCache((e) => (e ? reject(e) : resolve())));
}
