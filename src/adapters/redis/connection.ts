/**
 * ioredis connections that fail fast instead of hanging while Redis is down, and the mapping of their
 * errors to the domain's `BackendUnavailableError` (the HTTP adapter answers 503 for it).
 *
 * Commands are written as they are issued (no auto-pipelining, see connectionOptions), never queued
 * while disconnected (`enableOfflineQueue: false`) and never re-sent after a
 * reconnect (a re-sent enqueue could store a batch twice); the connection itself keeps reconnecting in
 * the background, so service resumes as soon as Redis is back. Connections are opened in client.ts.
 */
import type { EventEmitter } from "node:events";
import type { RedisOptions } from "ioredis";
import { BackendTimeoutError, BackendUnavailableError } from "../../domain/errors.ts";
import type { Clock, Logger } from "../../domain/ports.ts";
import type { RedisClient } from "./client.ts";
import { RespDroppedError, RespTimeoutError } from "../../lib/resp/index.ts";

export interface RedisConnectionOptions {
  /** Per-command deadline in ms (a hung server answers 503 after this). */
  readonly commandTimeoutMs?: number;
  readonly logger?: Logger;
  /** Shown in CLIENT LIST. */
  readonly name?: string;
  /** false: no lean connections (lean-lanes.ts) beside this one; every call goes through ioredis. Default true. */
  readonly lean?: boolean;
}

/** The options every connection of this adapter uses. */
export function connectionOptions(o: RedisConnectionOptions = {}): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: o.commandTimeoutMs ?? 1000,
    connectTimeout: 1000,
    retryStrategy: (times) => Math.min(50 * times, 1000),
    // Each command goes out as it is issued. ioredis' auto-pipelining holds every command issued while
    // an earlier pipeline's replies are outstanding until they are all in (one pipeline in flight per
    // connection), which idles Redis between a batch's scripts and adds a turn to every command.
    enableAutoPipelining: false,
    ...(o.name === undefined ? {} : { connectionName: o.name }),
  };
}

/** Logs connection errors once per outage (ioredis would otherwise print every reconnect failure). */
export function watchErrors(redis: EventEmitter, logger: Logger | undefined): void {
  let down = false;
  redis.on("error", (e: Error) => {
    if (down) return;
    down = true;
    logger?.log("warn", "redis connection lost; reconnecting", { error: e.message });
  });
  redis.on("ready", () => {
    if (!down) return;
    down = false;
    logger?.log("info", "redis connection restored");
  });
}

/** Resolves once the connection is ready; rejects with BackendUnavailableError after `timeoutMs` on `clock`. */
export function whenReady(redis: RedisClient, timeoutMs: number, clock: Clock): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const cancel = clock.after(timeoutMs, () => {
      redis.off("ready", onReady);
      reject(new BackendUnavailableError(`Redis not ready after ${timeoutMs} ms (status ${redis.status})`));
    });
    const onReady = (): void => {
      cancel();
      resolve();
    };
    redis.once("ready", onReady);
  });
}

/** Reply errors that mean "Redis cannot serve right now", not "this command is wrong". */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MISCONF|READONLY|MOVED|ASK)\b/;

/**
 * The error to throw for a failed Redis call: BackendUnavailableError when Redis could not be reached
 * or cannot serve now (nothing was done), BackendTimeoutError when a sent command got no answer in
 * time (it may have been applied); the original error when Redis answered that the command itself is
 * wrong (a bug).
 */
export function backendError(e: unknown): unknown {
  if (e instanceof BackendUnavailableError || e instanceof BackendTimeoutError) return e;
  const err = e as Error;
  if (err?.name === "ReplyError" && !TRANSIENT_REPLY.test(err.message)) return e;
  const why = String(err?.message ?? e);
  if (/command timed out/i.test(why) || e instanceof RespTimeoutError) {
    return new BackendTimeoutError("Redis took the request but did not answer in time; it may have been applied: check before sending it again");
  }
  // The connection dropped while the command was sent and unanswered (ioredis flushes those with this
  // error, as maxRetriesPerRequest is 0; a lean connection with its own): it may have run before Redis went away.
  if (err?.name === "MaxRetriesPerRequestError" || e instanceof RespDroppedError) {
    return new BackendTimeoutError("The connection to Redis dropped before it answered; the request may have been applied: check before sending it again");
  }
  // A Redis Cluster node's connection closed with the command sent or not (ioredis does not say which).
  if (why === "Connection is closed.") {
    return new BackendTimeoutError("The connection to a Redis node closed before it answered; the request may have been applied: check before sending it again");
  }
  if (why.includes("enableOfflineQueue")) return new BackendUnavailableError("Redis unavailable: not connected (reconnecting in the background)");
  return new BackendUnavailableError(`Redis unavailable: ${why}`); // (a lean connection's RespNotConnectedError too)
}

/** Runs a Redis call, turning connection failures into BackendUnavailableError. */
export async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw backendError(e);
  }
}
