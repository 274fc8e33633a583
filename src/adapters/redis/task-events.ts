/**
 * "These tasks are terminal" notifications over Redis pub/sub: one PUBLISH per batch (a JSON array of
 * ids), one subscriber connection per process however many listeners. Notifications only wake
 * long-polls early; a lost one (Redis down, reconnecting) delays a long-poll until its next re-check.
 * The same fan-out on another channel carries cancel signals (see cancel-signals.ts).
 */
import type Redis from "ioredis";
import type { Logger, TaskEvents } from "../../domain/ports.ts";
import { duplicateConnection } from "./connection.ts";
import type { RedisKeys } from "./keys.ts";

export class RedisTaskEvents implements TaskEvents {
  private readonly listeners = new Set<(ids: readonly string[]) => void>();
  private subscriber: Redis | undefined;
  /** While this process's SUBSCRIBE is not in place yet, publishes wait for it (at most 1 s). */
  private subscribing: Promise<unknown> | undefined;

  constructor(
    private readonly redis: Redis,
    keys: RedisKeys,
    private readonly logger?: Logger,
    /** The pub/sub channel; the task events channel unless a subclass says otherwise. */
    private readonly channel: string = keys.events,
  ) {}

  publish(taskIds: readonly string[]): void {
    if (taskIds.length === 0) return;
    const message = JSON.stringify(taskIds);
    const send = (): Promise<number> => this.redis.publish(this.channel, message);
    const sent = this.subscribing === undefined ? send() : Promise.race([this.subscribing, Bun.sleep(1000)]).then(send);
    void sent
      .catch((e) => this.logger?.log("debug", "task notification not published", { error: String(e), tasks: taskIds.length }));
  }

  subscribe(listener: (taskIds: readonly string[]) => void): () => void {
    this.listeners.add(listener);
    if (this.subscriber === undefined) this.subscriber = this.openSubscriber();
    return () => this.listeners.delete(listener);
  }

  private openSubscriber(): Redis {
    // Queues SUBSCRIBE until connected and re-subscribes after every reconnect.
    const sub = duplicateConnection(this.redis, { enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined, enableAutoPipelining: false }, this.logger);
    sub.on("message", (_channel: string, message: string) => {
      let ids: unknown;
      try {
        ids = JSON.parse(message);
      } catch {
        return;
      }
      if (!Array.isArray(ids)) return;
      for (const l of [...this.listeners]) l(ids as string[]);
    });
    const subscribing = sub
      .subscribe(this.channel)
      .catch((e) => this.logger?.log("warn", "subscribe failed", { error: String(e) }))
      .finally(() => {
        if (this.subscribing === subscribing) this.subscribing = undefined;
      });
    this.subscribing = subscribing;
    return sub;
  }

  close(): void {
    this.listeners.clear();
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }
}
